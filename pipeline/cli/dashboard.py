"""`sancha dashboard`: write the offline dashboard page (看板.html). The work is in dashboard.py."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import app, console, get_workspace, parse_day


@app.command("dashboard")
def dashboard_command(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="按哪一天计算，YYYY-MM-DD，默认今天", show_default=False),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="写到哪个文件，默认 outbox/看板.html", show_default=False, dir_okay=False
    ),
) -> None:
    """看板：一个无需联网、双击即可打开和打印的网页，含总体情况、各单位排名、逐周走势和重点督查事项。"""
    from pipeline.output.dashboard import write_dashboard  # here: `sancha --help` need not load it

    ws = get_workspace(ctx)
    path = write_dashboard(ws, parse_day(as_of), output)
    console.print(f"已生成看板：{path}", markup=False)
