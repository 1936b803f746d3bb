"""sancha upstream — the levels above (两级联动): export (a township's report to the district),
import (a list from a level that does not run sancha), report (its feedback table). Thin:
the work is in pipeline.upstream."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.intake import _print_findings
from pipeline.cli.params import as_of_option, day_option, existing_path
from pipeline.errors import Rejected
from pipeline.files import write_atomic
from pipeline.workspace import safe_filename

upstream_app = typer.Typer(name="upstream", help="两级联动：向上级报送、导入上级交办清单、按上级格式反馈办理情况。",
                           no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(upstream_app, name="upstream")

OutputOption = Annotated[Path | None, typer.Option("-o", "--output", help="输出文件；默认写入 outbox/",
                                                   show_default=False)]


@upstream_app.command("export")
def export_up(
    ctx: typer.Context,
    day: Annotated[date, as_of_option("报送截至哪一天的情况，YYYY-MM-DD，默认今天")],
    output: OutputOption = None,
) -> None:
    """生成报上级（[upstream]）的三单表：上级交办事项带上级编号，附签章页和本级汇总，放入上级收件箱即可。"""
    from pipeline.upstream.report_up import default_name, upstream_export

    ws = get_workspace(ctx)
    made = upstream_export(ws, day)
    path = output or ws.outbox / safe_filename(default_name(ws.config, day))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, made.data)
    carried = f"，附佐证材料 {made.carried} 份" if made.carried else ""
    above = ws.config.upstream.name if ws.config.upstream else "上级"
    console.print(f"已生成报{above}的报表（{made.items} 项{carried}）：{path}")
    if made.left_out:
        console.print(f"以下 {len(made.left_out)} 份佐证材料放不进报表（超过 {ws.config.limits.max_file_mb:g} MB），"
                      f"请另行报送，放入上级收件箱 inbox/{ws.config.upstream.as_unit if ws.config.upstream else ''}"
                      "/佐证/<上级编号>/：")
        for c in made.left_out:
            console.print(f"  {c.upstream_id}  {c.file.name}", markup=False)


@upstream_app.command("import")
def import_list(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(parser=existing_path, metavar="FILE", help="上级的督办清单（xlsx/xls/csv）",
                                         show_default=False)],
    source: Annotated[str, typer.Option("--from", help="sancha.toml [[upstream_lists]] 中的 name",
                                        show_default=False)],
    day: Annotated[date, day_option("--as-of", "收到日期，YYYY-MM-DD，默认今天")],
) -> None:
    """导入上级（不用 sancha 的，如市政府督查室）交办的督办清单：登记为上级交办事项，保留上级序号。"""
    from pipeline.upstream.city import import_list as run_import

    ws = get_workspace(ctx)
    result = run_import(ws, file, source, day)
    _print_findings(result.findings, f"{result.name}（{'已导入' if result.ok else '未导入'}）")
    if not result.ok:
        console.print("清单有错误，未导入任何事项；请按上表修改后重新导入。")
        raise Rejected()
    console.print(f"已导入 {source} 的清单：新增 {len(result.added)} 项，更新 {len(result.updated)} 项。")


@upstream_app.command("report")
def report_to(
    ctx: typer.Context,
    target: Annotated[str, typer.Option("--to", help="sancha.toml [[upstream_lists]] 中的 name", show_default=False)],
    day: Annotated[date, as_of_option("反馈截至哪一天的办理情况，YYYY-MM-DD，默认今天")],
    output: OutputOption = None,
) -> None:
    """按上级反馈表的列（report_columns）生成其交办事项的办理情况表。"""
    from pipeline.upstream.city import report_list

    ws = get_workspace(ctx)
    data, count = report_list(ws, target, day)
    path = output or ws.outbox / safe_filename(f"{target}_办理情况反馈_{day.isoformat()}.xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    console.print(f"已生成报{target}的办理情况（{count} 项）：{path}")
