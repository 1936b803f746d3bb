"""`sancha inspection add|report|list`: the inspections (三查) and their report deadlines. The
work is in pipeline/ledger/inspections.py."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.actions import _operator
from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.params import as_of_option, day_option, existing_path
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.workdays import PROVISIONAL_MARK, WorkCalendar
from pipeline.errors import UsageError
from pipeline.ledger import inspections as insp
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.standing import load_inspection_records

inspection_app = typer.Typer(name="inspection", help="检查（巡查、督查、考察、第三方评估、审计）：登记、报告、列表。",
                             no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(inspection_app, name="inspection")


def inspection_id(value: str) -> str:
    parsed = insp.parse_inspection_id(value)
    if parsed is None:
        raise UsageError(f"“{value}” 不是检查编号；编号写成 JC2026-01（sancha inspection list 列出已登记的检查）")
    return parsed


def _units(value: str | None) -> list[str]:
    return insp.split_names(value)


@inspection_app.command("add")
def add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help="检查类别：" + "、".join(insp.KINDS), show_default=False)],
    name: Annotated[str, typer.Option("--name", help="检查名称，如 2026年第四季度重点工作督查", show_default=False)],
    start: Annotated[date, day_option("--start", "开始日期 YYYY-MM-DD", today=False)],
    end: Annotated[date, day_option("--end", "结束日期 YYYY-MM-DD（报告于其后第5个工作日前报送）", today=False)],
    form: Annotated[str | None, typer.Option("--form", help="督查方式（仅督查）：" + "、".join(insp.FORMS),
                                             show_default=False)] = None,
    leader: Annotated[str | None, typer.Option("--leader", help="带队领导", show_default=False)] = None,
    group: Annotated[str | None, typer.Option("--group", help="检查组", show_default=False)] = None,
    units: Annotated[str | None, typer.Option("--units", help="被检查单位，逗号分隔（名称或简称）",
                                              show_default=False)] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="表格中该检查的其他写法（可写多次）",
                                                    show_default=False)] = None,
) -> None:
    """登记一次检查，显示其编号；检查组报告于结束后第5个工作日前报送。"""
    ws = get_workspace(ctx)
    from pipeline.intake.units import directory

    known = directory(ws.config)
    names = []
    for unit in _units(units):
        canonical = known.resolve(unit)
        if canonical is None:
            raise UsageError(f"--units 中的 “{unit}” 不是已登记的单位；{known.did_you_mean(unit) or '请核对名称'}")
        names.append(canonical)
    with Ledger.open(ws.db_path) as ledger:
        added = insp.add_inspection(ledger, kind=kind, name=name, start=start, end=end, form=form, leader=leader,
                                    group=group, units=names, aliases=alias or (), operator=_operator())
    cal = WorkCalendar.from_config(ws.config)
    due = insp.report_due(added, cal)
    mark = PROVISIONAL_MARK if cal.spans_provisional(added.end, due) else ""
    console.print(added.id, markup=False)
    console.print(f"已登记{added.kind}“{added.name}”（{cn_date(added.start)}至{cn_date(added.end)}），"
                  f"检查报告应于{cn_date(due)}{mark}前报送。", markup=False)


@inspection_app.command("report")
def report(
    ctx: typer.Context,
    inspection: Annotated[str, typer.Argument(parser=inspection_id, metavar="ID", help="检查编号，如 JC2026-01",
                                              show_default=False)],
    on: Annotated[date, day_option("--on", "报告收到的日期 YYYY-MM-DD，默认今天")],
    file: Annotated[Path | None, typer.Option("--file", parser=existing_path, help="检查报告文件（存档）",
                                              show_default=False)] = None,
) -> None:
    """登记检查组报告的报送日期（可附报告文件，存档备查）。"""
    ws = get_workspace(ctx)
    if on > date.today():
        raise UsageError(f"--on {on.isoformat()} 是将来的日期")
    with Ledger.open(ws.db_path) as ledger:
        archived = insp.archive_report(ws, file, on) if file is not None else None
        done = insp.record_report(ledger, inspection, on=on, archive=archived, operator=_operator())
    cal = WorkCalendar.from_config(ws.config)
    st = insp.report_standing(done, on, cal)
    late = f"，晚于应报日期{cn_date(st.due)}（逾期报送）" if st.late else "，按时报送"
    kept = f"；报告已存档：data/archive/{archived}" if archived else ""
    console.print(f"已登记 {done.id}“{done.name}”的检查报告：{cn_date(on)}收到{late}{kept}。", markup=False)


@inspection_app.command("list")
def list_command(
    ctx: typer.Context,
    day: Annotated[date, as_of_option()],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出已登记的检查：报告期限、是否按时报送、发现的问题及未完成数。"""
    ws = get_workspace(ctx)
    records = load_inspection_records(ws, day)  # kept for the day (issue 20)
    if as_json:
        console.print(json.dumps(records, ensure_ascii=False, indent=2), markup=False)
        return
    if not records:
        console.print("尚未登记检查。登记：sancha inspection add --kind 督查 --name … --start … --end …", markup=False)
        return
    for r in records:
        mark = PROVISIONAL_MARK if r["provisional"] else ""
        report = (f"{r['report_on']} 报送" + ("（逾期）" if r["report_late"] else "") if r["report_on"]
                  else ("未报送（已逾期）" if r["report_late"] else "未报送"))
        kind = r["kind"] + (f"·{r['form']}" if r["form"] else "")
        console.print(f"{r['id']}  {kind}  {r['name']}  {r['start']}至{r['end']}  报告期限 {r['report_due']}{mark}  "
                      f"{report}  问题 {r['items']} 项，未完成 {r['open_items']} 项", markup=False)
