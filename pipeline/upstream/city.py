"""A level above that does not run sancha (the city's 督查室): its list in, its feedback out.

`[[upstream_lists]]` names the level and maps its template's headers to item fields
(`columns`) and its feedback table's headers to what we report (`report_columns`, in the
order it wants them). `read_list` turns its workbook into rows (pure): the header row is the
first within 40 rows holding every mapped header; every filled row below it is one task, its
number the `upstream_id`, its 责任单位 one of our units by name or alias (an unknown one is an
`unknown-unit` finding naming the cell, as in any file). `import_list` stores them as the
office's own file would, through the merge (`Merger(upstream=…)`): a new number registers an
item keeping it, a number seen before updates its item in what the level above owns (the
problem, the source, a new deadline as an extension); the file is archived and journalled.
`report_workbook` writes its feedback table for exactly its items, as of a day.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.config import Config, UpstreamList
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import Standing
from pipeline.errors import UsageError
from pipeline.intake import findings
from pipeline.intake.cells import column_letters
from pipeline.intake.header import header_text
from pipeline.intake.normalize import Unreadable, clean_text, parse_date, parse_deadline
from pipeline.intake.read import Sheet, read_workbook
from pipeline.intake.rows import _co_units, _lead_unit
from pipeline.intake.units import directory
from pipeline.ledger.archive import archive_copy
from pipeline.ledger.ledger import Ledger, now_iso
from pipeline.ledger.merge import Merger
from pipeline.ledger.standing import load_standing
from pipeline.model import ERROR, SOURCE_ASSIGNED, Cells, Finding, Item, Row
from pipeline.output.documents.xlsx_cells import DATE_FORMAT, HEADER_FILL, CellMaker, mark_made_on
from pipeline.workspace import Workspace

_SCAN_ROWS = 40
# Row fields of the list's item fields (`unit` is the lead unit).
_ROW_FIELD = {"unit": "lead_unit"}


def list_named(config: Config, name: str) -> UpstreamList:
    found = config.upstream_list(name)
    if found is None:
        known = "、".join(u.name for u in config.upstream_lists) or "（sancha.toml 中还没有 [[upstream_lists]]）"
        raise UsageError(f"“{name}” 不是 sancha.toml 中登记的上级清单；已登记：{known}")
    return found


def _find_header(sheets: Sequence[Sheet], wanted: UpstreamList) -> tuple[Sheet, int, dict[str, int]] | None:
    """(sheet, 0-based header row, field → 0-based column) of the first row holding every header."""
    headers = {header_text(h): f for h, f in wanted.columns}
    for sheet in sheets:
        if wanted.sheet and sheet.name != wanted.sheet:
            continue
        for r, raw in enumerate(sheet.rows):
            if r >= _SCAN_ROWS:
                break
            at = {headers[t]: c for c, v in enumerate(raw) if (t := header_text(v)) in headers}
            if len(at) == len(headers):
                return sheet, r, at
    return None


def read_list(data: bytes, filename: str, config: Config, wanted: UpstreamList,
              received: date) -> tuple[list[Row], list[Finding]]:
    """The tasks of the level above's list as rows, and the findings naming their cells (pure)."""
    sheets, found = read_workbook(data, filename, config.limits, whole=True)
    if found:
        return [], found
    located = _find_header(sheets, wanted)
    if located is None:
        return [], [findings.NO_HEADER.at(file=filename, fields="、".join(h for h, _ in wanted.columns))]
    sheet, header_row, at = located
    units = directory(config)
    letters = {_ROW_FIELD.get(f, f): column_letters(c) for f, c in at.items()}
    rows: list[Row] = []
    problems: list[Finding] = []
    for r, raw in enumerate(sheet.rows):
        if r <= header_row:
            continue
        text = {f: clean_text(raw[c]) if c < len(raw) else "" for f, c in at.items()}
        if not any(text.values()):
            continue
        cells = Cells(letters, r + 1)
        for needed in ("upstream_id", "problem", "unit"):
            if not text[needed]:
                problems.append(findings.EMPTY_REQUIRED.at(sheet.name, cells[_ROW_FIELD.get(needed, needed)],
                                                           field=_header_of(wanted, needed)))
        deadline, ongoing = None, False
        if text.get("deadline"):
            try:
                read = parse_deadline(raw[at["deadline"]], received)
                deadline, ongoing = read.date, read.ongoing
            except Unreadable as e:
                problems.append(findings.BAD_DEADLINE.at(sheet.name, cells["deadline"], text=text["deadline"],
                                                         hint=e.hint))
        answer_on = None
        if text.get("answer_on"):
            try:
                answer_on = parse_date(raw[at["answer_on"]])
            except Unreadable as e:
                problems.append(findings.BAD_DATE.at(sheet.name, cells["answer_on"], text=text["answer_on"],
                                                     field=_header_of(wanted, "answer_on"), hint=e.hint))
        rows.append(Row(
            sheet=sheet.name, row=r + 1, item_id=None, source=text.get("source") or wanted.name,
            problem=text["problem"], measures=text.get("measures", ""), deadline=deadline,
            deadline_text=text.get("deadline", ""), ongoing=ongoing,
            lead_unit=_lead_unit(text["unit"], sheet.name, cells, units, problems),
            co_units=_co_units(text.get("co_units", ""), sheet.name, cells, units, problems),
            owner=text.get("owner") or None, progress=None, status=None, done_on=None,
            remark=text.get("remark") or None, cells=cells, upstream_id=text["upstream_id"] or None,
            source_category=SOURCE_ASSIGNED, answer=text.get("answer") or None, answer_on=answer_on))
    if not rows and not problems:
        problems.append(findings.NO_ROWS.at(sheet.name, None))
    return rows, problems


