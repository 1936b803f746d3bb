"""Commands of the ladder and the evaluation: notices (every notice with its answer) and
score (the year's or a quarter's points per unit, each traced to its event)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.params import as_of_option
from pipeline.errors import UsageError
from pipeline.ledger.standing import load_notice_records

ANSWERED = {True: "已回复", False: "未回复", None: "—"}


TABLE_ROWS = 200  # up to this many notices drawn as a table; more as plain lines (issue 20)
COLUMNS = ("编号", "单位", "级别", "印发日期", "回复期限", "事项", "回复情况")


def _cells(n: dict) -> tuple[str, ...]:
    return (n["number"] or "—", n["unit"] or "各单位", n["level"], n["on"], n["reply_by"] or "—",
            "、".join(n["items"]), ANSWERED[n["answered"]] + (f"（{n['answered_on']}）" if n["answered_on"] else ""))


def notices_lines(notices: list[dict]) -> Table:
    """The table of notices (`Notice.as_json` records)."""
    table = Table(title=f"督办文书（共 {len(notices)} 份）")
    for title in COLUMNS:
        table.add_column(title)
    for n in notices:
        table.add_row(*_cells(n))
    return table


def notices_text(notices: list[dict]) -> str:
    """Every notice as a line of its fields (a city's 3,500 notices drawn as one table took
    seconds: issue 20); the same columns as the table, in the same order."""
    lines = [f"督办文书（共 {len(notices)} 份）", "  ".join(COLUMNS)]
    lines += ["  ".join(_cells(n)) for n in notices]
    return "\n".join(lines)


@app.command()
def notices(
    ctx: typer.Context,
    day: Annotated[date, as_of_option("截至哪一天（回复情况按当日计算），默认今天")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """督办文书：每一份临期提醒单、督办通知单、督办告诫单和问责建议清单，及其编号、单位、事项、回复期限和是否按期回复。"""
    ws = get_workspace(ctx)
    found = load_notice_records(ws, day)  # kept for the day (issue 20)
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if len(found) > TABLE_ROWS:
        typer.echo(notices_text(found))
        return
    console.print(notices_lines(found))


def _quarter(value: str) -> int:
    text = value.strip().upper().removeprefix("Q")
    if text not in ("1", "2", "3", "4"):
        raise UsageError(f"--quarter 只能是 1、2、3 或 4，不是 “{value}”")
    return int(text)


@app.command()
def score(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="考核年度，默认今年", show_default=False)] = 0,
    quarter: Annotated[int | None, typer.Option("--quarter", parser=_quarter, metavar="1-4",
                                                help="只考核该季度", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（不写文件）")] = False,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="写到哪个文件夹，默认 outbox/", show_default=False, file_okay=False)] = None,
) -> None:
    """考核：按年度或季度给各单位计分，每一分都列出对应的事项、日期和依据；写出考核得分表和考核结果通报。"""
    from pipeline.deadlines.scoring import Period
    from pipeline.service.score import load_card, write_scores

    ws = get_workspace(ctx)
    year = year or date.today().year
    if not 2000 <= year <= 2100:
        raise UsageError(f"--year 应是四位年份，例如 2026，不是 {year}")
    period = Period.of(year, quarter)
    if as_json:
        card, _ = load_card(ws, period)
        typer.echo(json.dumps(card.as_json(), ensure_ascii=False, indent=2))
        return
    files = write_scores(ws, period, output)
    table = Table(title=f"{period.title}考核得分")
    for title in ("排名", "单位", "得分", "加减分项"):
        table.add_column(title)
    for u in files.card.units:
        table.add_row(str(u.rank), u.unit, f"{u.score:g}", str(len(u.lines)))
    console.print(table)
    console.print(f"已生成：{files.sheet}\n已生成：{files.circular}", markup=False)
