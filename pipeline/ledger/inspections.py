"""Inspections (三查: 巡查, 督查, 考察, …): their record, the group's report due 5 working days
after the inspection ends, and which items each one found.

An inspection is a row of the `inspections` table (migration 0005): kind, form (督查 only),
name, leader, group, start and end, the units inspected, other names files use for it, and
the day its report was received (with the archived file). Items carry its id
(`Item.inspection`), found by ingest from the meta line's 检查名称, a 检查名称 column or the
folder `inbox/督查室/<检查名称>/` (`InspectionDirectory.resolve`: the name or an alias,
compared after `squeeze`; an unknown name gives warning `unknown-inspection` with the closest).

The pure part (`Inspection`, `report_due`, `inspection_record`, `InspectionDirectory`) works on
plain data; `add_inspection`, `record_report` and `load_inspections` read and write the ledger.

    sancha inspection add --kind 巡查 --name 2026年第四季度重点工作巡查 --start 2026-11-02 --end 2026-11-13
    sancha inspection report JC2026-01 --on 2026-11-19 --file 巡查报告.docx
    sancha inspection list --json --as-of 2026-11-30
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.deadlines.states import FINISHED_STATES
from pipeline.deadlines.workdays import PROVISIONAL_MARK, WorkCalendar
from pipeline.errors import Refused
from pipeline.intake.findings import UNKNOWN_INSPECTION
from pipeline.intake.normalize import squeeze
from pipeline.ledger.ledger import Ledger, now_iso
from pipeline.model import SOURCE_OTHER, Finding, Item, ItemState, Row

# Pinned values of `--kind` and `--form`.
KINDS = ("巡查", "督查", "考察", "第三方评估", "审计", "其他")
FORMS = ("现场督办", "跟踪督查", "调研督查", "专项督查", "回访复核")  # 督查 only
# The group's report is due this many working days after the inspection ends (the seed: 巡查、督查
# 结束后5个工作日内形成报告).
REPORT_WITHIN_WORKDAYS = 5
# The 问题来源 category an item takes from its inspection when its own source is blank.
KIND_SOURCE = {"巡查": "巡查", "督查": "督查", "考察": "考察", "第三方评估": "第三方评估", "审计": "审计整改",
               "其他": SOURCE_OTHER}
# Pinned keys of `sancha inspection list --json`.
RECORD_KEYS = ("id", "kind", "form", "name", "leader", "group", "start", "end", "report_due", "report_on",
               "report_late", "units", "items", "open_items")

_ID = re.compile(r"JC(\d{4})-(\d{2,})")
SIMILAR_FROM = 60  # rapidfuzz ratio from which a registered name is offered for an unknown one


@dataclass(frozen=True)
class Inspection:
    id: str  # JC2026-01
    kind: str  # one of KINDS
    form: str | None  # one of FORMS, 督查 only
    name: str  # 检查名称
    leader: str | None  # 带队领导
    group: str | None  # 检查组
    start: date
    end: date
    units: tuple[str, ...] = ()  # the units inspected
    aliases: tuple[str, ...] = ()  # other names files use for it
    report_on: date | None = None  # the group's report received
    report_file: str | None = None  # its archive copy, relative to data/archive

    @property
    def source_category(self) -> str:
        return KIND_SOURCE.get(self.kind, SOURCE_OTHER)


def parse_inspection_id(text: str) -> str | None:
    """An inspection id such as JC2026-01 (lower case and full-width forms read too), else None."""
    m = _ID.fullmatch(squeeze(text).upper())
    return f"JC{m[1]}-{int(m[2]):02d}" if m else None


def report_due(inspection: Inspection, cal: WorkCalendar) -> date:
    """The 5th working day after the inspection's last day."""
    return cal.add_workdays(inspection.end, REPORT_WITHIN_WORKDAYS)


@dataclass(frozen=True)
class ReportStanding:
    """Where an inspection's report stands as of a day."""

    due: date
    received: date | None  # by the as-of day
    late: bool  # received after `due`, or not received and `due` has passed
    due_soon: bool  # not received, due within `soon` working days (today included)
    provisional: bool  # `due` counted through a year the calendar knows only provisionally


def report_standing(inspection: Inspection, as_of: date, cal: WorkCalendar, soon: int = 3) -> ReportStanding:
    due = report_due(inspection, cal)
    received = inspection.report_on if inspection.report_on is not None and inspection.report_on <= as_of else None
    late = received > due if received is not None else as_of > due
    due_soon = received is None and not late and due <= cal.add_workdays(as_of, soon)
    return ReportStanding(due, received, late, due_soon, cal.spans_provisional(inspection.end, due))