def _header_of(wanted: UpstreamList, name: str) -> str:
    return next(h for h, f in wanted.columns if f == name)


@dataclass
class ImportResult:
    name: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def import_list(ws: Workspace, path: Path, name: str, received: date) -> ImportResult:
    """`sancha upstream import FILE --from NAME`: the list's tasks into the ledger (nothing when
    any row has an error: the findings say which cells)."""
    config = ws.config
    wanted = list_named(config, name)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"无法读取 {path}：{e.strerror or e}") from None
    rows, found = read_list(data, path.name, config, wanted, received)
    result = ImportResult(path.name, findings=list(found))
    if not result.ok:
        return result
    sha = hashlib.sha256(data).hexdigest()
    try:
        added, updated = _store(ws, data, sha, path, rows, wanted, received, result)
    except _Refused:  # the transaction was rolled back: nothing of the file stays
        return result
    result.added, result.updated = added, updated
    return result


def _store(ws: Workspace, data: bytes, sha: str, path: Path, rows: list[Row], wanted: UpstreamList, received: date,
           result: ImportResult) -> tuple[list[str], list[str]]:
    config = ws.config
    with Ledger.open(ws.db_path) as ledger, ledger.transaction():
        rel, _ = archive_copy(ws, data, sha, path.name, received)
        record = ledger.record_file(sha256=sha, name=path.name, source_path=str(path), unit=config.office_name,
                                    received_on=received, verdict="accepted", duplicate_of=None, archive_path=rel,
                                    added=[], updated=[], findings=[])
        merger = Merger(config.office_name, received=received, now=now_iso(), year=received.year,
                        next_seq=ledger.next_seq(received.year), by_office=True, made_on=received,
                        canonical=config.canonical_unit, file_id=record.id, upstream=wanted.name)
        existing = [*ledger.items_by_upstream(wanted.name, (r.upstream_id for r in rows if r.upstream_id)).values(),
                    *ledger.unlinked_items(r.key for r in rows).values()]
        if any(r.answer for r in rows):  # 上级答复: recorded once
            merger.answered.update(ledger.answer_texts(i.id for i in existing))
        added = merger.add(rows, existing)
        plan = merger.plan()
        result.findings += plan.findings
        if not plan.ok:
            raise _Refused()
        ledger.add_items(((i, merger.added_keys[i.id]) for i in added), record.id)
        ledger.update_items(((i, plan.keys[i.id]) for i in plan.updated), plan.events, plan.replayed)
        ledger.settle_file(record, unit=config.office_name, verdict="accepted", added=merger.added_ids(),
                           updated=[i.id for i in plan.updated], findings=[f.as_dict() for f in result.findings])
        ledger.conn.execute("UPDATE files SET state = 'done' WHERE id = ?", (record.id,))
    return merger.added_ids(), [i.id for i in plan.updated]


class _Refused(Exception):
    """The merge found an error: the import's transaction is rolled back."""


def _value(item: Item, name: str, now: Standing):
    state = now.states.get(item.id)
    values = {
        "upstream_id": item.upstream_id, "id": item.id, "problem": item.problem, "measures": item.measures,
        "unit": item.unit, "co_units": "、".join(item.co_units),
        "deadline": item.deadline if item.deadline is not None else item.deadline_text, "owner": item.owner,
        "source": item.source, "remark": item.remark, "progress": item.progress, "status": item.status,
        "done_on": item.done_on, "state": state.state if state else None, "as_of": now.as_of,
    }
    return values[name]


def report_items(wanted: UpstreamList, now: Standing) -> list[Item]:
    """Exactly the list's items (by its numbers, in its order as numbers or text)."""
    items = [i for i in now.items if i.upstream == wanted.name and i.upstream_id]
    return sorted(items, key=lambda i: (len(i.upstream_id or ""), i.upstream_id, i.id))


def report_workbook(config: Config, wanted: UpstreamList, now: Standing) -> bytes:
    """The list's feedback table in its columns, as of `now.as_of` (pure)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("办理情况")
    cm = CellMaker(ws)
    cm.define("title", bold=True, size=14, align="center", border=False)
    cm.define("meta", size=11, border=False)
    cm.define("header", bold=True, fill=HEADER_FILL.fgColor.rgb, align="center", wrap=True)
    cm.define("text", wrap=True)
    cm.define("date", fmt=DATE_FORMAT)
    for c in range(1, len(wanted.report_columns) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 20
    ws.append([cm.text(f"{config.office_name}关于{wanted.name}督办事项办理情况的报告（截至{cn_date(now.as_of)}）",
                       "title")])
    ws.append([cm.text(f"填报单位：{config.office_name}    填报日期：{cn_date(now.as_of)}", "meta")])
    ws.append([cm.text(h, "header") for h, _ in wanted.report_columns])
    for item in report_items(wanted, now):
        cells = []
        for _, name in wanted.report_columns:
            value = _value(item, name, now)
            cells.append(cm.value(value, "date") if isinstance(value, date) else cm.text(value, "text"))
        ws.append(cells)
    mark_made_on(wb, now.as_of)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_list(ws: Workspace, name: str, as_of: date) -> tuple[bytes, int]:
    """`sancha upstream report --to NAME`: the workbook and how many items it reports."""
    wanted = list_named(ws.config, name)
    now = load_standing(ws, as_of)
    return report_workbook(ws.config, wanted, now), len(report_items(wanted, now))
