"""The office's actions on items: close (销号), reopen, lookback (回头看), extend (延期)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer

from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.params import ItemIdArgument, ItemIdsArgument, day_option
from pipeline.ledger.ledger import Ledger


def _office_action(ctx: typer.Context, action: Callable[[Ledger], object]) -> None:
    ws = get_workspace(ctx)
    with Ledger.open(ws.db_path) as ledger:
        action(ledger)


@app.command()
def close(ctx: typer.Context, ids: ItemIdsArgument,
          day: Annotated[date, day_option("--on", "销号日期，默认今天")],
          note: Annotated[str | None, typer.Option("--note", help="销号说明", show_default=False)] = None) -> None:
    """销号：督查室核实整改到位后关闭事项（记入事项历史）。"""
    _office_action(ctx, lambda led: led.close_items(ids, day, note))
    console.print(f"已销号：{'、'.join(ids)}")


@app.command()
def reopen(ctx: typer.Context, item_id: ItemIdArgument,
           note: Annotated[str | None, typer.Option("--note", help="说明", show_default=False)] = None) -> None:
    """重新打开已销号的事项。"""
    _office_action(ctx, lambda led: led.reopen_item(item_id, date.today(), note))
    console.print(f"已重新打开：{item_id}")


@app.command()
def lookback(ctx: typer.Context, ids: ItemIdsArgument,
             day: Annotated[date, day_option("--on", "回头看日期，默认今天")],
             note: Annotated[str | None, typer.Option("--note", help="回头看情况", show_default=False)] = None) -> None:
    """登记“回头看”。"""
    _office_action(ctx, lambda led: led.record_lookbacks(ids, day, note))
    console.print(f"已登记回头看：{'、'.join(ids)}")


@app.command()
def extend(ctx: typer.Context, item_id: ItemIdArgument,
           new: Annotated[date, day_option("--to", "批准后的新整改时限 YYYY-MM-DD", today=False)],
           note: Annotated[str, typer.Option("--note", help="延期理由及批准情况", show_default=False)]) -> None:
    """登记经批准的延期：新时限生效，原时限保留在历史中。"""
    _office_action(ctx, lambda led: led.extend_deadline(item_id, new, date.today(), note))
    console.print(f"{item_id} 整改时限已延至 {new:%Y年%m月%d日}")
