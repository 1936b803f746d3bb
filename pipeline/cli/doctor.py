"""`sancha doctor`: check a workspace and say what to fix. The checks are in doctor.py."""

from __future__ import annotations

import json
import sys

import typer
from rich.table import Table

from pipeline.cli import app, console
from pipeline.service.doctor import check_workspace


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
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
            table.add_row(p.code, "错误" if p.severity == "error" else "提示", p.message, p.hint or "")
        console.print(table)
    if problems:
        raise typer.Exit(1)
