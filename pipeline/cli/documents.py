"""Commands that write documents: weekly (the batch), report (专题报告), dashboard (看板)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cli.app import app, console, err_console, get_workspace
from pipeline.cli.params import as_of_option

UP_TO_HELP = "统计截止日期 YYYY-MM-DD，默认今天"


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


@app.command()
def weekly(
    ctx: typer.Context,
    day: Annotated[date, as_of_option(UP_TO_HELP)],
    pdf: Annotated[bool, typer.Option("--pdf", help="同时生成 PDF（需要安装 LibreOffice）")] = False,
) -> None:
    """每周批处理：读取收件箱，计算状态，生成督查通报、督办通知单、三单工作台帐和各单位反馈表。"""
    from pipeline.service.weekly import run_weekly  # the document stack loads only for commands that need it

    ws = get_workspace(ctx)
    with _progress() as progress:
        result = run_weekly(ws, day, pdf=pdf, progress=progress)
    console.print(result.summary_text, markup=False, end="")


@app.command()
def report(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="问题来源，例如 审计、巡查、领导批示", show_default=False)],
    day: Annotated[date, as_of_option(UP_TO_HELP)],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="输出文件，默认 outbox/专题报告_<来源>_<日期>.docx", show_default=False)] = None,
) -> None:
    """专题报告：某一问题来源（如 审计）全部整改事项的落实情况。"""
    from pipeline.service.report import write_special_report  # the document stack loads only when needed

    report = write_special_report(get_workspace(ctx), source, day, output)
    console.print(f"已生成专题报告：{report.path}（{report.items} 项）", markup=False)


@app.command("dashboard")
def dashboard_command(
    ctx: typer.Context,
    day: Annotated[date, as_of_option()],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="写到哪个文件，默认 outbox/看板.html", show_default=False, dir_okay=False)] = None,
) -> None:
    """看板：一个无需联网、双击即可打开和打印的网页，含总体情况、各单位排名、逐周走势和重点督查事项。"""
    from pipeline.output.dashboard import write_dashboard  # here: `sancha --help` need not load it

    ws = get_workspace(ctx)
    path = write_dashboard(ws, day, output)
    console.print(f"已生成看板：{path}", markup=False)
