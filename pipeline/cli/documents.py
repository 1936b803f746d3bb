"""Commands that write documents: weekly (the batch), report (专题报告), dashboard (看板)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cli.app import app, console, err_console, get_workspace
from pipeline.cli.params import as_of_option
from pipeline.errors import Rejected, UsageError

UP_TO_HELP = "统计截止日期 YYYY-MM-DD，默认今天"


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


@app.command()
def weekly(
    ctx: typer.Context,
    day: Annotated[date, as_of_option(UP_TO_HELP)],
    pdf: Annotated[bool, typer.Option("--pdf", help="同时生成 PDF（需要安装 LibreOffice）")] = False,
    replace: Annotated[bool, typer.Option(
        "--replace", help="覆盖已印发或已修改的本周文件（默认保留原文件，新文件另存为“（重新生成）”）")] = False,
) -> None:
    """每周批处理：读取收件箱，计算状态，生成督查通报、督办通知单、三单工作台帐和各单位反馈表。"""
    from pipeline.service.weekly import run_weekly  # the document stack loads only for commands that need it

    ws = get_workspace(ctx)
    with _progress() as progress:
        result = run_weekly(ws, day, pdf=pdf, progress=progress, replace=replace)
    console.print(result.summary_text, markup=False, end="")
    if result.problems:  # every other document was written; the summary names these
        raise Rejected(f"{len(result.problems)} 项文件未生成或未替换，其余文件已生成（见上方“未生成”）。")


@app.command()
def report(
    ctx: typer.Context,
    day: Annotated[date, as_of_option(UP_TO_HELP)],
    source: Annotated[str | None, typer.Option("--source", help="问题来源，例如 审计、巡查、领导批示（按类别）",
                                               show_default=False)] = None,
    inspection: Annotated[str | None, typer.Option("--inspection", help="检查编号，如 JC2026-01：该次检查发现的问题",
                                                   show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="输出文件，默认 outbox/专题报告_<来源>_<日期>.docx", show_default=False)] = None,
    replace: Annotated[bool, typer.Option("--replace", help="覆盖已印发或已修改的同名专题报告")] = False,
) -> None:
    """专题报告：某一问题来源（如 审计）或某次检查（--inspection）发现问题的整改落实情况，报区政府并向相关单位反馈。"""
    from pipeline.cli.inspections import inspection_id
    from pipeline.service.report import write_special_report  # the document stack loads only when needed

    if (source is None) == (inspection is None):
        raise UsageError("请给出 --source（问题来源）或 --inspection（检查编号）其中之一")
    report = write_special_report(get_workspace(ctx), source, day, output, replace=replace,
                                  inspection=inspection_id(inspection) if inspection else None)
    if report.path:
        console.print(f"已生成专题报告：{report.path}（{report.doc_number}，{report.items} 项）", markup=False)
    console.print(f"已向 {len(report.feedback)} 个单位反馈：文件名含“专题报告反馈”，在各单位的 outbox 文件夹中",
                  markup=False)
    for kept, new in report.kept:
        console.print(f"保留：{kept.name} 已印发或已修改，未覆盖；新文件另存为 {new.name}（如需覆盖请加 --replace）",
                      markup=False)
    for problem in report.problems:
        err_console.print(f"未生成：{problem}", markup=False)
    if report.problems:
        raise Rejected(f"{len(report.problems)} 项文件未生成或未替换，其余文件已生成。")


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


def _month(value: str) -> tuple[str, int, int]:
    import re

    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", value)
    if not m or not 1 <= int(m[2]) <= 12:
        raise UsageError(f"--month 写成 2026-11（年-月），不是 “{value}”")
    return f"{m[1]}-{int(m[2]):02d}", int(m[1]), int(m[2])


def _quarter(value: str) -> tuple[str, int, int]:
    import re

    m = re.fullmatch(r"\s*(\d{4})-?[Qq]([1-4])\s*", value)
    if not m:
        raise UsageError(f"--quarter 写成 2026-Q4（年-Q季度），不是 “{value}”")
    return f"{m[1]}-Q{m[2]}", int(m[1]), int(m[2])


@app.command()
def circular(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help="某月的通报，例如 2026-11", show_default=False)] = None,
    quarter: Annotated[str | None, typer.Option("--quarter", help="某季度的通报，例如 2026-Q4",
                                                show_default=False)] = None,
    replace: Annotated[bool, typer.Option("--replace", help="覆盖已印发或已修改的同期通报")] = False,
) -> None:
    """月度或季度督查通报：按该月（季度）最后一天的情况，与每周通报同一文号和期数序列，并写明本期新登记、办结和督办情况。"""
    from pipeline.deadlines.scoring import Period
    from pipeline.service.period_circular import write_period_circular

    if (month is None) == (quarter is None):
        raise UsageError("请写 --month 2026-11 或 --quarter 2026-Q4，二者选一")
    if month is not None:
        key, year, m = _month(month)
        period = Period.of(year, month=m)
    else:
        key, year, q = _quarter(quarter or "")
        period = Period.of(year, q)
    result = write_period_circular(get_workspace(ctx), key, period, replace=replace)
    if result.path:
        note = "（预览：该期尚未结束，未编号）" if result.preview else f"（{result.doc_number}）"
        console.print(f"已生成{period.title}督查通报：{result.path}{note}", markup=False)
    for problem in result.problems:
        err_console.print(f"未生成：{problem}", markup=False)
    if result.problems:
        raise Rejected("通报未生成或未替换。")