def inspection_record(inspection: Inspection, items: Sequence[Item], states: Mapping[str, ItemState], as_of: date,
                      cal: WorkCalendar) -> dict:
    """The pinned JSON shape (`RECORD_KEYS`, plus "provisional"): `items` counts the items the
    inspection found, `open_items` those not done nor closed as of the day."""
    mine = [i for i in items if i.inspection == inspection.id]
    st = report_standing(inspection, as_of, cal)
    return {
        "id": inspection.id, "kind": inspection.kind, "form": inspection.form, "name": inspection.name,
        "leader": inspection.leader, "group": inspection.group, "start": inspection.start.isoformat(),
        "end": inspection.end.isoformat(), "report_due": st.due.isoformat(),
        "report_on": st.received.isoformat() if st.received else None, "report_late": st.late,
        "units": list(inspection.units), "items": len(mine),
        "open_items": sum(1 for i in mine if i.id in states and states[i.id].state not in FINISHED_STATES),
        "provisional": st.provisional,
    }


def report_line(inspection: Inspection, as_of: date, cal: WorkCalendar) -> str | None:
    """One line for weekly's summary, the dashboard and the circular when the report is due soon
    or late (None otherwise): 2026年第四季度重点工作巡查：报告应于11月19日前报送，已逾期。"""
    st = report_standing(inspection, as_of, cal)
    mark = PROVISIONAL_MARK if st.provisional else ""
    due = f"{st.due.month}月{st.due.day}日{mark}"
    if st.received is not None:
        if not st.late:
            return None
        return f"{inspection.name}：报告应于{due}前报送，{st.received.month}月{st.received.day}日报送，逾期报送"
    if st.late:
        return f"{inspection.name}：报告应于{due}前报送，尚未报送，已逾期"
    if st.due_soon:
        return f"{inspection.name}：报告应于{due}前报送"
    return None


class InspectionDirectory:
    """Inspection names and aliases → ids, for ingest."""

    def __init__(self, inspections: Iterable[Inspection]):
        self.inspections = {i.id: i for i in inspections}
        self._names: dict[str, str] = {}
        for i in self.inspections.values():
            for name in (i.name, *i.aliases):
                self._names.setdefault(squeeze(name), i.id)

    def __bool__(self) -> bool:
        return bool(self.inspections)

    def resolve(self, name: str | None) -> str | None:
        """The id of the inspection named so (its name, an alias or its id), else None."""
        if not name or not name.strip():
            return None
        return self._names.get(squeeze(name)) or (parse_inspection_id(name) if parse_inspection_id(name)
                                                  in self.inspections else None)

    def closest(self, name: str, limit: int = 3) -> list[str]:
        """Registered names most like `name` (for unknown-inspection's hint)."""
        names = [i.name for i in self.inspections.values()]
        found = process.extract(squeeze(name), [squeeze(n) for n in names], scorer=fuzz.ratio, limit=limit,
                                score_cutoff=SIMILAR_FROM)
        return [names[index] for _, _, index in found]

    def hint(self, name: str) -> str:
        close = self.closest(name)
        if close:
            return ("是否应为 " + " 或 ".join(f"“{n}”" for n in close)
                    + "？如是新的检查，请先登记：sancha inspection add")
        return "请先登记该检查：sancha inspection add --kind … --name …（或在表中写已登记的检查名称）"


class FileInspections:
    """The inspection of a file's rows: each row's 检查名称 (else the file's — its meta line or
    its folder) resolved to an id once per name; an unknown name gives one `unknown-inspection`
    warning and no inspection. A row with no 问题来源 takes its inspection's category."""

    def __init__(self, directory: InspectionDirectory, name: str | None, sheet: str | None):
        self.directory = directory
        self.findings: list[Finding] = []
        self._seen: dict[str, str | None] = {}
        self.default = self._resolved(name, sheet, None)

    def _resolved(self, name: str | None, sheet: str | None, cell: str | None) -> str | None:
        if not name or not name.strip():
            return None
        key = squeeze(name)
        if key not in self._seen:
            found = self.directory.resolve(name)
            if found is None:
                self.findings.append(UNKNOWN_INSPECTION.at(sheet, cell, name=name.strip(),
                                                           hint=self.directory.hint(name)))
            self._seen[key] = found
        return self._seen[key]

    def rows(self, rows: tuple[Row, ...]) -> tuple[Row, ...]:
        """The rows with their inspection ids (the same rows when nothing names one)."""
        if self.default is None and not any(r.inspection for r in rows):
            return rows
        out = []
        for r in rows:
            found = self._resolved(r.inspection, r.sheet, r.cells.get("inspection")) if r.inspection else self.default
            category = r.source_category
            if category is None and found is not None:
                category = self.directory.inspections[found].source_category
            out.append(replace(r, inspection=found, source_category=category)
                       if (found, category) != (r.inspection, r.source_category) else r)
        return tuple(out)


