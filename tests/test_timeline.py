"""An item's life as events, replayed purely: the item as it stood on any day, table-driven; and
the ledger's readers (the projection, the fast standing of a day) agree with the replay."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from builders import make_config

from pipeline.deadlines.states import compute_states
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger import timeline
from pipeline.ledger.ledger import Ledger, item_values
from pipeline.ledger.timeline import REGISTER_FIELDS, Event, register_data, replay
from pipeline.ledger.view import items_on, standing_on
from pipeline.model import STATUS_DONE, STATUS_IN_PROGRESS, Item, field_day

D = date
ID = "2026-0001"


def registered(on=D(2026, 11, 2), deadline=D(2026, 11, 30), status=STATUS_IN_PROGRESS, **kw) -> Event:
    item = Item(id=ID, unit="区财政局", co_units=("区审计局",), source="督查", problem="验收不及时", measures="建台账",
                deadline=deadline, deadline_text=deadline.isoformat() if deadline else "长期坚持",
                ongoing=deadline is None, owner="张明", progress=None, status=status, done_on=None, remark=None,
                created_on=on, updated_at=f"{on.isoformat()}T09:00:00", last_report_on=on, **kw)
    return Event(ID, "register", on, item.updated_at, file_id=1,
                 data=register_data({f: getattr(item, f) for f in REGISTER_FIELDS}))


def ev(kind, on, field=None, old=None, new=None, **data) -> Event:
    return Event(ID, kind, on, f"{on.isoformat()}T10:00:00", field=field, old=old, new=new, data=data)


def life(*events: Event) -> list[Event]:
    """Events numbered in the order given (as recorded), then in replay order."""
    numbered = [Event(**{**{f: getattr(e, f) for f in Event.__slots__}, "id": n}) for n, e in enumerate(events, 1)]
    return timeline.ordered(numbered)


def at(events: list[Event], day: date | None = None) -> Item:
    item = replay(events, day)
    assert item is not None
    return item


DONE = (ev("change", D(2026, 11, 20), "status", STATUS_IN_PROGRESS, STATUS_DONE),
        ev("change", D(2026, 11, 20), "done_on", None, D(2026, 11, 19)), ev("report", D(2026, 11, 20)))


@pytest.mark.parametrize(("events", "day", "expected"), [
    # before its register an item does not exist
    ((registered(),), D(2026, 11, 1), None),
    ((registered(),), D(2026, 11, 2), {"status": STATUS_IN_PROGRESS, "last_report_on": D(2026, 11, 2),
                                        "report_on": None}),
    # a change takes effect on its day, not before
    ((registered(), *DONE), D(2026, 11, 19), {"status": STATUS_IN_PROGRESS, "done_on": None}),
    ((registered(), *DONE), D(2026, 11, 20), {"status": STATUS_DONE, "done_on": D(2026, 11, 19),
                                               "report_on": D(2026, 11, 20), "last_report_on": D(2026, 11, 20)}),
    # a report before the deadline does not count for it; on the deadline day it does
    ((registered(), ev("report", D(2026, 11, 27))), None, {"last_report_on": D(2026, 11, 27), "report_on": None}),
    ((registered(), ev("report", D(2026, 11, 30))), None, {"report_on": D(2026, 11, 30)}),
    # an extension: the old deadline before its day, the new one from it; reports before the
    # new deadline do not count for it
    ((registered(), ev("report", D(2026, 12, 1)), ev("extend", D(2026, 12, 10), "deadline", D(2026, 11, 30),
                                                     D(2026, 12, 31), late=True)),
     D(2026, 12, 9), {"deadline": D(2026, 11, 30), "report_on": D(2026, 12, 1), "original_deadline": None}),
    ((registered(), ev("report", D(2026, 12, 1)), ev("extend", D(2026, 12, 10), "deadline", D(2026, 11, 30),
                                                     D(2026, 12, 31), late=True)),
     D(2026, 12, 10), {"deadline": D(2026, 12, 31), "deadline_text": "2026年12月31日（延期）", "report_on": None,
                       "original_deadline": D(2026, 11, 30)}),
    # closed from its day
    ((registered(), *DONE, ev("close", D(2026, 11, 25))), D(2026, 11, 24), {"closed_on": None}),
    ((registered(), *DONE, ev("close", D(2026, 11, 25))), D(2026, 11, 25), {"closed_on": D(2026, 11, 25)}),
    # reopened: not done, not closed, a new deadline, reports counted anew
    ((registered(), *DONE, ev("close", D(2026, 11, 25)), ev("reopen", D(2026, 12, 2), "deadline",
                                                           D(2026, 11, 30), D(2026, 12, 20))),
     D(2026, 12, 2), {"status": STATUS_IN_PROGRESS, "done_on": None, "closed_on": None, "deadline": D(2026, 12, 20),
                      "reopened_on": D(2026, 12, 2), "report_on": None, "original_deadline": D(2026, 11, 30)}),
    # 回头看 反弹 reopens it as well; 通过 only records the day
    ((registered(), *DONE, ev("lookback", D(2026, 12, 21), "deadline", D(2026, 11, 30), D(2027, 1, 15),
                              result="反弹")),
     None, {"status": STATUS_IN_PROGRESS, "deadline": D(2027, 1, 15), "lookback_on": D(2026, 12, 21)}),
    ((registered(), *DONE, ev("lookback", D(2026, 12, 21), result="通过")), None,
     {"status": STATUS_DONE, "lookback_on": D(2026, 12, 21)}),
    # voided and reassigned from their days
    ((registered(), ev("void", D(2026, 11, 10))), D(2026, 11, 9), {"voided_on": None}),
    ((registered(), ev("void", D(2026, 11, 10))), D(2026, 11, 10), {"voided_on": D(2026, 11, 10)}),
    ((registered(), ev("reassign", D(2026, 11, 10), "unit", "区财政局", "区审计局")), D(2026, 11, 9),
     {"unit": "区财政局"}),
    ((registered(), ev("reassign", D(2026, 11, 10), "unit", "区财政局", "区审计局")), None, {"unit": "区审计局"}),
    # a notice changes nothing; a legacy reopen (before events) only undid the closing
    ((registered(), ev("notice", D(2026, 12, 7), week="2026-W50")), None, {"updated_at": "2026-11-02T09:00:00"}),
    ((registered(), *DONE, ev("close", D(2026, 11, 25)), ev("reopen", D(2026, 11, 26), legacy=True)), None,
     {"status": STATUS_DONE, "closed_on": None, "deadline": D(2026, 11, 30)}),
    # an item registered reported done: that report counts
    ((registered(status=STATUS_DONE),), None, {"report_on": D(2026, 11, 2)}),
])
def test_the_item_as_it_stood_on_a_day(events, day, expected):
    item = replay(life(*events), day)
    if expected is None:
        assert item is None
    else:
        assert {k: getattr(item, k) for k in expected} == expected


def test_events_apply_by_their_day_whatever_the_order_they_were_recorded_in():
    late_close = life(registered(), *DONE, ev("change", D(2026, 12, 5), "progress", None, "已验收"),
                      ev("close", D(2026, 11, 25)))  # recorded last, effective before the progress change
    assert [e.kind for e in late_close][-2:] == ["close", "change"]
    assert at(late_close, D(2026, 11, 30)).closed_on == D(2026, 11, 25)
    assert at(late_close, D(2026, 11, 30)).progress is None
    assert at(late_close).progress == "已验收"


def test_an_undo_takes_an_event_back_from_its_own_day():
    events = life(registered(), ev("close", D(2026, 11, 25)))
    close_id = events[-1].id
    undone = [*events, Event(ID, "undo", D(2026, 11, 27), "2026-11-27T10:00:00", data={"event": close_id}, id=9)]
    assert at(undone, D(2026, 11, 26)).closed_on == D(2026, 11, 25)  # what the ledger said that day
    assert at(undone).closed_on is None
    last = timeline.last_event(undone)
    assert last is not None and last.kind == "undo"


def test_every_field_an_event_sets_keeps_its_day_for_stale_values():
    item = at(life(registered(), *DONE, ev("extend", D(2026, 11, 25), "deadline", D(2026, 11, 30), D(2026, 12, 31))))
    assert field_day(item, "status") == D(2026, 11, 20) and field_day(item, "deadline") == D(2026, 11, 25)
    assert field_day(item, "progress") is None


def test_a_value_from_a_file_keeps_the_day_the_file_was_made_for_stale_values():
    item = at(life(registered(), ev("change", D(2026, 11, 20), "progress", None, "已推进", made_on="2026-11-16")))
    assert field_day(item, "progress") == D(2026, 11, 16) and item.progress == "已推进"


def test_kinds_are_declared_once_with_a_label_and_unknown_kinds_are_refused():
    assert {"register", "report", "change", "extend", "close", "lookback", "reopen", "void", "reassign", "notice",
            "undo"} <= set(timeline.KINDS)
    assert timeline.kind_label("extend") == "延期" and timeline.kind_label("void") == "作废"
    with pytest.raises(ValueError, match="declared twice"):
        timeline.event_kind("close", "销号")(lambda draft, event: None)
    with pytest.raises(ValueError, match="not declared"):
        replay(life(registered(), ev("mystery", D(2026, 11, 5))))


def test_values_travel_as_json_and_come_back_typed():
    for field, value in (("deadline", D(2026, 12, 31)), ("co_units", ("区审计局", "各乡镇街道")), ("ongoing", True),
                         ("progress", '=HYPERLINK("x") A&B<二期>'), ("done_on", None)):
        assert timeline.decode(field, timeline.encode(value)) == (value if value is not None else None)


# -- the readers agree with the replay -------------------------------------------------------------

UNITS = ("区财政局", "区住房城乡建设局", "菱湖街道", "区审计局")


def random_ledger(ledger: Ledger, seed: int, n: int = 60) -> None:
    """Items with random lives (reports, changes, extensions, closings, reopenings, voids, moves)."""
    rng = random.Random(seed)
    start = D(2026, 9, 1)
    with ledger.transaction():
        items, events = [], []
        for k in range(1, n + 1):
            created = start + timedelta(days=rng.randint(0, 60))
            deadline = None if rng.random() < 0.1 else created + timedelta(days=rng.randint(0, 60))
            item = Item(id=f"2026-{k:04d}", unit=rng.choice(UNITS), co_units=(), source="督查", problem=f"问题{k}",
                        measures="措施", deadline=deadline, deadline_text=str(deadline or "长期坚持"),
                        ongoing=deadline is None, owner=None, progress=None, status=STATUS_IN_PROGRESS, done_on=None,
                        remark=None, created_on=created, updated_at=f"{created}T09:00:00", last_report_on=created)
            items.append((item, item.problem))
            day, done, dl = created, False, deadline
            for m in range(rng.randint(0, 9)):
                day += timedelta(days=rng.randint(0, 12))
                at = f"{day}T1{m}:00:00"
                roll = rng.random()
                if roll < 0.25:
                    events.append(Event(item.id, "report", day, at))
                elif roll < 0.45:
                    events.append(Event(item.id, "change", day, at, field="progress", new=f"进展{m}"))
                elif roll < 0.55 and not done:
                    events += [Event(item.id, "change", day, at, field="status", old=STATUS_IN_PROGRESS,
                                     new=STATUS_DONE), Event(item.id, "change", day, at, field="done_on", new=day),
                               Event(item.id, "report", day, at)]
                    done = True
                elif roll < 0.65 and dl is not None and not done:
                    new = max(dl, day) + timedelta(days=rng.randint(1, 30))
                    events.append(Event(item.id, "extend", day, at, field="deadline", old=dl, new=new))
                    dl = new
                elif roll < 0.72 and done:
                    events.append(Event(item.id, "close", day, at))
                elif roll < 0.8 and done:
                    dl = day + timedelta(days=rng.randint(0, 30))
                    events.append(Event(item.id, "reopen", day, at, field="deadline", new=dl))
                    done = False
                elif roll < 0.85:
                    events.append(Event(item.id, "reassign", day, at, field="unit", new=rng.choice(UNITS)))
                elif roll < 0.88:
                    events.append(Event(item.id, "void", day, at))
                else:
                    events.append(Event(item.id, "notice", day, at, data={"week": str(day)}))
        ledger.insert_items(items)
        ledger.append_events(events)
        ledger.reproject([i.id for i, _ in items])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_projection_the_day_view_and_the_fast_standing_all_agree_with_the_replay(tmp_path, seed):
    config = make_config()
    cal = WorkCalendar.from_config(config)
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        random_ledger(ledger, seed)
        for item in ledger.items():
            assert item_values(at(ledger.events(item.id))) == item_values(item)
        for day in (D(2026, 8, 31), D(2026, 9, 15), D(2026, 10, 1), D(2026, 10, 20), D(2026, 11, 11),
                    D(2026, 12, 3), D(2027, 3, 1)):
            expected = [i for i in (replay(ledger.events(i.id), day) for i in ledger.items())
                        if i is not None and (i.voided_on is None or i.voided_on > day)]
            full = items_on(ledger, config, day)
            assert [item_values(i) for i in full] == [item_values(i) for i in expected]
            fast, fast_states = standing_on(ledger, config, day)
            assert [i.id for i in fast] == [i.id for i in expected]
            assert fast_states == compute_states(expected, day, cal, config.rules)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_items_of_every_event_day_in_one_pass_are_the_replays_of_those_days(tmp_path, seed):
    """`replay_days` (what `sancha score` reads each item's life with) and the ledger's
    `events_until` agree with `replay` on every day, undo included; a day between event days
    is the latest event day's item."""
    from pipeline.deadlines.scoring import _AsOf

    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        random_ledger(ledger, seed)
        ids = [i.id for i in ledger.items()]
        with ledger.transaction():  # an undo taking back one event of the first item
            first = ledger.events(ids[0])
            ledger.append_events([Event(ids[0], "undo", first[-1].on, "2027-01-01T09:00:00",
                                        data={"event": first[-1].id})])
        read: dict[str, list[Event]] = {}
        for e in ledger.events_until(D(2026, 12, 31), keep=timeline.TEXT_FIELDS):
            read.setdefault(e.item_id, []).append(e)
        lean: dict[str, list[Event]] = {}  # without the texts no state reads: the same states
        for e in ledger.events_until(D(2026, 12, 31), keep=("co_units",)):
            lean.setdefault(e.item_id, []).append(e)
        assert not [e for events in lean.values() for e in events if e.field == "progress"]
        config = make_config()
        cal = WorkCalendar.from_config(config)
        for day in (D(2026, 9, 15), D(2026, 11, 11), D(2026, 12, 31)):
            full = [i for i in (replay(read[k], day) for k in ids) if i is not None]
            thin = [i for i in (replay(lean[k], day) for k in ids) if i is not None]
            assert compute_states(thin, day, cal, config.rules) == compute_states(full, day, cal, config.rules)
            assert [(i.unit, i.co_units) for i in thin] == [(i.unit, i.co_units) for i in full]
        for item_id in ids:
            events = [e for e in ledger.events(item_id) if e.on <= D(2026, 12, 31)]
            assert [(e.id, e.kind, e.on, e.field, e.new, dict(e.data), e.source) for e in read[item_id]] == [
                (e.id, e.kind, e.on, e.field, e.new, dict(e.data), e.source) for e in events]
            days, items = timeline.replay_days(read[item_id])
            assert days == sorted({e.on for e in events})
            assert [item_values(i) if i else None for i in items] == [
                item_values(i) if (i := replay(events, d)) else None for d in days]
            as_of = _AsOf(days, items)
            for d in (days[0] - timedelta(days=1), days[0] + timedelta(days=3), days[-1] + timedelta(days=9)):
                got, expected = as_of(d), replay(events, d)
                assert (item_values(got) if got else None) == (item_values(expected) if expected else None)
