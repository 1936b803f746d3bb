"""Receipts (回执) for every file, and a rejected workbook returned with its bad cells marked.

`receipt_text` is pure; `write_receipt` puts it under outbox/<unit>/ (registered names only).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from itertools import chain
from pathlib import Path, PurePosixPath

from pipeline.deadlines.cndate import cn_date
from pipeline.files import write_atomic
from pipeline.intake.units import directory
from pipeline.ledger.ledger import FileRecord, Ledger
from pipeline.ledger.timeline import Event
from pipeline.model import FIELD_TITLES, Finding, Item, tuple_text
from pipeline.workspace import Workspace, derived_name, split_name

log = logging.getLogger("sancha.receipts")

UNKNOWN_UNIT_FOLDER = "未识别单位"
CHANGES_LISTED = 5000  # a file updating more items lists them without their changes (sancha show has them)
_HIDDEN_CHANGES = {"deadline_text", "ongoing"}  # shown as the 整改时限 change itself
VERDICT_WORDS = {"accepted": "已接收", "rejected": "退回（未入台帐）", "duplicate": "重复报送（未作改动）",
                 "evidence": "已收到佐证材料"}


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _finding_line(n: int, f: Finding) -> str:
    line = f"  {n}. {f.message}"
    if f.hint:
        line += f"\n     建议：{f.hint}"
    return line


def receipt_text(office: str, record: FileRecord, items: Mapping[str, Item],
                 changes: Mapping[str, list[Event]] | None = None) -> str:
    """The receipt a unit reads: verdict, what entered the ledger with ids (and each field an
    update changed, old → new), or every finding."""
    return "\r\n".join(receipt_lines(office, record, items, changes))  # Notepad on older Windows wants CRLF


def _due(item: Item) -> str:
    return "长期坚持" if item.ongoing else cn_date(item.deadline) if item.deadline else item.deadline_text


def _change_line(event: Event) -> str:
    title = FIELD_TITLES.get(event.field or "", event.field or "")
    return f"      {title}：{_value(event.old)} → {_value(event.new)}"


def _value(value) -> str:
    if value is None or value == "" or value == ():
        return "（空）"
    if isinstance(value, tuple):
        return tuple_text(value)
    if isinstance(value, date):
        return cn_date(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return _short(str(value), 60)


def receipt_lines(office: str, record: FileRecord, items: Mapping[str, Item],
                  changes: Mapping[str, list[Event]] | None = None) -> Iterator[str]:
    """The receipt's lines, one at a time (`items.get` is asked for the listed ids in order;
    `changes`: the field changes of the updated items, by item)."""
    findings = [Finding(**f) for f in record.findings]
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity != "error"]
    yield from (
        office,
        "“三查三单”报送回执",
        "",
        f"文件名称：{record.name}",
        f"报送单位：{record.unit or '未能识别'}",
        f"收到日期：{cn_date(record.received_on)}",
        f"回执编号：{record.id}",
        f"处理结果：{VERDICT_WORDS[record.verdict]}",
    )
    if record.verdict == "accepted":
        yield f"新增 {len(record.added)} 项，更新 {len(record.updated)} 项。今后报送进展时请填写下列编号。"
        for title, ids in (("新增事项", record.added), ("更新事项", record.updated)):
            if ids:
                yield from ("", f"{title}：")
                for item_id in ids:
                    item = items.get(item_id)
                    if item is None:
                        yield f"  {item_id}"
                        continue
                    yield f"  {item_id}  {_short(item.problem)}（整改时限：{_due(item)}）"
                    for event in (changes or {}).get(item_id, ()) if title == "更新事项" else ():
                        if event.field not in _HIDDEN_CHANGES:
                            yield _change_line(event)
    elif record.verdict == "evidence":
        for item_id in record.updated:  # the one item it is attached to
            item = items.get(item_id)
            yield f"已收到 {item_id} 佐证材料 1 份。"
            if item is not None:
                yield f"  {item_id}  {_short(item.problem)}（现有佐证材料 {item.evidence_count} 份）"
    elif record.verdict == "rejected":
        yield from ("", f"发现 {len(errors)} 处错误，整个文件未录入台帐。请全部修改后重新报送：")
        yield from (_finding_line(n, f) for n, f in enumerate(errors, 1))
    if warnings:
        yield from ("", "提示（不影响处理结果）：")
        yield from (_finding_line(n, f) for n, f in enumerate(warnings, 1))
    yield from ("", f"{office}", cn_date(record.received_on), "")


class _ItemsInOrder(Mapping):
    """The items a receipt lists, read back from the ledger a batch at a time in the order the
    receipt asks for them: a receipt of 200,000 items never holds them all."""

    BATCH = 500

    def __init__(self, ledger: Ledger, ids: list[str]):
        self._ledger, self._ids, self._next = ledger, ids, 0
        self._batch: dict[str, Item] = {}

    def __getitem__(self, item_id: str) -> Item:
        while item_id not in self._batch and self._next < len(self._ids):
            self._batch = self._ledger.items_by_id(self._ids[self._next:self._next + self.BATCH])
            self._next += self.BATCH
        if item_id in self._batch:
            return self._batch[item_id]
        item = self._ledger.item(item_id)  # asked out of order
        if item is None:
            raise KeyError(item_id)
        return item

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def _encoded(lines: Iterable[str], per_piece: int = 2000) -> Iterator[bytes]:
    """A receipt's bytes in pieces: BOM, the lines joined by CRLF, UTF-8 (what receipt_text gives)."""
    piece, first = ["\ufeff"], True
    for line in lines:
        piece.append(line if first else "\r\n" + line)
        first = False
        if len(piece) >= per_piece:
            yield "".join(piece).encode("utf-8")
            piece = []
    yield "".join(piece).encode("utf-8")


