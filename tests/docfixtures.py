"""Small ledgers built in code for the document tests (items, states, unit summaries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from builders import make_item

from pipeline.deadlines.states import unit_summary
from pipeline.model import (
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    Item,
    ItemState,
)

AS_OF = date(2026, 11, 30)
NASTY = "A&B<二期> \"引号\" '单引号' ＆（全角）：；“”"
FORMULA = '=HYPERLINK("x")'

def item(item_id: str, unit: str, problem: str, *, deadline=date(2026, 11, 1), status="推进中", ongoing=False,
         co_units=(), **fields) -> Item:
    return make_item(item_id, unit, deadline, status, problem=problem, measures=f"措施：{problem}", ongoing=ongoing,
                     co_units=tuple(co_units), owner="张三", created_on=date(2026, 10, 1),
                     updated_at="2026-10-01T09:00:00", **fields)


def state(item_id: str, st: str, *, overdue=0, missing=False, key=False, lookback=False, provisional=False,
          on_time=None, report_due=date(2026, 11, 4)) -> ItemState:
    return ItemState(item_id=item_id, as_of=AS_OF, state=st, report_due=report_due, overdue_workdays=overdue,
                     report_missing=missing, key_supervision=key, lookback_due=lookback, provisional=provisional,
                     done_on_time=on_time)


def ledger():
    """A small ledger: 财政局 all done on time (commended), 住建局 late and silent (criticised),
    菱湖街道 a yellow and a green item and an ongoing one, 审计局 one audit item with a provisional
    date. Returns items, states and the ranked unit summaries."""
    items = [
        item("2026-0001", "区财政局", "预算执行进度偏慢", done_on=date(2026, 10, 20), status="已完成"),
        item("2026-0002", "区财政局", f"{FORMULA} 与 {NASTY}", done_on=date(2026, 9, 30), status="已完成",
             source="审计"),
        item("2026-0003", "区住房城乡建设局", f"老旧小区改造{NASTY}", deadline=date(2026, 10, 15),
             co_units=("菱湖街道",)),
        item("2026-0004", "区住房城乡建设局", "保障房分配不规范", deadline=date(2026, 11, 20), source="审计"),
        item("2026-0005", "菱湖街道", "背街小巷环境脏乱", deadline=date(2026, 12, 2)),
        item("2026-0006", "菱湖街道", "垃圾分类宣传不到位", deadline=date(2026, 12, 31)),
        item("2026-0007", "菱湖街道", "网格员培训", deadline=None, ongoing=True, status="长期坚持"),
        item("2026-0008", "区审计局", "审计整改台账不全", deadline=date(2027, 1, 8), source="审计"),
    ]
    states = {
        "2026-0001": state("2026-0001", STATE_DONE, on_time=True, lookback=True),
        "2026-0002": state("2026-0002", STATE_CLOSED, on_time=True),
        "2026-0003": state("2026-0003", STATE_OVERDUE, overdue=32, missing=True, key=True,
                           report_due=date(2026, 10, 20)),
        "2026-0004": state("2026-0004", STATE_OVERDUE, overdue=6, report_due=date(2026, 11, 25)),
        "2026-0005": state("2026-0005", STATE_DUE_SOON, report_due=date(2026, 12, 7)),
        "2026-0006": state("2026-0006", STATE_ON_TRACK, report_due=date(2027, 1, 6), provisional=True),
        "2026-0007": state("2026-0007", STATE_ONGOING, report_due=None),
        "2026-0008": state("2026-0008", STATE_ON_TRACK, report_due=date(2027, 1, 13), provisional=True),
    }
    summaries = unit_summary(items, states)
    return items, states, summaries


def with_problem(items, item_id, problem):
    return [replace(i, problem=problem) if i.id == item_id else i for i in items]
