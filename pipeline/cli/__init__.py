"""The command line: thin. Each command opens the workspace, calls one library function and
prints. User-facing errors (`UserError`, `ConfigError`) become a Chinese message and an exit
code here, never a traceback: 0 fine, 1 a file was rejected / a check failed, 2 usage or
configuration error.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console

from pipeline.config import ConfigError
from pipeline.workspace import Workspace

app = typer.Typer(
    name="sancha",
    help="三查三单台帐：读取各单位报送的三单表，核对、合并进台帐，按工作日计算时限，生成回执、督办通知单和督查通报。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class UserError(Exception):
    """A problem the user can fix; shown as a message with `code` as exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


WORKSPACE_HELP = "工作区目录（含 sancha.toml），默认当前目录"
_workspace_root = Path(".").resolve()  # where an internal error's traceback is logged


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Path = typer.Option(Path("."), "-C", "--workspace", help=WORKSPACE_HELP, show_default=False),
) -> None:
    global _workspace_root
    _workspace_root = workspace.resolve()
    ctx.obj = Workspace(_workspace_root)


def get_workspace(ctx: typer.Context) -> Workspace:
    """The workspace of this invocation, with its configuration loaded (or a clear error)."""
    ws: Workspace = ctx.find_root().obj
    ws.config  # noqa: B018 - load now so a bad sancha.toml fails before any work
    return ws


def parse_day(value: str | None, option: str = "--as-of") -> date:
    """A YYYY-MM-DD option value, or today."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option} 的值 “{value}” 不是日期，请写成 2026-11-30") from None


def _os_error_text(e: OSError) -> str:
    import errno

    reason = {
        errno.ENOSPC: "磁盘空间已满",
        errno.EROFS: "磁盘或共享目录为只读",
        errno.EACCES: "没有写入权限",
        errno.EPERM: "没有写入权限",
    }.get(e.errno, e.strerror or type(e).__name__)
    return f"{reason}（{e.filename}）" if e.filename else reason


def _internal_error_log(error: BaseException) -> Path:
    """Write the traceback of an unexpected error to the workspace's log (else a temp file)."""
    import tempfile
    import traceback

    logs = _workspace_root / "data" / "logs" if (_workspace_root / "sancha.toml").exists() else Path(tempfile.gettempdir())
    path = logs / "sancha-errors.log"
    try:
        logs.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')} sancha {' '.join(sys.argv[1:])}\n")
            fh.write("".join(traceback.format_exception(error)))
    except OSError:
        return Path("（无法写入日志）")
    return path


def _workspace_first(argv: list[str]) -> list[str]:
    """`-C DIR` / `--workspace DIR` may be given after the command too (`sancha ingest -C DIR`):
    move it in front, where the group option is parsed."""
    rest, front, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-C", "--workspace") and i + 1 < len(argv):
            front = [arg, argv[i + 1]]
            i += 2
            continue
        if arg.startswith("--workspace="):
            front = [arg]
        else:
            rest.append(arg)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> int:
    # Windows consoles default to a legacy code page; our output is Chinese.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):
            pass
    from pipeline.cli import commands  # noqa: F401 - registers every command on `app`

    try:
        args = _workspace_first(list(sys.argv[1:] if argv is None else argv))
        rv = app(args=args, prog_name="sancha", standalone_mode=False)
    except UserError as e:
        err_console.print(f"错误：{e}", markup=False)
        return e.code
    except ConfigError as e:
        err_console.print(f"配置错误：{e}", markup=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("已中断。", markup=False)
        return 130
    except OSError as e:  # disk full, read-only share, no permission: the ledger's transactions are intact
        err_console.print(f"文件读写出错：{_os_error_text(e)}。台帐数据未受影响；排除后重新运行同一命令即可补齐。")
        return 1
    except SystemExit as e:
        return int(e.code or 0)
    except Exception as e:
        # Command-line parsing errors. typer ships its own copy of click in newer releases, so
        # they are recognised by shape rather than by class.
        kind = type(e).__name__
        if kind == "Exit":
            return int(getattr(e, "exit_code", 0) or 0)
        if kind == "Abort":
            err_console.print("已中断。")
            return 130
        if callable(getattr(e, "show", None)) and isinstance(getattr(e, "exit_code", None), int):
            e.show()
            return e.exit_code
        log = _internal_error_log(e)
        err_console.print(f"内部错误：{type(e).__name__}: {e}。详细信息已写入 {log}，请交给系统管理员。")
        return 3
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())
