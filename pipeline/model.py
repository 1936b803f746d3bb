"""Plain data shared by the functional core: findings, parsed rows, ledger items.

Nothing here touches the filesystem or the database.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Canonical statuses a unit may report (完成情况). 已销号 is the office's, not a unit's.
STATUS_NOT_STARTED = "未启动"
STATUS_IN_PROGRESS = "推进中"
STATUS_DONE = "已完成"
STATUS_ONGOING = "长期坚持"
STATUS_NEEDS_HELP = "需上级协调"
STATUSES = (STATUS_NOT_STARTED, STATUS_IN_PROGRESS, STATUS_DONE, STATUS_ONGOING, STATUS_NEEDS_HELP)

# 问题来源 categories (issue 17): the seed's 实施范围 and the checks; intake/sources.py reads a
# source into one of them.
SOURCE_OTHER = "其他"
SOURCE_ASSIGNED = "上级交办"  # the category of what a level above assigns (upstream import, issue 21)
SOURCE_CATEGORIES = ("重大决策部署", "人大建议", "政协提案", "政府工作报告", "重点工作", "重大项目", "审计整改",
                     "领导批示", "巡查", "督查", "考察", "第三方评估",
                     SOURCE_ASSIGNED, SOURCE_OTHER)

# A workbook sancha writes (反馈表, 三单工作台帐) says the day it was made: in a document property
# and in a visible line with this label. A value from such a file sent back never overwrites a
# change the ledger recorded after that day (merge: stale-value).
MADE_ON_PROPERTY = "sancha_made_on"
MADE_ON_LABEL = "制表日期"

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One validation finding. `code` is stable (kebab-case); tests and users rely on it."""

    code: str
    severity: str  # ERROR or WARNING
    sheet: str | None
    cell: str | None  # A1 style, e.g. "F5"; None for file- or sheet-level findings
    message: str  # Chinese, names the cell and the bad value
    hint: str | None = None

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
            "hint": self.hint,
        }


_NOT_WORD = re.compile(r"[\W_]+")
# What NFKC does to the full-width punctuation of Chinese text, one character at a time.
_FULL_WIDTH = (*((chr(code), chr(code - 65248)) for code in (65292, 65306, 65307, 65288, 65289, 65281, 65311, 65285)),
               ("\u3000", " "))


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), a few times faster on Chinese text.

    Chinese text is NFKC but for its full-width punctuation (，（）：；！？％), which the full
    algorithm takes ~7 µs to map in a sentence. Replacing those characters by their NFKC forms
    leaves the decomposition unchanged (NFKD of "，" is NFKD of ","), so when the result passes
    the normalisation check it *is* the NFKC form; otherwise (other compatibility characters,
    a combining mark after a full-width letter, …) the full algorithm decides."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    mapped = text
    for wide, narrow in _FULL_WIDTH:
        if wide in mapped:
            mapped = mapped.replace(wide, narrow)
    if mapped is not text and unicodedata.is_normalized("NFKC", mapped):
        return mapped
    return unicodedata.normalize("NFKC", text)


def problem_key(text: str) -> str:
    """Problem text reduced to what matters for recognising the same problem again."""
    return _NOT_WORD.sub("", nfkc(text)).lower()


class Cells(Mapping):
    """field name → A1 cell of one row, from the column letters every row of a sheet shares
    (no dict of cell names per row: a sheet of 200,000 rows would hold 2.6 million of them)."""

    __slots__ = ("_letters", "_row")

    def __init__(self, letters: Mapping[str, str], row: int):
        self._letters = letters  # field → column letters, shared
        self._row = row  # 1-based

    def __getitem__(self, field: str) -> str:
        return f"{self._letters[field]}{self._row}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._letters)

    def __len__(self) -> int:
        return len(self._letters)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self):  # a plain tuple: rows travel between processes (parsed ahead in workers)
        return Cells, (self._letters, self._row)


