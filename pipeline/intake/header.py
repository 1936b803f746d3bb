"""Find the header of a 三单表 wherever it sits, and what surrounds it.

A sheet may start with title rows and meta lines (填报单位：… 填报日期：… 检查名称：…), use the
seed's two-row grouped header (整改问题 | 整改措施 | 整改责任 over 序号 | 具体内容 | 具体内容 | …)
with merged cells, name columns by any alias, in any order, and end with footers
(填表人：… 审核人：… 联系电话：…). Pure: works on `read.Sheet` rows.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from pipeline.intake.cells import cell_name
from pipeline.intake.normalize import clean_text, is_blank, is_row_number, parse_item_id, squeeze, visible
from pipeline.intake.read import Sheet

REQUIRED_FIELDS = ("problem", "measures", "deadline", "lead_unit")

# Canonical header first, then the aliases seen in real files (DOMAIN.md), all normalised.
FIELD_LABELS = {
    "seq": ("序号",),
    "item_id": ("编号", "台账编号"),
    "source": ("问题来源", "检查类别", "来源"),
    "problem": ("整改问题", "问题描述", "存在问题", "问题清单", "整改问题清单"),
    "measures": ("整改措施", "措施", "措施清单", "整改措施清单"),
    "deadline": ("整改时限", "完成时限", "整改期限", "时限要求", "完成时间节点"),
    "lead_unit": ("牵头责任单位", "牵头单位", "责任单位", "主办单位"),
    "co_units": ("配合责任单位", "配合单位", "协办单位", "协同责任单位"),
    "owner": ("责任人", "具体责任人", "经办人", "具体负责人"),  # never 责任领导 (issue 17): that is `leader`
    "progress": ("整改进展", "整改落实情况", "进展情况", "落实情况"),
    "status": ("完成情况", "整改状态", "完成状态", "状态"),
    "done_on": ("完成日期", "完成时间", "办结时间"),
    "remark": ("备注",),
    # Issue 17: the three lists complete.
    "inspection": ("检查名称", "督查名称", "巡查名称", "检查事项"),
    "suggestion": ("整改建议", "意见建议", "建议", "整改意见"),
    "target": ("整改目标", "目标", "预期目标", "整改目标任务"),
    "leader": ("责任领导", "分管领导", "分管责任领导", "牵头领导"),
    "phone": ("联系电话", "电话", "联系方式", "手机"),
    "milestones": ("时间节点", "节点安排", "时间节点安排", "阶段节点", "进度安排"),
    "evidence_text": ("佐证材料", "佐证资料", "佐证材料清单", "证明材料"),  # issue 23: kept as text
    "upstream_id": ("上级编号",),  # the level above's id (a 下发包 from the district)
    "answer": ("上级答复",),  # a 下发包's answer to an item reported upward (需上级协调), and its day
    "answer_on": ("答复日期",),
}
# Columns a 三单表 may have that sancha recognises but does not keep (warning ignored-column).
IGNORED_LABELS = ("附件", "销号时间", "销号日期", "销号情况", "整改成效",
                  "审核意见", "核查意见", "督查意见", "销号意见", "是否销号", "整改类型", "问题类型")
FIELD_NAMES = {f: labels[0] for f, labels in FIELD_LABELS.items()}  # field → 中文表头
_FIELD_OF = {label: f for f, labels in FIELD_LABELS.items() for label in labels}
_CANONICAL = {labels[0] for labels in FIELD_LABELS.values()}
_IGNORED = frozenset(IGNORED_LABELS)

# The seed's leaf 具体内容 means the problem or the measure depending on the group above it.
_LEAF_BY_GROUP = "具体内容"
_GROUP_FIELD = {"整改问题": "problem", "整改问题清单": "problem", "整改措施": "measures", "整改措施清单": "measures"}

_MARKERS = re.compile(r"\*|\((必填|选填|必填项|选填项)\)")
_BRACKETS = re.compile(r"\([^()]*\)")
_SPACE = re.compile(r"\s+")

_SCAN_ROWS = 40  # a header further down than this is not a header
FOOTER_AREA = 20  # rows from the first footer line on still searched for 填报日期 and the like
_IGNORED_SHEETS = ("说明", "须知", "示例")  # 填表说明 and the like are never data
COOPERATION_SHEET = "配合事项"  # a 反馈表's co-unit section (issue 17): read by intake/cooperation.py

_FOOTER = re.compile(
    r"(填表人|填报人|制表人|制表|审核人|审核|联系人|联系电话|电话|签字|负责人|单位负责人|主要负责人|分管领导|盖章|单位|注|说明)"
    r"(\([^()]*\))?:"
)

_META_LABELS = {
    "unit": ("填报单位", "报送单位", "填报部门", "单位名称", "填报单位(盖章)", "单位(盖章)"),
    "report_date": ("填报日期", "报送日期", "填表日期", "填报时间"),
    "inspection": ("检查名称", "督查名称", "巡查名称", "检查事项"),
    "made_on": ("制表日期",),  # the visible line of a workbook sancha made (反馈表, 三单工作台帐)
}
_META_KIND = {label: kind for kind, labels in _META_LABELS.items() for label in labels}
# Labels may be padded with spaces (填 报 单 位：) and written with half- or full-width colons.
_META = re.compile(
    "("
    + "|".join(
        r"[\s\u3000]*".join(re.escape(ch) for ch in label)
        for label in sorted(_META_KIND, key=len, reverse=True)
    ).replace(r"\(", r"[(（]").replace(r"\)", r"[)）]")
    + r")[\s\u3000]*[:：]"
)
# What separates meta fields written in one cell: 填报单位：区教育局，填报日期：2026年11月5日
_FIELD_SEPARATORS = "，,；;、 \u3000\t"
_SEAL = re.compile(r"[(（]\s*盖章\s*[)）]")


@dataclass(frozen=True)
class Header:
    """Where a sheet's header is and which column holds which field."""

    sheet: str
    row: int  # 0-based index of the leaf header row; data starts below it
    first_row: int  # 0-based index of the top header row (the group row of a two-row header)
    columns: dict[str, int]  # canonical field → 0-based column
    score: int
    ignored: tuple[tuple[int, str], ...] = ()  # (0-based column, label) of IGNORED_LABELS columns

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f for f in REQUIRED_FIELDS if f not in self.columns)