# -- the ledger --------------------------------------------------------------------------------

_COLUMNS = ("id, kind, form, name, leader, grp, start_on, end_on, units, aliases, report_on, report_file")


def _from_row(r: tuple) -> Inspection:
    (id_, kind, form, name, leader, grp, start_on, end_on, units, aliases, report_on, report_file) = r
    return Inspection(id_, kind, form, name, leader, grp, date.fromisoformat(start_on), date.fromisoformat(end_on),
                      tuple(json.loads(units)), tuple(json.loads(aliases)),
                      date.fromisoformat(report_on) if report_on else None, report_file)


def load_inspections(ledger: Ledger) -> list[Inspection]:
    """Every inspection, by id."""
    return [_from_row(r) for r in ledger.conn.execute(f"SELECT {_COLUMNS} FROM inspections ORDER BY id")]


def add_inspection(ledger: Ledger, *, kind: str, name: str, start: date, end: date, form: str | None = None,
                   leader: str | None = None, group: str | None = None, units: Sequence[str] = (),
                   aliases: Sequence[str] = (), operator: str | None = None, dry_run: bool = False) -> Inspection:
    """Register an inspection; its id is the next of its start year. Refused: an unknown kind or
    form, a form for a kind other than 督查, an end before the start, a name already taken.
    `dry_run`: every check made and the inspection returned as it would be, nothing written
    (the web desk's confirmation)."""
    kind, name = kind.strip(), name.strip()
    form = form.strip() if form and form.strip() else None
    if kind not in KINDS:
        raise Refused(f"--kind 只能是 {'、'.join(KINDS)} 之一，不是 “{kind}”")
    if form is not None and kind != "督查":
        raise Refused(f"--form 只用于督查（{'、'.join(FORMS)}），{kind} 不填")
    if form is not None and form not in FORMS:
        raise Refused(f"--form 只能是 {'、'.join(FORMS)} 之一，不是 “{form}”")
    if not name:
        raise Refused("--name 不能为空：请写检查名称，例如 2026年第四季度重点工作督查")
    if end < start:
        raise Refused(f"--end {end.isoformat()} 早于 --start {start.isoformat()}")
    known = InspectionDirectory(load_inspections(ledger))
    taken = known.resolve(name)
    if taken is not None:
        raise Refused(f"检查名称 “{name}” 已登记为 {taken}")
    def make() -> Inspection:
        n = ledger.conn.execute("SELECT COUNT(*) FROM inspections WHERE id LIKE ?",
                                (f"JC{start.year}-%",)).fetchone()[0]
        return Inspection(f"JC{start.year}-{n + 1:02d}", kind, form, name, leader or None, group or None, start, end,
                          tuple(units), tuple(a.strip() for a in aliases if a.strip()))

    if dry_run:
        return make()
    with ledger.transaction():
        inspection = make()
        ledger.conn.execute(
            f"INSERT INTO inspections ({_COLUMNS}, created_at, operator) VALUES ({', '.join('?' * 14)})",
            (inspection.id, kind, form, name, inspection.leader, inspection.group, start.isoformat(), end.isoformat(),
             json.dumps(list(inspection.units), ensure_ascii=False),
             json.dumps(list(inspection.aliases), ensure_ascii=False), None, None, now_iso(), operator))
    return inspection