def unit_folder(ws: Workspace, unit: str | None) -> Path:
    config = ws.config
    if unit and (unit in config.unit_names or config.is_office(unit)):
        return ws.unit_outbox(unit)
    return ws.outbox / UNKNOWN_UNIT_FOLDER


def receipt_folder(ws: Workspace, record: FileRecord) -> Path:
    """Where a file's receipt goes: a file from inbox/<unit>/ is answered in that unit's outbox
    folder whatever its fate (its 填报单位 unknown, another unit's, the file unreadable) — the
    folder is who sent it; any other file in the folder of the unit it names (else 未识别单位)."""
    parts = PurePosixPath(record.source_path).parts
    if len(parts) >= 3 and parts[0] == ws.inbox.name:
        sender = directory(ws.config).canonical(parts[1])
        if sender is not None and not ws.config.is_office(sender):
            return ws.unit_outbox(sender)
    return unit_folder(ws, record.unit)


def write_receipt(ws: Workspace, ledger: Ledger, record: FileRecord, items: Mapping[str, Item] | None = None,
                  changes: Mapping[str, list[Event]] | None = None, mark=None) -> Path:
    """Write (or rewrite, identically) the receipt of a journalled file; returns its path.

    `items`: the added and updated items as just written, and `changes` their field changes by
    item, if the caller has them (else read back). `mark`: how the rejected workbook is marked up
    (`marked_workbook`'s signature; ingest passes its reader's, which opens the unit's file in a
    worker process).
    """
    folder = receipt_folder(ws, record)
    stem, suffix = split_name(record.name)
    path = folder / derived_name(folder, f"回执_{record.received_on:%Y%m%d}_", stem, f"_{record.id}.txt")
    listed: Mapping[str, Item] = items if items is not None else _ItemsInOrder(ledger, record.added + record.updated)
    if changes is None and record.updated and len(record.updated) <= CHANGES_LISTED:
        changes = ledger.file_changes(record.id)
    pieces = _encoded(receipt_lines(ws.config.office_name, record, listed, changes))
    first, second = next(pieces), next(pieces, None)  # an ordinary receipt is written as one piece
    write_atomic(path, first if second is None else chain((first, second), pieces))
    if record.verdict == "rejected" and record.archive_path:
        found = [Finding(**f) for f in record.findings]
        marked = (mark or marked_workbook)(ws.archive / record.archive_path, record.name, found) \
            if _markable(record.name, found) else None
        if marked is not None:
            write_atomic(folder / derived_name(folder, f"退回标注_{record.id}_", stem, suffix), marked)
    return path


def _markable(name: str, findings: list[Finding]) -> bool:
    return name.lower().endswith((".xlsx", ".xlsm")) and any(f.sheet and f.cell for f in findings)


def marked_workbook(original: Path, name: str, findings: list[Finding]) -> bytes | None:
    """The unit's own .xlsx with each bad cell filled red and commented; None when not possible.

    Only for .xlsx/.xlsm that openpyxl can open; the archive keeps the untouched original.
    """
    if not name.lower().endswith((".xlsx", ".xlsm")):
        return None
    notes: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        if f.sheet and f.cell:
            notes.setdefault((f.sheet, f.cell), []).append(f.message + (f"（建议：{f.hint}）" if f.hint else ""))
    if not notes:
        return None
    try:
        from openpyxl import load_workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import PatternFill

        wb = load_workbook(original, rich_text=False)
        red = PatternFill("solid", fgColor="FFFF9999")
        for (sheet, cell), messages in notes.items():
            if sheet not in wb.sheetnames:
                continue
            c = wb[sheet][cell]
            if type(c).__name__ == "MergedCell":
                continue
            c.fill = red
            c.comment = Comment("\n".join(messages)[:2000], "督查室")
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    except Exception as e:  # a workbook openpyxl cannot round-trip still gets its text receipt
        log.warning("无法生成退回标注表 %s：%s", name, e)
        return None
