"""Commands that read the ledger: export (JSON, CSV, xlsx), status (the per-unit summary and
the red list as of a date, or its figures as JSON), show (one item, its state as of a day
and its events) and find (items by text or id). The status text is built by
pure functions here so tests can read it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.params import ItemIdArgument, as_of_option, export_format
from pipeline.config import Config
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import RedEntry, StatusFigures, compute_states, total_summary
from pipeline.deadlines.workdays import PROVISIONAL_MARK, WorkCalendar
from pipeline.errors import UsageError
from pipeline.intake.units import UnitDirectory
from pipeline.ledger.inspections import inspection_names
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.search import MAX_PER_PAGE, ItemQuery, search_items
from pipeline.ledger.standing import load_item, load_standing, load_status
from pipeline.model import Item, ItemState
from pipeline.output.export import export_chunks, export_ledger
from pipeline.output.show import show_json, show_lines

PROBLEM_WIDTH = 24  # characters of 整改问题 shown in the red list
UNIT_ROWS = 10  # `sancha status` without --all: the last units of the ranking …
RED_ROWS = 10  # … and the most urgent red-list items (about a screen; issue 20)


@app.command()
def export(
    ctx: typer.Context,
    day: Annotated[date, as_of_option("台帐截至哪一天（当日的事项、进展和状态），默认今天")],
    fmt: Annotated[str, typer.Option(
        "--format", parser=export_format, metavar="json|xlsx|csv", help="json、xlsx 或 csv")] = "json",
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="输出文件；json/csv 默认输出到屏幕", show_default=False)] = None,
) -> None:
    """导出台帐：各事项截至某日的情况和状态（过去的日期即当日台帐的样子）。"""
    ws = get_workspace(ctx)
    now = load_standing(ws, day)
    if fmt == "json":  # record by record (200,000 items are never one string)
        if output is None:
            for chunk in export_chunks(now, ws.config, fmt):
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        with open(output, "wb") as fh:
            for chunk in export_chunks(now, ws.config, fmt):
                fh.write(chunk)
        console.print(f"已导出 {len(now.items)} 项到 {output}")
        return
    data = export_ledger(now, ws.config, fmt, inspection_names(ws) if fmt == "xlsx" else None)
    if fmt == "xlsx":
        output = output or ws.outbox / f"三单工作台帐_{day:%Y%m%d}.xlsx"
    if output is None:
        sys.stdout.write(data.decode("utf-8-sig"))
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(f"已导出 {len(now.items)} 项到 {output}")


@app.command()
def backup(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="备份文件；默认 data/backups/ledger-年月日-时分秒.sqlite", show_default=False)] = None,
) -> None:
    """备份台帐数据库（可在 watch 运行时进行，得到某一时刻的完整副本）；请每天定时运行。"""
    from datetime import datetime

    from pipeline.ledger.ledger import BACKUPS, Ledger

    ws = get_workspace(ctx)
    dest = output or ws.data / BACKUPS / f"ledger-{datetime.now():%Y%m%d-%H%M%S}.sqlite"
    with Ledger.open(ws.db_path) as ledger:
        ledger.backup(dest)
        items, files = (ledger.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("items", "files"))
    console.print(f"已备份台帐到 {dest}（{items} 个事项，{files} 个报送文件）。"
                  f"恢复时停止所有 sancha 程序，把它复制为 {ws.db_path} 即可。")


@app.command("status")
def status_command(
    ctx: typer.Context,
    day: Annotated[date, as_of_option("按哪一天计算（台帐当日的情况），默认今天")],
    unit: Annotated[str | None, typer.Option("--unit", help="只看一个单位（名称或简称）", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（排名、表扬、批评，供脚本使用）")] = False,
    show_all: Annotated[bool, typer.Option("--all", help=(
        f"列出全部单位和全部红色清单事项（默认只列排名最后的 {UNIT_ROWS} 个单位和最紧急的 {RED_ROWS} 项）"))] = False,
) -> None:
    """各单位整改情况汇总（事项、完成、按时、逾期、报告缺失、完成率）和红色清单；默认约一屏，--all 列出全部。"""
    ws = get_workspace(ctx)
    name = resolve_unit(ws.config, unit) if unit else None
    now, whole = load_status(ws, day, unit=name)  # kept in the ledger for the day; the listed rows whole
    if as_json:
        sys.stdout.write(json.dumps(now.as_json(), ensure_ascii=False, indent=2) + "\n")
        return
    for renderable in status_report(now, unit=name, show_all=show_all, whole=whole):
        console.print(renderable)


@app.command()
def show(
    ctx: typer.Context,
    item_id: ItemIdArgument,
    day: Annotated[date, as_of_option("状态按哪一天计算（事项当日的情况），默认今天")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（事项、状态和全部经过，供脚本使用）")] = False,
) -> None:
    """查看一个事项：各项内容、某日的状态，以及登记以来的全部经过（报送、修改、延期、销号……）。"""
    shown = load_item(get_workspace(ctx), item_id, day)
    if as_json:
        sys.stdout.write(json.dumps(show_json(shown), ensure_ascii=False, indent=2) + "\n")
        return
    console.print("\n".join(show_lines(shown)), markup=False)


@app.command()
def find(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="要找的字词或编号，例如 采购、2026-7",
                                        show_default=False)],
    unit: Annotated[str | None, typer.Option("--unit", help="只找一个单位的（名称或简称）", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多列出多少项，默认 50", min=1, max=MAX_PER_PAGE)] = 50,
) -> None:
    """查找事项：整改问题、措施、进展、责任人、备注中含有这些字的，或编号（2026-7 即 2026-0007）。"""
    ws = get_workspace(ctx)
    query = ItemQuery(text=text.strip(), unit=resolve_unit(ws.config, unit) if unit else None, per_page=limit)
    if not query.text:
        raise UsageError("请给出要找的字词或编号，例如 sancha find 采购")
    if not ws.db_path.exists():
        console.print("台帐中还没有事项。", markup=False)
        return
    with Ledger.open(ws.db_path) as ledger:
        found = search_items(ledger, query)
    today = date.today()
    states = compute_states(found.items, today, WorkCalendar.from_config(ws.config), ws.config.rules)
    console.print("\n".join(find_lines(query, found.items, found.total, states)), markup=False)


def find_lines(query: ItemQuery, items: Sequence[Item], total: int, states: dict[str, ItemState]) -> list[str]:
    """What `sancha find` prints: a count, one line per item (id, unit, state, deadline, problem)."""
    where = f"{query.unit}的" if query.unit else ""
    if not items:
        return [f"没有找到{where}含“{query.text}”的事项。"]
    lines = [f"找到 {total} 项{where}含“{query.text}”的事项" + ("：" if total == len(items) else
                                                          f"，列出前 {len(items)} 项（加 --limit 可多列）：")]
    for item in items:
        due = "长期坚持" if item.ongoing else cn_date(item.deadline) if item.deadline else item.deadline_text or "未填"
        lines.append(f"  {item.id}  {item.unit}  {states[item.id].state}  时限 {due}  {shorten(item.problem, 40)}")
    lines.append("查看一项的详情和经过：sancha show 编号")
    return lines


def resolve_unit(config: Config, text: str) -> str:
    units = UnitDirectory(config)
    name = units.resolve(text.strip())
    if name:
        return name
    hint = "、".join(units.suggest(text))
    where = f"，是否应为 {hint}？" if hint else "；单位见 sancha.toml [[units]]"
    raise UsageError(f"--unit “{text}” 不是登记的单位{where}")


# -- sancha status ---------------------------------------------------------------------------


def status_report(now: StatusFigures, unit: str | None = None, show_all: bool = True,
                  whole: Callable[[list[str]], dict[str, Item]] | None = None) -> list:
    """What `sancha status` prints: a heading, the per-unit table, the red list (rich renderables).
    Unless `show_all`, about a screen (issue 20): the last `UNIT_ROWS` units of the ranking (the
    total row still counts every unit) and the `RED_ROWS` most urgent red-list items, each cut
    said in a line that names `--all`. `whole(ids)`: the listed items with their texts."""
    scope = unit or "全部单位"
    as_of = now.as_of
    if not now.total:
        return [f"截至 {as_of.isoformat()}，{scope}在台帐中没有事项。"]
    summaries = list(now.summaries)
    shown_units = summaries if show_all or len(summaries) <= UNIT_ROWS + 2 else summaries[-UNIT_ROWS:]
    out: list = [f"截至 {as_of.isoformat()}，{scope}共 {now.total} 项整改事项。",
                 _summary_table(shown_units, summaries)]
    if len(shown_units) < len(summaries):
        out.append(f"（只列排名最后的 {len(shown_units)} 个单位，另有 {len(summaries) - len(shown_units)} 个单位；"
                   f"sancha status --all 列出全部）")
    red = now.red
    shown_red = red if show_all or len(red) <= RED_ROWS + 2 else red[:RED_ROWS]
    texts = whole([r.id for r in shown_red]) if whole is not None and shown_red else {}
    if red:
        out.append(_red_table(shown_red, texts))
        if len(shown_red) < len(red):
            out.append(f"（红色清单共 {len(red)} 项，只列最紧急的 {len(shown_red)} 项；sancha status --all 列出全部，"
                       f"sancha export 导出全部事项）")
    else:
        out.append("没有逾期事项。")
    if any(r.provisional for r in shown_red):
        out.append(f"标“{PROVISIONAL_MARK}”的天数按暂定日历计算（尚未收录的年份），见 sancha calendar。")
    return out


def _summary_table(shown, summaries) -> Table:
    """The per-unit table of the `shown` summaries, and a total row of all `summaries`."""
    table = Table(title="各单位整改情况", title_justify="left")
    for header in ("排名", "单位", "事项", "已完成", "按时完成", "逾期", "报告缺失", "完成率"):
        table.add_column(header, justify="left" if header == "单位" else "right", no_wrap=header != "单位")
    for s in shown:
        table.add_row(*_summary_cells("—" if s.rank is None else str(s.rank), s))
    table.add_section()
    table.add_row(*_summary_cells("", total_summary(summaries)))
    return table


def _summary_cells(rank: str, s) -> tuple[str, ...]:
    return (rank, s.unit, str(s.items), str(s.done), str(s.done_on_time), str(s.overdue),
            str(s.report_missing), s.completion_percent)


def _red_table(red: Sequence[RedEntry], items: Mapping[str, Item]) -> Table:
    """The red list's rows: each entry's state, its item's problem and deadline (from `items`)."""
    table = Table(title="红色清单（逾期、重点督查）", title_justify="left")
    table.add_column("编号", no_wrap=True)
    table.add_column("单位", no_wrap=True)
    table.add_column("整改问题", min_width=8, ratio=1, overflow="fold")
    table.add_column("整改时限", no_wrap=True)
    table.add_column("逾期工作日", justify="right", no_wrap=True)
    table.add_column("督查标记", no_wrap=True)
    for r in red:
        item = items.get(r.id)
        flags = [label for label, on in (("重点督查", r.key_supervision), ("报告缺失", r.report_missing)) if on]
        table.add_row(
            r.id,
            r.unit,
            shorten(item.problem, PROBLEM_WIDTH) if item else "",
            item.deadline.isoformat() if item and item.deadline else "",
            f"{r.overdue_workdays}{PROVISIONAL_MARK if r.provisional else ''}",
            "\n".join(flags),
        )
    return table


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