def record_report(ledger: Ledger, inspection_id: str, *, on: date, archive: str | None = None,
                  operator: str | None = None, today: date | None = None, dry_run: bool = False) -> Inspection:
    """The group's report received on `on` (`archive`: its archived copy; `operator`: who
    registered it). Refused: an unknown id, a day before the inspection started, a day after
    `today`. `dry_run`: checked and returned as it would be, nothing written."""
    found = {i.id: i for i in load_inspections(ledger)}.get(inspection_id)
    if found is None:
        raise Refused(f"没有登记检查 {inspection_id}；sancha inspection list 列出已登记的检查")
    if on < found.start:
        raise Refused(f"报告日期 {on.isoformat()} 早于检查开始日期 {found.start.isoformat()}")
    if today is not None and on > today:
        raise Refused(f"报告日期 {on.isoformat()} 是将来的日期")
    if dry_run:
        return replace(found, report_on=on, report_file=archive or found.report_file)
    with ledger.transaction():
        ledger.conn.execute("UPDATE inspections SET report_on = ?, report_file = COALESCE(?, report_file), "
                            "report_operator = ?, report_at = ? WHERE id = ?",
                            (on.isoformat(), archive, operator, now_iso(), inspection_id))
    return {i.id: i for i in load_inspections(ledger)}[inspection_id]


def found_items(ledger: Ledger, config, day: date) -> list[Item]:
    """The items an inspection found, as they stood at the end of `day` (voided ones and those
    not yet registered left out): read by id, not the whole ledger (issue 20: `inspection list`
    on a city's 200,000 items). An item whose inspection was changed since counts as it was."""
    from pipeline.ledger.view import items_by_id_on

    ids = [r[0] for r in ledger.conn.execute(
        "SELECT id FROM items WHERE inspection IS NOT NULL AND inspection <> '' "
        "UNION SELECT DISTINCT item_id FROM events WHERE field = 'inspection'")]
    items = items_by_id_on(ledger, config, ids, day) if ids else {}
    return [i for i in items.values() if i.inspection and (i.voided_on is None or i.voided_on > day)]


def inspection_records(ledger: Ledger, config, day: date) -> list[dict]:
    """`inspection_record` of every inspection as of `day` (`sancha inspection list`)."""
    from pipeline.deadlines.states import compute_states

    found = load_inspections(ledger)
    items = found_items(ledger, config, day) if found else []  # only the items inspections found
    cal = WorkCalendar.from_config(config)
    states = compute_states(items, day, cal, config.rules)
    by_inspection: dict[str | None, list[Item]] = {}  # each one's items, in one pass (48 × 65,000 at a city's size)
    for item in items:
        by_inspection.setdefault(item.inspection, []).append(item)
    return [inspection_record(i, by_inspection.get(i.id, []), states, day, cal) for i in found]


def inspections_fingerprint(ledger: Ledger) -> str:
    """What the inspections table holds (its rows are not events): part of the key that keeps a
    day's `inspection_records` (`standing.load_inspection_records`)."""
    rows = ledger.conn.execute("SELECT * FROM inspections ORDER BY id").fetchall()
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def split_names(text: str | None) -> list[str]:
    """Names as people list them in one box: separated by , ， or 、 (blanks dropped)."""
    return [part.strip() for part in (text or "").replace("，", ",").replace("、", ",").split(",") if part.strip()]


def registered_by(ledger: Ledger, inspection_id: str) -> dict:
    """Who registered the inspection and its report, and when (local times, ISO): the keys
    operator, created_at, report_operator, report_at (None where unknown)."""
    row = ledger.conn.execute("SELECT operator, created_at, report_operator, report_at FROM inspections WHERE id = ?",
                              (inspection_id,)).fetchone()
    keys = ("operator", "created_at", "report_operator", "report_at")
    return dict(zip(keys, row or (None,) * 4, strict=True))


def inspection_names(ws) -> dict[str, str]:
    """id → name of every inspection (none without a ledger yet)."""
    if not ws.db_path.exists():
        return {}
    with Ledger.open(ws.db_path) as ledger:
        return {i.id: i.name for i in load_inspections(ledger)}


def report_lines(ledger: Ledger, as_of: date, cal: WorkCalendar) -> list[str]:
    """`report_line` of every inspection whose report is due soon or late as of the day (those
    registered by then), for weekly's summary, the dashboard and the circular."""
    lines = [report_line(i, as_of, cal) for i in load_inspections(ledger) if i.start <= as_of]
    return [line for line in lines if line]


def archive_report(ws, path: Path, on: date) -> str:
    """The report file's bytes kept in data/archive as a submission's are; its path there."""
    from pipeline.ledger.archive import archive_copy

    data = path.read_bytes()
    return archive_copy(ws, data, hashlib.sha256(data).hexdigest(), path.name, on)[0]
