"""Commands that write documents: weekly, report, templates."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cli import UserError, app, console, err_console, get_workspace, parse_day


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=True)


@app.command()
def weekly(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="统计截止日期 YYYY-MM-DD，默认今天"),
    pdf: bool = typer.Option(False, "--pdf", help="同时生成 PDF（需要安装 LibreOffice）"),
    replace: bool = typer.Option(
        False, "--replace", help="覆盖已印发或已修改的本周文件（默认保留原文件，新文件另存为“（重新生成）”）"),
) -> None:
    """每周批处理：读取收件箱，计算状态，生成督查通报、督办通知单、三单工作台帐和各单位反馈表。"""
    from pipeline.output.documents import render  # the document stack loads only for commands that need it
    from pipeline.service.weekly import BatchRunning, run_weekly

    ws = get_workspace(ctx)
    day = parse_day(as_of)
    try:
        with _progress() as progress:
            result = run_weekly(ws, day, pdf=pdf, progress=progress, replace=replace)
    except BatchRunning as e:
        raise UserError(str(e), code=1) from None
    except render.DocumentError as e:  # a missing template is set-up (2); a refused write is not (1)
        raise UserError(str(e), code=1 if isinstance(e, render.DocumentWriteError) else 2) from None
    console.print(result.summary_text, markup=False, end="")
    if result.problems:
        raise UserError(f"{len(result.problems)} 项文件未生成或未替换，其余文件已生成（详见上方“未生成”）。", code=1)


@app.command()
def report(
    ctx: typer.Context,
    source: str = typer.Option(..., "--source", help="问题来源，例如 审计、巡查、领导批示"),
    as_of: str | None = typer.Option(None, "--as-of", help="统计截止日期 YYYY-MM-DD，默认今天"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="输出文件，默认 outbox/专题报告_<来源>_<日期>.docx"),
    replace: bool = typer.Option(False, "--replace", help="覆盖已印发或已修改的同名专题报告"),
) -> None:
    """专题报告：某一问题来源（如 审计）全部整改事项的落实情况，报区政府，并向相关单位反馈。"""
    from pipeline.output.documents import render
    from pipeline.service.report import NothingToReport, write_report

    ws = get_workspace(ctx)
    day = parse_day(as_of)
    try:
        result = write_report(ws, source, day, output=output, replace=replace)
    except NothingToReport as e:
        raise UserError(str(e), code=1) from None
    except render.DocumentError as e:  # a missing template is set-up (2); a refused write is not (1)
        raise UserError(str(e), code=1 if isinstance(e, render.DocumentWriteError) else 2) from None
    if result.report:
        console.print(f"已生成专题报告：{result.report}（{result.doc_number}，{result.items} 项）", markup=False)
    console.print(f"已向 {len(result.feedback)} 个单位反馈：文件名含“专题报告反馈”，在各单位的 outbox 文件夹中",
                  markup=False)
    for kept, new in result.kept:
        console.print(f"保留：{kept.name} 已印发或已修改，未覆盖；新文件另存为 {new.name}（如需覆盖请加 --replace）",
                      markup=False)
    if result.problems:
        for problem in result.problems:
            err_console.print(f"未生成：{problem}", markup=False)
        raise UserError(f"{len(result.problems)} 项文件未生成或未替换，其余文件已生成。", code=1)


@app.command()
def templates(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="覆盖工作区中已有（可能已修改）的模板"),
) -> None:
    """把默认的 Word 模板（督查通报、督办通知单、专题报告、专题报告反馈）写入工作区的 templates/ 目录。"""
    from pipeline.output.documents import render
    from pipeline.output.documents.templates import write_default_templates

    ws = get_workspace(ctx)
    written = write_default_templates(ws.templates, force=force, fonts=ws.config.fonts)
    for path in written:
        console.print(f"已写入 {path}", markup=False)
    kept = [n for n in render.template_names() if (ws.templates / n) not in written]
    if kept:
        console.print(f"已保留现有模板：{'、'.join(kept)}（用 --force 覆盖）", markup=False)
