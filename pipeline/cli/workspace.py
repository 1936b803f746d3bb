"""Commands that set a workspace up and look after it: init, templates, doctor, calendar."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipeline.cli.app import app, console, get_workspace, severity_word
from pipeline.cli.params import as_of_option, day, year
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.workdays import (
    PACKAGE_YEARS,
    PROVISIONAL_MARK,
    SOURCE_CONFIG,
    SOURCE_PACKAGE,
    SOURCE_PROVISIONAL,
    WorkCalendar,
    provisional_holidays,
)
from pipeline.errors import LedgerLost, Rejected, UsageError
from pipeline.service.doctor import check_workspace
from pipeline.workspace import init_workspace

WARN_FROM_MONTH = 10  # new years reach chinesecalendar between late October and early December

SOURCE_LABELS = {
    SOURCE_PACKAGE: "内置日历（chinesecalendar）",
    SOURCE_CONFIG: "sancha.toml [calendar]",
}
PROVISIONAL_LABEL = "暂定：周末及法定节假日（含补假）推算，不含调休"
WEEKDAYS = "一二三四五六日"


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="新工作区的目录", show_default=False)]) -> None:
    """新建工作区：sancha.toml、inbox/、outbox/、templates/ 和 data/（台帐数据库与归档）。"""
    ws = init_workspace(directory)
    console.print(f"工作区已就绪：{ws.root}")
    console.print(f"下一步：在 {ws.config_path.name} 中登记各单位，然后把报送文件放进 inbox/，运行 sancha ingest。")


@app.command()
def templates(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="覆盖工作区中已有（可能已修改）的模板")] = False,
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


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """检查工作区：配置、单位名称、模板、台帐数据库、工作日历、卡住的文件、文件夹写权限。退出码 1 表示发现问题。"""
    ws = ctx.find_root().obj  # not get_workspace: a broken sancha.toml is one of the findings
    problems = check_workspace(ws)
    if as_json:
        sys.stdout.write(json.dumps({"problems": [p.as_dict() for p in problems]}, ensure_ascii=False, indent=2) + "\n")
    elif not problems:
        console.print(f"工作区 {ws.root} 检查通过。")
    else:
        table = Table(title=f"工作区 {ws.root} 发现 {len(problems)} 个问题", title_justify="left")
        for col in ("代码", "级别", "问题", "处理办法"):
            table.add_column(col, overflow="fold")
        for p in problems:
            table.add_row(p.code, severity_word(p.severity), p.message, p.hint or "")
        console.print(table)
    if any(p.code == "ledger-lost" for p in problems):
        raise LedgerLost()  # exit 2, as every other command then: the table above says what to restore
    if problems:
        raise Rejected()


@app.command("calendar")
def calendar_command(
    ctx: typer.Context,
    as_of: Annotated[date, as_of_option()],
    of_year: Annotated[int | None, typer.Argument(
        metavar="YEAR", parser=year, help="列出该年的放假日和调休上班日", show_default=False)] = None,
    add: Annotated[tuple[str, int] | None, typer.Option(
        "--add", metavar="DATE N", help="推算 DATE 之后第 N 个工作日，例如 --add 2026-09-30 5",
        show_default=False)] = None,
) -> None:
    """工作日历：哪些年份已收录（内置 / sancha.toml / 暂定），下一年是否需要补充放假安排；--add 推算工作日。"""
    config = get_workspace(ctx).config
    cal = WorkCalendar.from_config(config)
    if add is not None:
        start, n = day("--add")(add[0]), add[1]
        if not 0 <= n <= 1000:
            raise UsageError(f"--add 的工作日数 {n} 应在 0 到 1000 之间")
        console.print(add_workdays_line(cal, start, n), markup=False)
        return
    lines = calendar_lines(cal, as_of, of_year)
    console.print("\n".join(lines), markup=False)


def add_workdays_line(cal: WorkCalendar, start: date, n: int) -> str:
    """What `sancha calendar --add DATE N` prints: the N-th working day after DATE (the official
    calendar; a provisional year counted through is marked)."""
    end = cal.add_workdays(start, n)
    mark = PROVISIONAL_MARK if cal.spans_provisional(start, end) else ""
    return f"{cn_date(start)}后第 {n} 个工作日：{cn_date(end)}{mark}（{end.isoformat()}，{_WEEKDAYS[end.weekday()]}）"


_WEEKDAYS = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]


def calendar_lines(cal: WorkCalendar, today: date, year: int | None = None) -> list[str]:
    """What `sancha calendar [YEAR]` prints, as of `today`."""
    if year is not None:
        return _year_lines(cal, year)
    years = sorted({today.year - 1, today.year, today.year + 1, *cal.config_years})
    lines = [f"内置日历 chinesecalendar 收录 {PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]} 年。", "年份  来源"]
    lines += [f"{y}  {_source_label(cal, y)}" for y in years]
    lines += _incomplete_config_lines(cal, years)
    nxt = today.year + 1
    if today.month >= WARN_FROM_MONTH and cal.is_provisional(date(nxt, 1, 1)):
        lines += ["", *next_year_lines(cal, nxt)]
    return lines


def next_year_lines(cal: WorkCalendar, year: int) -> list[str]:
    """The warning for a year not yet covered, with the [calendar] lines to paste."""
    holidays = sorted(cal.holidays | set(cal.days_off(year)))
    workdays = sorted(cal.workdays)
    return [
        f"注意：{year} 年的放假安排尚未收录，涉及 {year} 年的时限均按暂定日历计算并标“{PROVISIONAL_MARK}”。",
        f"国务院办公厅公布 {year} 年部分节假日安排后，升级 chinesecalendar（pip install -U chinesecalendar），",
        "或把 sancha.toml 中 [calendar] 下的两行换成下面两行，再按通知核对放假日、补上调休上班日：",
        "[calendar]",
        _toml_dates("holidays", holidays),
        _toml_dates("workdays", workdays),
    ]


def _year_lines(cal: WorkCalendar, year: int) -> list[str]:
    off, makeup = cal.days_off(year), cal.makeup_workdays(year)
    lines = [f"{year} 年：{_source_label(cal, year)}"]
    lines += _incomplete_config_lines(cal, [year])
    lines.append(f"工作日 {cal.workdays_between(date(year - 1, 12, 31), date(year, 12, 31))} 天")
    lines.append(f"放假（周一至周五）{len(off)} 天：" + ("、".join(_day(d) for d in off) or "无"))
    lines.append(f"调休上班（周六、周日）{len(makeup)} 天：" + ("、".join(_day(d) for d in makeup) or "无"))
    return lines


def _incomplete_config_lines(cal: WorkCalendar, years: Sequence[int]) -> list[str]:
    # A year with only some holidays listed (say 元旦) stays provisional: say why.
    lines = []
    for y in years:
        listed = sum(1 for d in cal.holidays if d.year == y and d.weekday() < 5)
        expected = len(provisional_holidays(y))
        if y in cal.config_years and cal.source(y) == SOURCE_PROVISIONAL:
            lines.append(
                f"注意：sancha.toml 只列了 {y} 年的 {listed} 个工作日放假，按法定节假日推算应有 {expected} 个；"
                "该年仍按暂定日历计算（已列的日期照用）。请按国务院办公厅通知补全。"
            )
    return lines


def _source_label(cal: WorkCalendar, year: int) -> str:
    return SOURCE_LABELS.get(cal.source(year), PROVISIONAL_LABEL)


def _day(d: date) -> str:
    return f"{d.isoformat()}（周{WEEKDAYS[d.weekday()]}）"


def _toml_dates(key: str, dates: Sequence[date]) -> str:
    return f"{key} = [" + ", ".join(f'"{d.isoformat()}"' for d in dates) + "]"
