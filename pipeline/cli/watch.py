"""`sancha watch`: process files as they arrive in inbox/ until stopped. The work is in watch.py."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.app import app, get_workspace
from pipeline.cli.params import seconds


@app.command("watch")
def watch_command(
    ctx: typer.Context,
    polling: Annotated[bool, typer.Option(
        "--polling",
        help="轮询收件箱（共享盘 SMB/NFS 不发送文件事件时使用）；也可在 sancha.toml [watch] 中设置 polling = true",
    )] = False,
    interval: Annotated[float | None, typer.Option(
        "--interval", parser=seconds("--interval", 0.1), metavar="SECONDS", show_default=False,
        help="轮询和检查监视器的间隔秒数，默认取 sancha.toml [watch] interval",
    )] = None,
) -> None:
    """监视收件箱：单位放入的文件写完后即入帐并生成回执，直到 Ctrl-C 或 SIGTERM 停止。"""
    from pipeline.service.watch import configure_logging, watch  # here: `sancha --help` need not load the watcher

    ws = get_workspace(ctx)
    remove_logging = configure_logging(ws)
    try:
        watch(ws, polling=True if polling else None, interval=interval)
    finally:
        remove_logging()
