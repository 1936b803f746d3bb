"""A 反馈表's 配合事项 sheet (issue 17, point 7): the items the submitting unit cooperates on,
each with its 配合情况 — pure: a sheet's rows in, (编号, text, cell) entries and findings out.

The sheet is found by its name (`header.COOPERATION_SHEET`) and never taken for the file's
data sheet; its header row is the first with both 编号 and 配合情况; a row with a 编号 and a
配合情况 is one entry (ingest records it as a `cooperate` event of that item, merge.py's
`cooperation_events` checks the unit is among the item's 配合责任单位).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from pipeline.intake import findings
from pipeline.intake.cells import cell_name
from pipeline.intake.header import COOPERATION_SHEET, header_text
from pipeline.intake.normalize import clean_text, parse_item_id
from pipeline.intake.read import Sheet
from pipeline.model import Finding

NOTE_LABELS = ("配合情况", "配合落实情况", "配合工作情况")
_SCAN = 10


def cooperation_sheet(sheets: Iterable[Sheet]) -> Sheet | None:
    return next((s for s in sheets if COOPERATION_SHEET in s.name), None)


def read_cooperation(sheet: Sheet) -> tuple[tuple[tuple[str, str, str], ...], list[Finding]]:
    """((item id, 配合情况, cell), …) of the rows filled in, and the findings (a bad 编号)."""
    rows = iter(sheet.rows)
    head = list(islice(rows, _SCAN))
    labels_of = [[header_text(v) for v in row] for row in head]
    r = next((r for r, labels in enumerate(labels_of)
              if "编号" in labels and any(label in NOTE_LABELS for label in labels)), None)
    if r is None:
        return (), []
    id_col = labels_of[r].index("编号")
    note_col = next(c for c, label in enumerate(labels_of[r]) if label in NOTE_LABELS)
    entries, found = [], []
    for n, row in enumerate([*head[r + 1:], *rows], r + 1):
        note = clean_text(row[note_col]) if note_col < len(row) else ""
        raw = clean_text(row[id_col]) if id_col < len(row) else ""
        if not note:
            continue
        item_id = parse_item_id(raw)
        if item_id is None:
            found.append(findings.BAD_ITEM_ID.at(sheet.name, cell_name(n, id_col), text=raw or "（空）"))
            continue
        entries.append((item_id, note, cell_name(n, note_col)))
    return tuple(entries), found