@dataclass(frozen=True, slots=True)
class Milestone:
    """One dated step of an item (时间节点): due on `due`, reported done on `done_on`."""

    due: date | None
    text: str  # as written
    done_on: date | None = None

    def as_dict(self) -> dict:
        """The pinned JSON shape: {"due", "text", "done_on"} (dates ISO)."""
        return {"due": self.due.isoformat() if self.due else None, "text": self.text,
                "done_on": self.done_on.isoformat() if self.done_on else None}

    @classmethod
    def from_dict(cls, data: Mapping) -> Milestone:
        due, done = data.get("due"), data.get("done_on")
        return cls(date.fromisoformat(due) if due else None, data.get("text") or "",
                   date.fromisoformat(done) if done else None)


def milestones_text(milestones: Iterable[Milestone]) -> str:
    """Milestones as one line a clerk reads: 2026年12月31日前 取得阶段性成效（已完成）；…"""
    parts = []
    for m in milestones:
        done = f"（{m.done_on.month}月{m.done_on.day}日完成）" if m.done_on else ""
        parts.append(f"{m.text}{done}")
    return "；".join(parts)


def tuple_text(value: tuple) -> str:
    """A tuple field as one line: co-units 、-joined, milestones as `milestones_text`."""
    if value and isinstance(value[0], Milestone):
        return milestones_text(value)
    return "、".join(value)


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a submission after normalisation (one problem with its three lists)."""

    sheet: str
    row: int  # 1-based row number in the sheet, as Excel shows it
    item_id: str | None  # 编号 / 台账编号: the ledger id on a resubmission
    source: str | None  # 问题来源
    problem: str  # 整改问题
    measures: str  # 整改措施
    deadline: date | None  # None when ongoing or unreadable
    deadline_text: str  # what the unit wrote, verbatim (trimmed)
    ongoing: bool  # 长期坚持 / 持续推进: no deadline
    lead_unit: str  # canonical name of 牵头责任单位
    co_units: tuple[str, ...]  # canonical names or group phrases of 配合责任单位
    owner: str | None  # 责任人
    progress: str | None  # 整改进展
    status: str | None  # canonical status, one of STATUSES, or None if blank
    done_on: date | None  # 完成日期
    remark: str | None  # 备注
    cells: Mapping[str, str] = field(default_factory=dict)  # field name -> A1 cell of this row
    # Issue 17: the three lists complete (see Item).
    inspection: str | None = None  # 检查名称 column
    suggestion: str | None = None  # 整改建议
    target: str | None = None  # 整改目标
    leader: str | None = None  # 责任领导 / 分管领导
    phone: str | None = None  # 联系电话
    milestones: tuple[Milestone, ...] = ()  # 时间节点, and the dated parts of a staged 整改时限
    source_category: str | None = None  # 问题来源 normalised (sources.py)
    evidence_text: str | None = None  # 佐证材料: what the unit says it attaches ("见附件1、附件2"), verbatim
    upstream_id: str | None = None  # 上级编号: the level above's id (a 下发包, a list from above)
    # 上级答复 of an item reported upward, from the level above (a 下发包, a list from above), and
    # the day it was given (答复日期; None: the day it arrives)
    answer: str | None = None
    answer_on: date | None = None
    key: str = field(init=False, repr=False, compare=False)  # problem_key(problem), computed once

    def __post_init__(self):
        object.__setattr__(self, "key", problem_key(self.problem))

    def __reduce__(self):
        # Rows are parsed ahead in worker processes: one flat tuple per row (the key included, so
        # it is not computed again) instead of the dataclass state (see Submission.__reduce__).
        return _restore_row, tuple(getattr(self, name) for name in _ROW_SLOTS)


def _restore_row(*values) -> Row:
    """A Row from its slots' values in order, key included, set directly: no key computed again,
    no object.__setattr__ call per field (the frozen dataclass's __init__)."""
    row = object.__new__(Row)
    for set_slot, value in zip(_ROW_SETTERS, values, strict=False):
        set_slot(row, value)
    return row


_ROW_SLOTS = Row.__slots__
_ROW_SETTERS = tuple(getattr(Row, name).__set__ for name in _ROW_SLOTS)  # the slots' own setters


@dataclass(frozen=True)
class Submission:
    """What one file says, read and checked without the ledger."""

    filename: str
    sheet: str | None  # the sheet the rows came from
    unit: str | None  # canonical submitting unit (填报单位 line, else the inbox/<unit>/ folder)
    unit_cell: str | None  # where 填报单位 was read, for findings
    report_date: date | None  # 填报日期
    inspection: str | None  # 检查名称
    rows: tuple[Row, ...]
    findings: tuple[Finding, ...]
    made_on: date | None = None  # the day sancha made the workbook (a 反馈表, the ledger), if it did
    # A 反馈表's 配合事项 (issue 17): (item id, 配合情况, cell) of the items the unit cooperates on.
    cooperation: tuple[tuple[str, str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    def __reduce__(self):
        # Submissions are parsed ahead in worker processes. Their rows travel as flat tuples of
        # str / int / None (dates as day numbers, cells as the row number under the sheet's one
        # column map), restored by `_restore_row`.
        # Measured: dumps + loads of 3,000 rows 19 ms so, 34 ms as plain dataclasses (loads 13 / 18 ms).
        first = self.rows[0].cells if self.rows else None
        letters = first._letters if isinstance(first, Cells) else None
        if letters is None or not all(isinstance(r.cells, Cells) and r.cells._letters is letters for r in self.rows):
            return _restore_submission, (self.filename, self.sheet, self.unit, self.unit_cell, self.report_date,
                                         self.inspection, self.rows, self.findings, None, self.made_on,
                                         self.cooperation)
        return _restore_submission, (self.filename, self.sheet, self.unit, self.unit_cell, self.report_date,
                                     self.inspection, [_flat_row(r) for r in self.rows], self.findings, letters,
                                     self.made_on, self.cooperation)


def _flat_row(row: Row) -> tuple:
    return (row.sheet, row.row, row.item_id, row.source, row.problem, row.measures,
            row.deadline.toordinal() if row.deadline else None, row.deadline_text, row.ongoing, row.lead_unit,
            row.co_units, row.owner, row.progress, row.status, row.done_on.toordinal() if row.done_on else None,
            row.remark, row.cells._row, row.key,  # type: ignore[attr-defined]  # Cells, checked by the caller
            row.inspection, row.suggestion, row.target, row.leader, row.phone, row.milestones, row.source_category,
            row.evidence_text, row.upstream_id, row.answer, row.answer_on)


def _restore_submission(filename, sheet, unit, unit_cell, report_date, inspection, rows, findings, letters,
                        made_on=None, cooperation=()):
    if letters is not None:
        rows = tuple(_row_from_flat(flat, letters) for flat in rows)
    return Submission(filename, sheet, unit, unit_cell, report_date, inspection, rows, findings, made_on, cooperation)


def _row_from_flat(flat: tuple, letters: Mapping[str, str]) -> Row:
    (sheet, row, item_id, source, problem, measures, deadline, deadline_text, ongoing, lead_unit, co_units, owner,
     progress, status, done_on, remark, cells, key, *more) = flat
    return _restore_row(sheet, row, item_id, source, problem, measures,
                        date.fromordinal(deadline) if deadline is not None else None, deadline_text, ongoing,
                        lead_unit, co_units, owner, progress, status,
                        date.fromordinal(done_on) if done_on is not None else None, remark, Cells(letters, cells),
                        *more, key)


@dataclass(frozen=True, slots=True)
class Item:
    """One ledger item (one problem), as stored."""

    id: str
    unit: str
    co_units: tuple[str, ...]
    source: str | None
    problem: str
    measures: str
    deadline: date | None
    deadline_text: str
    ongoing: bool
    owner: str | None
    progress: str | None
    status: str | None
    done_on: date | None
    remark: str | None
    created_on: date  # day the first submission was received
    updated_at: str  # ISO timestamp of the last change
    closed_on: date | None = None  # 已销号 by the office
    last_report_on: date | None = None  # latest receipt date of a submission touching the item
    lookback_on: date | None = None  # last recorded 回头看
    original_deadline: date | None = None  # before any approved extension (延期)
    voided_on: date | None = None  # 作废: out of every count and document from that day
    reopened_on: date | None = None  # last 重新打开 (a new cycle: new deadline, reports counted anew)
    report_on: date | None = None  # first report of the cycle that counts for the deadline in effect
    field_days: str = "{}"  # JSON field -> the day an event last set it (stale values); read by field_day()
    # Issue 17: the three lists complete. Pinned export/show keys of the same names.
    inspection: str | None = None  # 检查名称: the inspection's id
    suggestion: str | None = None  # 整改建议 (the problem list's)
    target: str | None = None  # 整改目标
    leader: str | None = None  # 责任领导 / 分管领导 (never the owner)
    phone: str | None = None  # 联系电话
    milestones: tuple[Milestone, ...] = ()  # 时间节点: dated steps before the deadline
    source_category: str | None = None  # 问题来源 as one of the categories (source kept verbatim)
    evidence_text: str | None = None  # 佐证材料 as the unit's row says it (text, verbatim)
    evidence_count: int = 0  # 佐证材料 files received (evidence events), as of the item's day
    upstream_id: str | None = None  # the level above's id of the item (两级联动, 上级交办)
    upstream: str | None = None  # the level above that id belongs to ([upstream] name, [[upstream_lists]] name)


# What a clerk reads for each field of an item (receipts, show, the messages of actions).
FIELD_TITLES = {
    "id": "编号", "unit": "牵头责任单位", "co_units": "配合责任单位", "source": "问题来源", "problem": "整改问题",
    "measures": "整改措施", "deadline": "整改时限", "deadline_text": "整改时限（原文）", "ongoing": "长期坚持",
    "owner": "责任人", "progress": "整改进展", "status": "完成情况", "done_on": "完成日期", "remark": "备注",
    "created_on": "登记日期", "updated_at": "最近更新", "closed_on": "销号日期", "last_report_on": "最近报送日期",
    "lookback_on": "回头看日期", "original_deadline": "原整改时限（延期前）", "voided_on": "作废日期",
    "reopened_on": "重新打开日期", "report_on": "报送日期（时限届满后）",
    "inspection": "检查名称", "suggestion": "整改建议", "target": "整改目标", "leader": "责任领导", "phone": "联系电话",
    "milestones": "时间节点", "source_category": "问题来源类别",
    "evidence_text": "佐证材料", "evidence_count": "佐证材料（份）",
    "upstream_id": "上级编号", "upstream": "上级单位",
}

_ITEM_SETTERS = tuple(getattr(Item, name).__set__ for name in Item.__slots__)  # the slots' own setters


def field_day(item: Item, name: str) -> date | None:
    """The day an event last set the item's field `name` (None: as registered)."""
    if item.field_days == "{}":
        return None
    day = json.loads(item.field_days).get(name)
    return date.fromisoformat(day) if day else None


def field_days_text(days: Mapping[str, date]) -> str:
    """`Item.field_days` of field -> day: JSON, by field (as the ledger stores it)."""
    return json.dumps({k: days[k].isoformat() for k in sorted(days)}, ensure_ascii=False) if days else "{}"


def set_on(days: str, names: Iterable[str], day: date) -> str:
    """`Item.field_days` with each of `names` set on `day`."""
    merged = {k: date.fromisoformat(v) for k, v in json.loads(days).items()}
    merged.update(dict.fromkeys(names, day))
    return field_days_text(merged)


ITEM_FIELDS = Item.__slots__


def slot_maker(cls: Any) -> Callable:
    """A function making an instance of the frozen, slotted dataclass `cls` from every field in
    order, one setter call per slot written out: no __init__ (an object.__setattr__ per field),
    no loop over the setters (twice the cost) — readers make one per item or event, 50,000 and
    500,000 at a time."""
    setters = [getattr(cls, name).__set__ for name in cls.__slots__]
    args = ", ".join(f"a{n}" for n in range(len(setters)))
    body = "".join(f"    s{n}(o, a{n})\n" for n in range(len(setters)))
    scope = {f"s{n}": setter for n, setter in enumerate(setters)} | {"new": object.__new__, "cls": cls}
    exec(f"def make({args}):\n    o = new(cls)\n{body}    return o\n", scope)  # built from the names above
    return scope["make"]


new_item = slot_maker(Item)
new_item.__doc__ = """`Item(*fields)`, every field given in order, without the frozen dataclass's __init__ (an
object.__setattr__ call per field): merge makes one per new row, the timeline and the ledger one per item."""


def format_id(year: int, seq: int) -> str:
    """A ledger id: the year and the item's number in it, ``2026-0001``."""
    return f"{year}-{seq:04d}"


def split_id(item_id: str) -> tuple[int, int]:
    """``2026-0001`` → (2026, 1)."""
    year, seq = item_id.split("-", 1)
    return int(year), int(seq)


# Item states as of a date (issue: working days and states). Traffic lights: green / yellow / red.
STATE_ON_TRACK = "正常推进"  # green
STATE_DUE_SOON = "临期"  # yellow
STATE_OVERDUE = "逾期"  # red
STATE_DONE = "已完成"
STATE_ONGOING = "长期坚持"
STATE_CLOSED = "已销号"
STATE_BEHIND = "滞后"  # yellow (issue 17): a milestone (时间节点) passed without being reported done
STATE_AWAITING_MEASURES = "待报措施"  # issue 17: a problem list's item, its unit's measures not received yet
STATE_NEEDS_HELP = "待上级协调"  # reported upward (需上级协调): not overdue, its clock paused
ITEM_STATES = (STATE_ON_TRACK, STATE_DUE_SOON, STATE_OVERDUE, STATE_DONE, STATE_ONGOING, STATE_CLOSED, STATE_BEHIND,
               STATE_AWAITING_MEASURES, STATE_NEEDS_HELP)


def awaits_measures(item: Item) -> bool:
    """An item of a problem list (问题清单) whose unit has not sent its measures and deadline yet:
    no deadline and not ongoing (every other item has one or the other; the states' fast reads
    leave the texts out, so the measures themselves are not asked)."""
    return item.deadline is None and not item.ongoing


@dataclass(frozen=True)
class ItemState:
    """An item's standing as of a date, computed purely from the ledger (see states.py)."""

    item_id: str
    as_of: date
    state: str  # one of ITEM_STATES
    report_due: date | None  # 3rd working day after the deadline (整改时限届满后3个工作日内)
    overdue_workdays: int  # 0 when not overdue
    report_missing: bool
    key_supervision: bool  # 重点督查
    lookback_due: bool  # 回头看
    provisional: bool  # a date above came from a provisional calendar year
    done_on_time: bool | None = None  # for done items: done on or before the deadline; else None
    report_on: date | None = None  # the first report counting for the deadline in effect, if any by as_of
    report_late: bool = False  # that report came after report_due (the lateness stays recorded)
    missed: tuple[Milestone, ...] = ()  # milestones passed by as_of without being reported done (滞后)
    measures_due: date | None = None  # 待报措施: measures due by this day ([rules] measures_within_workdays)
    measures_missing: bool = False  # 待报措施 past measures_due: 未报送整改措施