@dataclass(frozen=True)
class MetaValue:
    value: object  # the cell value (text, or a date cell)
    cell: str  # A1


def header_text(value) -> str:
    """Header cell text as compared: NFKC, no spaces or line breaks, no * or （必填） markers."""
    if not isinstance(value, str):
        return ""
    return _header_text(value)


@lru_cache(maxsize=4096)  # header cells repeat from file to file
def _header_text(value: str) -> str:
    return _MARKERS.sub("", squeeze(value))


def _label_field(text: str) -> str | None:
    if not text:
        return None
    return _FIELD_OF.get(text) or _FIELD_OF.get(_BRACKETS.sub("", text))


def is_data_sheet(sheet: Sheet) -> bool:
    return not any(word in sheet.name for word in (*_IGNORED_SHEETS, COOPERATION_SHEET))


def find_header(sheet: Sheet) -> Header | None:
    """The best-scoring header row in the top of the sheet, or None if nothing looks like one;
    编号 holding plain row numbers is the 序号 column."""
    header = top_header(sheet)
    return header and layout(header, sheet.rows).header


def top_header(sheet: Sheet) -> Header | None:
    """`find_header` from the top rows alone: 编号 is still 编号 (see `layout`)."""
    rows = list(islice(sheet.rows, _SCAN_ROWS))
    width = max(map(len, rows), default=0)  # a streamed sheet's rows may differ in length
    best: Header | None = None
    above: list[str] = []
    for r, row in enumerate(rows):
        leaf = [_header_text(v) if isinstance(v, str) else "" for v in row] + [""] * (width - len(row))
        groups, own = _group_labels(sheet, above, r - 1) if r else ([], [])
        above = leaf
        columns = _map_columns(leaf, groups, own)
        score = sum(2 if f in REQUIRED_FIELDS else 1 for f in columns)
        enough = len(columns) >= 2 and any(f in REQUIRED_FIELDS for f in columns)
        if enough and (best is None or score > best.score):
            uses_group = any(not leaf[c] or leaf[c] == _LEAF_BY_GROUP for c in columns.values())
            ignored = tuple((c, text) for c, text in enumerate(leaf)
                            if c not in columns.values() and _BRACKETS.sub("", text) in _IGNORED)
            best = Header(sheet.name, r, r - 1 if uses_group else r, columns, score, ignored)
        elif best is not None and not best.missing and not columns and any(leaf):
            break  # a complete header with data below it: the rows further down are its data
    return best


@dataclass(frozen=True)
class Layout:
    """What lies below a header: the data rows, and where the footer starts with its first rows."""

    header: Header  # 编号 holding plain row numbers turned into the 序号 column
    data_rows: Sequence[int]  # 0-based, ascending: rows with something besides a 序号
    footer_at: int | None  # 0-based row of the first footer line, None without one
    footer: tuple[tuple[int, list], ...]  # (row, cells) from the footer on, FOOTER_AREA rows at most


