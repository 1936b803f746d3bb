"""The office's actions on one item — 延期, 销号, 回头看, 重新打开, 作废, 移交, 上报上级协调 and
its answer, and 撤销 (undo) of the last of them — as library functions: the command line, the
web desk and the Excel action sheet all call these.

Each action is checked against the item as it stood on the action's day (`on`, default
today): a day in the future, or before the item was registered, is refused, and so is any
action on a voided item. It then appends one event (its command, operator and note), projects
the item again from its events, all in one transaction (a savepoint when the caller has one
open: the action sheet's rows within their file's), and returns what changed, in Chinese.
A refused action raises `ActionError` with the reason; nothing is written.

`preview(lambda: extend(...))` runs the same checks and describes the same result without
recording anything (the action's transaction is rolled back): what the desk and the command
line show before the clerk confirms.

`undo_last` takes back the item's last event while it is an office action (not a unit's file,
not a notice, not another undo); it records an `undo` event, so the days before the undo keep
what the ledger said then.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.cndate import cn_date
from pipeline.ledger import timeline
from pipeline.ledger.ledger import Ledger, LedgerError, now_iso
from pipeline.ledger.timeline import LOOKBACK_FAILED, LOOKBACK_RESULTS, Event
from pipeline.model import FIELD_TITLES, STATUS_DONE, STATUS_NEEDS_HELP, Item

# What `describe` reports of an action, with the titles a clerk reads.
SHOWN_FIELDS = ("unit", "deadline", "status", "done_on", "closed_on", "lookback_on", "voided_on")


class ActionError(LedgerError):
    """The action cannot be done as asked; the message says why (Chinese)."""


@dataclass(frozen=True)
class ActionResult:
    event: Event  # the event recorded
    before: Item  # the item as it stood on the action's day, before it
    after: Item  # and after it
    item: Item  # the item now, at the end of its timeline
    lines: tuple[str, ...]  # what changed, for the clerk

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def reword(message: str, words: tuple[tuple[str, str], ...]) -> str:
    """A refusal worded for the command line (its options) as another front end names them:
    `words` are (the command line's words, theirs)."""
    for cli, other in words:
        message = message.replace(cli, other)
    return message


def _shown(value) -> str:
    if value is None or value == "":
        return "无"
    if isinstance(value, date):
        return cn_date(value)
    return str(value)


def _short(text: str, n: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _changes(before: Item, after: Item) -> list[str]:
    return [f"  {FIELD_TITLES[field]}：{_shown(getattr(before, field))} → {_shown(getattr(after, field))}"
            for field in SHOWN_FIELDS if getattr(before, field) != getattr(after, field)]


def describe(event: Event, before: Item, after: Item) -> tuple[str, ...]:
    """What an action did, in Chinese: the item, then each field it changed (old → new)."""
    label = timeline.kind_label(event.kind)
    lines = [f"{before.id}（{_short(before.problem)}）已{label}，自{cn_date(event.on)}起生效。"]
    lines += _changes(before, after)
    extras = []
    if event.data.get("late"):
        extras.append("原整改时限届满后批准，记为逾期后延期")
    if event.data.get("forced"):
        extras.append("该事项尚未报送完成，记为强制销号")
    if event.data.get("to"):
        extras.append(f"报送：{event.data['to']}")
    if event.data.get("reason"):
        extras.append(f"需协调的问题：{_short(event.data['reason'], 60)}")
    if event.data.get("answer"):
        extras.append(f"上级答复：{_short(event.data['answer'], 60)}")
    if event.data.get("no_evidence"):
        extras.append("该事项没有佐证材料，记为无佐证材料销号")
    if event.data.get("result"):
        extras.append(f"回头看结果：{event.data['result']}")
    if event.note:
        extras.append(f"说明：{event.note}")
    lines += [f"  {text}" for text in extras]
    return tuple(lines)


def _atomic(ledger: Ledger):
    """The action's own transaction, or a savepoint inside the caller's (the action sheet's
    file, applied row by row within the ingest of its file)."""
    return ledger.savepoint() if ledger.in_transaction else ledger.transaction()


def _events(ledger: Ledger, item_id: str, on: date, today: date) -> list[Event]:
    """The item's events, for an action on `on`: refused for an unknown id or a future day."""
    events = ledger.events(item_id)
    if not events:
        raise ActionError(f"台帐中没有编号 {item_id}")
    if on > today:
        raise ActionError(f"{cn_date(on)} 是将来的日期；只能登记今天或以前发生的事")
    return events


def _act(ledger: Ledger, item_id: str, on: date | None, today: date | None, kind: str,
         make: Callable[[Item, date], Event]) -> ActionResult:
    today = today or date.today()
    on = on or today
    with _atomic(ledger):
        events = _events(ledger, item_id, on, today)
        before = timeline.replay(events, on)
        if before is None:
            created = events[0].on
            raise ActionError(f"{item_id} 于 {cn_date(created)} 才登记进台帐，不能登记在 {cn_date(on)}")
        now = timeline.replay(events)
        voided = before.voided_on or (now.voided_on if now else None)
        if voided is not None:
            raise ActionError(f"{item_id} 已于 {cn_date(voided)} 作废，不能再{timeline.kind_label(kind)}")
        event = make(before, on)
        return _record(ledger, event, before, describe)


_previewing: ContextVar[bool] = ContextVar("previewing", default=False)


class _Previewed(Exception):  # not an error: carries a preview out of its transaction
    def __init__(self, result: ActionResult):
        super().__init__()
        self.result = result


def _record(ledger: Ledger, event: Event, before: Item,
            say: Callable[[Event, Item, Item], tuple[str, ...]]) -> ActionResult:
    """Append `event`, project the item again and say what changed; inside the action's
    transaction (a preview ends here, and the transaction is rolled back)."""
    ledger.append_events([event])
    item = ledger.reproject([event.item_id])[event.item_id]
    after = timeline.replay(ledger.events(event.item_id), event.on)
    assert after is not None
    result = ActionResult(event, before, after, item, say(event, before, after))
    if _previewing.get():
        raise _Previewed(result)
    return result


def preview(action: Callable[[], ActionResult]) -> ActionResult:
    """What `action` (a call of one of the actions here) would do, with every check made and the
    same description, recording nothing. A refused action raises `ActionError` as it would."""
    token = _previewing.set(True)
    try:
        action()
    except _Previewed as done:
        return done.result
    finally:
        _previewing.reset(token)
    raise AssertionError("preview() of something that is not an office action")


def _event(kind: str, item: Item, on: date, operator: str | None, note: str | None, **kw) -> Event:
    return Event(item.id, kind, on, now_iso(), command=kind, operator=operator, note=note or None, **kw)


def _done(item: Item) -> bool:
    return item.status == STATUS_DONE or item.closed_on is not None


def _need_note(note: str | None, what: str) -> None:
    if not (note or "").strip():
        raise ActionError(f"{what}须写明理由（--note）")


def extend(ledger: Ledger, item_id: str, *, to: date, note: str, on: date | None = None, late: bool = False,
           operator: str | None = None, today: date | None = None) -> ActionResult:
    """延期 approved on `on`: the new deadline `to` holds from that day; the days before keep
    the old one. Approved after the deadline had passed: only with `late` (recorded so)."""
    _need_note(note, "延期")

    def make(item: Item, day: date) -> Event:
        if item.ongoing or item.deadline is None:
            raise ActionError(f"{item.id} 为长期坚持事项，没有整改时限可延")
        if _done(item):
            raise ActionError(f"{item.id} 已完成，无需延期")
        if to <= item.deadline:
            raise ActionError(f"新时限 {cn_date(to)} 应晚于现时限 {cn_date(item.deadline)}")
        if to < day:
            raise ActionError(f"新时限 {cn_date(to)} 早于批准日期 {cn_date(day)}")
        passed = item.deadline < day
        if passed and not late:
            raise ActionError(f"{item.id} 的整改时限 {cn_date(item.deadline)} 已过；延期应在时限届满前批准。"
                              "确属逾期后批准的，请加 --late，登记为逾期后延期（此前的逾期记录保留）")
        return _event("extend", item, day, operator, note, field="deadline", old=item.deadline, new=to,
                      data={"late": True} if passed else {})

    return _act(ledger, item_id, on, today, "extend", make)


def close(ledger: Ledger, item_id: str, *, note: str | None = None, force: bool = False, on: date | None = None,
          operator: str | None = None, today: date | None = None, requires_evidence: bool = False) -> ActionResult:
    """销号: only an item reported done, unless `force` (recorded as a forced closing). With
    `requires_evidence` (`[rules] close_requires_evidence`: every caller passes it), only an
    item with 佐证材料 by the day of closing, unless `force` with a note (recorded as closed
    without evidence)."""
    def make(item: Item, day: date) -> Event:
        if item.closed_on is not None:
            raise ActionError(f"{item.id} 已于 {cn_date(item.closed_on)} 销号")
        forced = item.status != STATUS_DONE
        if forced and not force:
            raise ActionError(f"{item.id} 尚未报送完成（完成情况：{item.status or '未填'}），不能销号；"
                              "确需销号的请加 --force，登记为强制销号")
        bare = requires_evidence and item.evidence_count == 0
        if bare and not force:
            raise ActionError(f"{item.id} 尚未收到佐证材料，按督查室规定（close_requires_evidence）不能销号；"
                              "请单位报送佐证材料，确需销号的请加 --force 并用 --note 写明理由")
        if bare:
            _need_note(note, "无佐证材料销号")
        data = {"forced": True} if forced else {}
        return _event("close", item, day, operator, note, data=data | ({"no_evidence": True} if bare else {}))

    return _act(ledger, item_id, on, today, "close", make)


def lookback(ledger: Ledger, item_id: str, *, result: str, to: date | None = None, note: str | None = None,
             on: date | None = None, operator: str | None = None, today: date | None = None) -> ActionResult:
    """回头看 on a done or closed item; 反弹 reopens it with the new deadline `to`."""
    if result not in LOOKBACK_RESULTS:
        raise ActionError(f"回头看结果只能是 {'、'.join(LOOKBACK_RESULTS)}，不是“{result}”")
    if result == LOOKBACK_FAILED and to is None:
        raise ActionError("回头看反弹须给出新的整改时限（--to）")
    if result != LOOKBACK_FAILED and to is not None:
        raise ActionError("回头看通过的事项无需新的整改时限（--to 只用于反弹）")

    def make(item: Item, day: date) -> Event:
        if not _done(item):
            raise ActionError(f"{item.id} 尚未完成，回头看只针对已完成或已销号的事项")
        if to is not None and to < day:
            raise ActionError(f"新时限 {cn_date(to)} 早于回头看日期 {cn_date(day)}")
        kw = {"field": "deadline", "old": item.deadline, "new": to} if to is not None else {}
        return _event("lookback", item, day, operator, note, data={"result": result}, **kw)

    return _act(ledger, item_id, on, today, "lookback", make)


def reopen(ledger: Ledger, item_id: str, *, to: date, note: str, on: date | None = None,
           operator: str | None = None, today: date | None = None) -> ActionResult:
    """重新打开: back to 推进中 with the new deadline `to`, not done from `on`, back in the
    unit's 反馈表; its reports count anew."""
    _need_note(note, "重新打开")

    def make(item: Item, day: date) -> Event:
        if not _done(item):
            raise ActionError(f"{item.id} 尚未完成，无需重新打开")
        if to < day:
            raise ActionError(f"新时限 {cn_date(to)} 早于重新打开的日期 {cn_date(day)}")
        return _event("reopen", item, day, operator, note, field="deadline", old=item.deadline, new=to)

    return _act(ledger, item_id, on, today, "reopen", make)


def void(ledger: Ledger, item_id: str, *, note: str, on: date | None = None, operator: str | None = None,
         today: date | None = None) -> ActionResult:
    """作废 (an item entered twice, or in error): out of every count and document from `on`."""
    _need_note(note, "作废")
    return _act(ledger, item_id, on, today, "void",
                     lambda item, day: _event("void", item, day, operator, note))


def reassign(ledger: Ledger, config: Config, item_id: str, *, to: str, note: str, on: date | None = None,
             operator: str | None = None, today: date | None = None) -> ActionResult:
    """移交: the item belongs to the registered unit `to` (name or alias) from `on`."""
    _need_note(note, "移交")
    unit = config.canonical_unit(to.strip())
    if not config.is_registered(unit):
        from pipeline.intake.units import UnitDirectory

        hint = "、".join(UnitDirectory(config).suggest(to))
        raise ActionError(f"“{to}” 不是登记的单位" + (f"，是否应为 {hint}？" if hint else ""))

    def make(item: Item, day: date) -> Event:
        if config.canonical_unit(item.unit) == unit:
            raise ActionError(f"{item.id} 已是 {unit} 的事项")
        return _event("reassign", item, day, operator, note, field="unit", old=item.unit, new=unit)

    return _act(ledger, item_id, on, today, "reassign", make)


# Events the office may take back: those its own actions recorded (not a unit's file, not the
# weekly batch's notices, not the register, not another undo).
_NOT_UNDONE = ("register", "report", "change", "notice", "undo")


def undoable(event: Event | None) -> bool:
    return (event is not None and event.file_id is None and event.command is not None
            and event.kind not in _NOT_UNDONE)


def undo_last(ledger: Ledger, item_id: str, *, on: date | None = None, operator: str | None = None,
              note: str | None = None, today: date | None = None) -> ActionResult:
    """撤销: take back the item's last event, an office action, from `on` (default today, not
    before the action's own day): an `undo` event naming it. The days before `on` keep what the
    ledger said then."""
    today = today or date.today()
    on = on or today
    with _atomic(ledger):
        last = timeline.last_event(events := _events(ledger, item_id, on, today))
        assert last is not None
        label = timeline.kind_label(last.kind)
        if not undoable(last):
            why = "已是一次撤销" if last.kind == "undo" else f"是{label}（{_by(last)}），不是督查室的操作"
            raise ActionError(f"{item_id} 的最后一条记录{why}，不能撤销；只能撤销事项最后一次的督查室操作")
        if on < last.on:
            raise ActionError(f"撤销日期 {cn_date(on)} 早于被撤销的{label}的日期 {cn_date(last.on)}")
        before = timeline.replay(events, on)
        assert before is not None  # the register comes before any office action
        event = Event(item_id, "undo", on, now_iso(), command="undo", operator=operator, note=note or None,
                      data={"event": last.id, "kind": last.kind})

        def say(event: Event, before: Item, after: Item) -> tuple[str, ...]:
            head = f"{item_id}（{_short(before.problem)}）已撤销 {cn_date(last.on)} 的{label}，自{cn_date(on)}起生效。"
            return (head, *_changes(before, after), *([f"  说明：{note}"] if note else []))

        return _record(ledger, event, before, say)


def _by(event: Event) -> str:
    if event.file_id is not None:
        return f"来自报送文件 {event.source}" if event.source else "来自报送文件"
    return "每周批处理" if event.command == "weekly" else "系统登记"


def escalate(ledger: Ledger, item_id: str, *, to: str | None = None, reason: str | None = None,
             note: str | None = None, on: date | None = None, operator: str | None = None,
             today: date | None = None) -> ActionResult:
    """上报上级协调: the office reports the item upward (`to`, e.g. 区人民政府) in writing on `on`.
    From that day the item is 待上级协调 (not overdue, its clock paused) until `answer_escalation`.
    `reason` is what needs the higher level and why; without it the unit's own 整改进展 / 备注 of
    an item it reported 需上级协调 stand in, and with neither the action is refused."""
    def make(item: Item, day: date) -> Event:
        if _done(item):
            raise ActionError(f"{item.id} 已完成或已销号，无需上报上级协调")
        if last_escalation(ledger.events(item.id), day, open_only=True) is not None:
            raise ActionError(f"{item.id} 已上报上级协调，尚未答复；收到答复后请用 --answer 登记")
        why = (reason or "").strip()
        if not why and item.status == STATUS_NEEDS_HELP:
            why = " ".join(t for t in (item.progress, item.remark) if t).strip()
        if not why:
            raise ActionError(f"{item.id} 上报上级协调须写明需协调的问题和原因（--note）")
        return _event("escalate", item, day, operator, note,
                      data={"to": (to or "").strip() or "上级", "reason": why})

    return _act(ledger, item_id, on, today, "escalate", make)


def answer_escalation(ledger: Ledger, item_id: str, *, answer: str, to_date: date | None = None,
                      close: bool = False, note: str | None = None, on: date | None = None,
                      operator: str | None = None, today: date | None = None) -> ActionResult:
    """上级协调答复: the higher level's answer to an item reported upward — either a new deadline
    `to_date` (推进中 again, the clock restarts from it) or `close` (the item is closed)."""
    if not (answer or "").strip():
        raise ActionError("请写明上级的答复意见（--answer）")
    if (to_date is None) == (not close):
        raise ActionError("上级答复须给出新的整改时限（--to-date）或办结销号（--close），二者选一")

    def make(item: Item, day: date) -> Event:
        if item.status != STATUS_NEEDS_HELP or _done(item):
            raise ActionError(f"{item.id} 不在待上级协调状态，无需登记上级答复")
        if to_date is not None and to_date < day:
            raise ActionError(f"新时限 {cn_date(to_date)} 早于答复日期 {cn_date(day)}")
        kw = {"field": "deadline", "old": item.deadline, "new": to_date} if to_date is not None else {}
        return _event("answer", item, day, operator, note, data={"answer": answer.strip(), "close": close}, **kw)

    return _act(ledger, item_id, on, today, "answer", make)


def last_escalation(events: list[Event], day: date | None = None, *, open_only: bool = False) -> Event | None:
    """The item's latest `escalate` event by `day` (None: all) that no undo took back; with
    `open_only`, only one no `answer` followed."""
    found: Event | None = None
    undone = timeline.undone_ids(events, day)
    for event in timeline.ordered(events):
        if day is not None and event.on > day:
            break
        if event.id in undone:  # taken back (sancha undo): as if never recorded
            continue
        if event.kind == "escalate":
            found = event
        elif event.kind == "answer" and open_only:
            found = None
    return found
