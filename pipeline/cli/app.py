"""The typer app every command module registers on, the consoles, and the workspace of an
invocation. Command modules import from here; `pipeline.cli` (main) imports them all."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from pipeline.workspace import Workspace

app = typer.Typer(
    name="sancha",
    help="三查三单台帐：读取各单位报送的三单表，核对、合并进台帐，按工作日计算时限，生成回执、督办通知单和督查通报。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def severity_word(severity: str) -> str:
    """How the tables of findings name a finding's severity."""
    return "错误" if severity == "error" else "提示"


WORKSPACE_HELP = "工作区目录（含 sancha.toml），默认当前目录；可写在命令前或命令后"


def _version(value: bool) -> None:
    if value:
        from pipeline import __version__

        console.print(f"sancha {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Path = typer.Option(Path("."), "-C", "--workspace", help=WORKSPACE_HELP, show_default=False,
                                   metavar="目录"),
    version: bool = typer.Option(False, "--version", help="显示版本并退出", is_eager=True, callback=_version),
) -> None:
    ctx.obj = Workspace(workspace.resolve())


def get_workspace(ctx: typer.Context) -> Workspace:
    """The workspace of this invocation, with its configuration loaded (or a clear error)."""
    ws: Workspace = ctx.find_root().obj
    ws.config  # noqa: B018 - load now so a bad sancha.toml fails before any work
    return ws
