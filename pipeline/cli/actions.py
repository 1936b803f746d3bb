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


@app.command()
def escalate(ctx: typer.Context, item_id: ItemIdArgument, on: OnOption,
             to: Annotated[str | None, typer.Option("--to", help="上报给谁（例如 区人民政府）",
                                                    show_default=False)] = None,
             note: Annotated[str | None, typer.Option("--note", help="需上级协调的问题和原因（单位已写明的可省略）",
                                                      show_default=False)] = None,
             answer: Annotated[str | None, typer.Option("--answer", help="上级的答复意见", show_default=False)] = None,
             to_date: Annotated[date | None, day_option("--to-date", "答复后新的整改时限 YYYY-MM-DD",
                                                        today=False)] = None,
             close: Annotated[bool, typer.Option("--close", help="上级答复后办结销号")] = False) -> None:
    """上报上级协调：--to 登记书面上报（事项转为待上级协调，不计逾期、不受批评）；
    收到答复后用 --answer 登记，并给出新的整改时限（--to-date）或办结销号（--close）。"""
    if answer is None:
        if to_date is not None or close:
            raise UsageError("--to-date 和 --close 只用于登记上级答复，请同时写 --answer")
        if to is None:
            raise UsageError("请用 --to 写明上报给谁（例如 --to 区人民政府），或用 --answer 登记上级答复")
        _act(ctx, lambda led, cfg, who: actions.escalate(led, item_id, to=to, reason=note, on=on, operator=who))
        return
    if to is not None:
        raise UsageError("--to 用于登记上报；登记答复时请只写 --answer 和 --to-date 或 --close")
    _act(ctx, lambda led, cfg, who: actions.answer_escalation(led, item_id, answer=answer, to_date=to_date,
                                                              close=close, note=note, on=on, operator=who))
