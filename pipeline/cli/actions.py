"""The office's actions on an item — 延期, 销号, 回头看, 重新打开, 作废, 移交 — each one call of
`pipeline.ledger.actions` (which checks the item as it stood on `--on`, records the event and
says what changed); a refused action is a `Refused` error (exit 1) with the reason."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer

from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.params import ItemIdArgument, day_option
from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.ledger import actions
from pipeline.ledger.actions import ActionResult
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.timeline import LOOKBACK_RESULTS


def _act(ctx: typer.Context, action: Callable[[Ledger, Config, str | None], ActionResult]) -> None:
    ws = get_workspace(ctx)
    with Ledger.open(ws.db_path) as ledger:
        result = action(ledger, ws.config, _operator())
    console.print(result.text, markup=False)


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment
        return None


def lookback_result(value: str) -> str:
    result = value.strip()
    if result not in LOOKBACK_RESULTS:
        raise UsageError(f"--result 只能是 {' 或 '.join(LOOKBACK_RESULTS)}，不是 “{value}”")
    return result


ON_HELP = "生效日期（事情发生的那一天），YYYY-MM-DD，默认今天；不能是将来的日期"
NoteOption = Annotated[str, typer.Option("--note", help="理由或说明（记入事项经过）", show_default=False)]
OptionalNote = Annotated[str | None, typer.Option("--note", help="说明（记入事项经过）", show_default=False)]
OnOption = Annotated[date, day_option("--on", ON_HELP)]


@app.command()
def extend(ctx: typer.Context, item_id: ItemIdArgument,
           to: Annotated[date, day_option("--to", "批准后的新整改时限 YYYY-MM-DD", today=False)],
           note: NoteOption, on: OnOption,
           late: Annotated[bool, typer.Option("--late", help="原时限已过才批准的延期：登记为逾期后延期")] = False,
           ) -> None:
    """登记经批准的延期：新时限自 --on 之日起生效，此前的逾期记录保留；时限已过才批准的须加 --late。"""
    _act(ctx, lambda led, cfg, who: actions.extend(led, item_id, to=to, note=note, on=on, late=late, operator=who))


@app.command()
def close(ctx: typer.Context, item_id: ItemIdArgument, on: OnOption, note: OptionalNote = None,
          force: Annotated[bool, typer.Option(
              "--force", help="尚未报送完成（或按规定尚无佐证材料）的事项也销号（登记为强制销号）")] = False,
          ) -> None:
    """销号：督查室核实整改到位后关闭事项；尚未报送完成的须加 --force；
    规定须有佐证材料而尚无的，须加 --force 并用 --note 写明理由。"""
    _act(ctx, lambda led, cfg, who: actions.close(led, item_id, note=note, force=force, on=on, operator=who,
                                                  requires_evidence=cfg.rules.close_requires_evidence))


@app.command()
def lookback(ctx: typer.Context, item_id: ItemIdArgument,
             result: Annotated[str, typer.Option("--result", parser=lookback_result, metavar="通过|反弹",
                                                 help="回头看结果：通过 或 反弹", show_default=False)],
             on: OnOption,
             to: Annotated[date | None, day_option("--to", "反弹时新的整改时限 YYYY-MM-DD", today=False)] = None,
             note: OptionalNote = None) -> None:
    """回头看（只针对已完成或已销号的事项）：通过，或反弹——事项重新打开，按 --to 的新时限计算。"""
    _act(ctx, lambda led, cfg, who: actions.lookback(led, item_id, result=result, to=to, note=note, on=on,
                                                     operator=who))


@app.command()
def reopen(ctx: typer.Context, item_id: ItemIdArgument,
           to: Annotated[date, day_option("--to", "新的整改时限 YYYY-MM-DD", today=False)],
           note: NoteOption, on: OnOption) -> None:
    """重新打开已完成或已销号的事项：自 --on 之日起恢复为推进中，按新时限计算，重新列入该单位的反馈表。"""
    _act(ctx, lambda led, cfg, who: actions.reopen(led, item_id, to=to, note=note, on=on, operator=who))


@app.command()
def void(ctx: typer.Context, item_id: ItemIdArgument, note: NoteOption, on: OnOption) -> None:
    """作废（重复登记、误登记的事项）：自 --on 之日起不计入任何统计和文书，sancha show 仍可查看。"""
    _act(ctx, lambda led, cfg, who: actions.void(led, item_id, note=note, on=on, operator=who))


@app.command()
def reassign(ctx: typer.Context, item_id: ItemIdArgument,
             to: Annotated[str, typer.Option("--to", help="接收事项的牵头责任单位（名称或简称）", show_default=False)],
             note: NoteOption, on: OnOption) -> None:
    """移交：事项自 --on 之日起由另一个单位牵头。"""
    _act(ctx, lambda led, cfg, who: actions.reassign(led, cfg, item_id, to=to, note=note, on=on, operator=who))