def layout(header: Header, rows: Iterable[list]) -> Layout:
    """One pass over the rows below `header` (`rows` from the sheet's first): where the data rows
    are — blank rows are skipped, and so are rows with only a 序号, templates come pre-numbered —
    where the footer starts, and whether 编号 holds plain row numbers rather than ledger ids (then
    it is the 序号 column). One pass, so that a streamed sheet is read once for all of it."""
    columns = header.columns
    numbering = columns.get("item_id") if "seq" not in columns else None  # an 编号 that may be a 序号
    others = [c for f, c in columns.items() if f != "seq" and not (f == "item_id" and numbering is not None)]
    data, id_only = array("l"), set()  # id_only: rows with nothing but the 编号
    numbers_seen, only_numbers = False, True
    footer_at, footer = None, []
    below = islice(enumerate(rows), header.row + 1, None)
    for r, row in below:
        if is_footer(row):
            footer_at = r
            footer = [(r, row), *islice(below, FOOTER_AREA - 1)]
            break
        width = len(row)
        filled = False
        for c in others:
            if c < width and not is_blank(row[c]):
                filled = True
                break
        if numbering is not None and numbering < len(row) and not is_blank(row[numbering]):
            numbers_seen = True
            if only_numbers:
                value = row[numbering]
                only_numbers = is_row_number(value) and parse_item_id(value) is None
            if not filled:
                id_only.add(r)
                filled = True
        if filled:
            data.append(r)
    if numbers_seen and only_numbers:
        columns = dict(columns)
        columns["seq"] = columns.pop("item_id")
        header = Header(header.sheet, header.row, header.first_row, columns, header.score, header.ignored)
        data = array("l", (r for r in data if r not in id_only))
    return Layout(header, data, footer_at, tuple(footer))


def _group_labels(sheet: Sheet, texts: list[str], r: int) -> tuple[list[str], list[str]]:
    """Labels in the row above the leaf row, per column: (group over it, its own label).

    A group cell merged over several columns (整改措施 over C:E) is each column's group but no
    column's own label; an unmerged cell is the own label of its column (备注 merged vertically).
    """
    groups = list(texts)
    own = list(texts)
    spans = [(c0, c1) for r0, c0, r1, c1 in sheet.merged if r0 <= r <= r1 and c0 != c1]
    if spans:
        for c0, c1 in spans:
            for c in range(c0, min(c1 + 1, len(groups))):
                groups[c] = groups[c0]
                own[c] = ""
    elif any(t in _GROUP_FIELD for t in groups):
        # Group cells typed without merging: the label runs on over the blank cells to its right.
        for c in range(1, len(groups)):
            groups[c] = groups[c] or groups[c - 1]
    return groups, own


def _map_columns(leaf: list[str], groups: list[str], own: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    canonical: set[str] = set()  # fields whose column is labelled with the canonical name
    plain_contents = []  # 具体内容 columns whose group says nothing
    for c, text in enumerate(leaf):
        if text == _LEAF_BY_GROUP:
            f = _GROUP_FIELD.get(groups[c] if c < len(groups) else "")
            if f is None:
                plain_contents.append(c)
                continue
        else:
            # An empty leaf under a cell merged down over it (备注 over two rows) takes that label.
            text = text or (own[c] if c < len(own) else "")
            f = _label_field(text)
        if f is None:
            continue
        is_canonical = text in _CANONICAL
        if f not in columns or (is_canonical and f not in canonical):
            columns[f] = c
            if is_canonical:
                canonical.add(f)
    # Without groups, two 具体内容 columns follow the seed's order: the problem, then the measure.
    for f, c in zip(("problem", "measures"), plain_contents, strict=False):
        columns.setdefault(f, c)
    return columns


def is_footer(row: list) -> bool:
    """A signature or meta line below the data: 填表人：… 审核人：… 联系电话：… 填报日期：…"""
    for v in row:
        if not is_blank(v):
            return isinstance(v, str) and _footer_text(v)
    return False


@lru_cache(maxsize=4096)  # a row's first cell is mostly its 序号: the same few texts in every file
def _footer_text(text: str) -> bool:
    return bool(_FOOTER.match(squeeze(text)) or _META.match(visible(text).strip()))


def read_meta(rows: Iterable[tuple[int, list]]) -> dict[str, MetaValue]:
    """填报单位 / 填报日期 / 检查名称 in these (0-based index, row) pairs: one cell or spread over cells.

    Keys are "unit", "report_date", "inspection" and "made_on"; the first occurrence of each counts.
    """
    found: dict[str, MetaValue] = {}
    for r, row in rows:
        cells = [(c, v) for c, v in enumerate(row) if not is_blank(v)]
        for i, (c, v) in enumerate(cells):
            if not isinstance(v, str):
                continue
            v = visible(v)  # 填报单位 pasted from WeChat: no zero-width character between its letters
            labels = list(_META.finditer(v))
            for j, m in enumerate(labels):
                end = labels[j + 1].start() if j + 1 < len(labels) else len(v)
                value: object = clean_text(v[m.end() : end].rstrip(_FIELD_SEPARATORS))
                cell = cell_name(r, c)
                if not value and j + 1 == len(labels) and i + 1 < len(cells):
                    # "填报单位：" in one cell, the value in the next filled cell
                    nc, nv = cells[i + 1]
                    if not (isinstance(nv, str) and _META.match(nv)):
                        value, cell = nv, cell_name(r, nc)
                kind = _META_KIND[_SPACE.sub("", m[1]).replace("（", "(").replace("）", ")")]
                if kind == "unit" and isinstance(value, str):
                    value = clean_text(_SEAL.sub("", value))
                if value != "" and kind not in found:
                    found[kind] = MetaValue(value, cell)
    return found
