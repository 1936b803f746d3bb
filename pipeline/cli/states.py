"""`sancha calendar` (which years the working-day calendar knows) and `sancha status` (the
per-unit summary and the red list as of a date). The work is in workdays.py and states.py;
the text is built by pure functions here so tests can read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import typer
from rich.table import Table

from pipeline.cli import UserError, app, console, get_workspace, parse_day
from pipeline.config import Config
from pipeline.deadlines.states import compute_states, total_summary, unit_summary
from pipeline.deadlines.workdays import (
    PACKAGE_YEARS,
    PROVISIONAL_MARK,
    SOURCE_CONFIG,
    SOURCE_PACKAGE,
    SOURCE_PROVISIONAL,
    WorkCalendar,
    provisional_holidays,
)
from pipeline.intake.units import UnitDirectory
from pipeline.model import STATE_OVERDUE, Item, ItemState

PROBLEM_WIDTH = 24  # characters of 整改问题 shown in the red list
WARN_FROM_MONTH = 10  # new years reach chinesecalendar between late October and early December

SOURCE_LABELS = {
    SOURCE_PACKAGE: "内置日历（chinesecalendar）",
    SOURCE_CONFIG: "sancha.toml [calendar]",
}
PROVISIONAL_LABEL = "暂定：周末及法定节假日（含补假）推算，不含调休"
WEEKDAYS = "一二三四五六日"

AS_OF_HELP = "按哪一天计算，YYYY-MM-DD，默认今天"


@app.command("calendar")
def calendar_command(
    ctx: typer.Context,
    year: int | None = typer.Argument(None, help="列出该年的放假日和调休上班日", show_default=False),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
) -> None:
    """工作日历：哪些年份已收录（内置 / sancha.toml / 暂定），以及下一年是否需要补充放假安排。"""
    config = get_workspace(ctx).config
    if year is not None and not 1900 <= year <= 2200:
        raise UserError(f"年份 {year} 超出范围，请写成 2027 这样的四位年份")
    lines = calendar_lines(WorkCalendar.from_config(config), parse_day(as_of), year)
    console.print("\n".join(lines), markup=False)


@app.command("status")
def status_command(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP, show_default=False),
    unit: str | None = typer.Option(None, "--unit", help="只看一个单位（名称或简称）", show_default=False),
) -> None:
    """各单位整改情况汇总（事项、完成、按时、逾期、报告缺失、完成率）和红色清单。"""
    ws = get_workspace(ctx)
    day = parse_day(as_of)
    name = resolve_unit(ws.config, unit) if unit else None
    items: list[Item] = []
    if ws.db_path.exists():  # a fresh workspace has no ledger yet; don't create one to read it
        from pipeline.ledger.ledger import Ledger

        with Ledger.open(ws.db_path) as ledger:
            items = ledger.items(name)
    for renderable in status_report(items, day, ws.config, unit=name):
        console.print(renderable)


def resolve_unit(config: Config, text: str) -> str:
    units = UnitDirectory(config)
    name = units.resolve(text.strip())
    if name:
        return name
    hint = "、".join(units.suggest(text))
    raise UserError(f"--unit “{text}” 不是登记的单位" + (f"，是否应为 {hint}？" if hint else "；单位见 sancha.toml [[units]]"))


# -- sancha calendar -------------------------------------------------------------------------


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


# -- sancha status ---------------------------------------------------------------------------


def status_report(items: Sequence[Item], as_of: date, config: Config, unit: str | None = None) -> list:
    """What `sancha status` prints: a heading, the per-unit table, the red list (rich renderables)."""
    scope = unit or "全部单位"
    if not items:
        return [f"截至 {as_of.isoformat()}，{scope}在台帐中没有事项。"]
    cal = WorkCalendar.from_config(config)
    states = compute_states(items, as_of, cal, config.rules)
    summaries = unit_summary(items, states)
    out: list = [f"截至 {as_of.isoformat()}，{scope}共 {len(items)} 项整改事项。", _summary_table(summaries)]
    red = sorted(
        (i for i in items if states[i.id].state == STATE_OVERDUE or states[i.id].key_supervision),
        key=lambda i: (not states[i.id].key_supervision, -states[i.id].overdue_workdays, i.unit, i.id),
    )
    if red:
        out.append(_red_table(red, states))
    else:
        out.append("没有逾期事项。")
    if any(states[i.id].provisional for i in red):
        out.append(f"标“{PROVISIONAL_MARK}”的天数按暂定日历计算（尚未收录的年份），见 sancha calendar。")
    return out


def _summary_table(summaries) -> Table:
    table = Table(title="各单位整改情况", title_justify="left")
    for header in ("排名", "单位", "事项", "已完成", "按时完成", "逾期", "报告缺失", "完成率"):
        table.add_column(header, justify="left" if header == "单位" else "right", no_wrap=header != "单位")
    for s in summaries:
        table.add_row(*_summary_cells(str(s.rank), s))
    table.add_section()
    table.add_row(*_summary_cells("", total_summary(summaries)))
    return table


def _summary_cells(rank: str, s) -> tuple[str, ...]:
    return (rank, s.unit, str(s.items), str(s.done), str(s.done_on_time), str(s.overdue),
            str(s.report_missing), s.completion_percent)


def _red_table(items: Sequence[Item], states: dict[str, ItemState]) -> Table:
    table = Table(title="红色清单（逾期、重点督查）", title_justify="left")
    table.add_column("编号", no_wrap=True)
    table.add_column("单位", no_wrap=True)
    table.add_column("整改问题", min_width=8, ratio=1, overflow="fold")
    table.add_column("整改时限", no_wrap=True)
    table.add_column("逾期工作日", justify="right", no_wrap=True)
    table.add_column("督查标记", no_wrap=True)
    for item in items:
        st = states[item.id]
        flags = [label for label, on in (("重点督查", st.key_supervision), ("报告缺失", st.report_missing)) if on]
        table.add_row(
            item.id,
            item.unit,
            shorten(item.problem, PROBLEM_WIDTH),
            item.deadline.isoformat() if item.deadline else "",
            f"{st.overdue_workdays}{PROVISIONAL_MARK if st.provisional else ''}",
            "\n".join(flags),
        )
    return table


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
