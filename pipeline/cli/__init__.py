"""The command line: thin. Each command opens the workspace, calls one library function and
prints. User-facing errors (`UserError`, `ConfigError`) become a Chinese message and an exit
code here, never a traceback: 0 fine, 1 a file was rejected / a check failed, 2 usage or
configuration error.

One module per group of commands, all registered on `app` (cli/app.py):
workspace (init, templates, doctor, calendar), intake (ingest, check), ledger (export, status,
show), actions (close, reopen, lookback, extend), documents (weekly, report, dashboard), watch.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

# Registers the commands, in the order `sancha --help` lists them.
# isort: off
from pipeline.cli import workspace, intake, ledger, actions, documents, watch  # noqa: F401
# isort: on
from pipeline.cli.app import UserError, app, err_console
from pipeline.config import ConfigError

__all__ = ["app", "main", "run"]


def _os_error_text(e: OSError) -> str:
    import errno

    reason = {
        errno.ENOSPC: "磁盘空间已满",
        errno.EROFS: "磁盘或共享目录为只读",
        errno.EACCES: "没有写入权限",
        errno.EPERM: "没有写入权限",
    }.get(e.errno, e.strerror or type(e).__name__)
    return f"{reason}（{e.filename}）" if e.filename else reason


def _internal_error_log(error: BaseException, root: Path) -> Path:
    """Write the traceback of an unexpected error to the workspace's log (else a temp file)."""
    import tempfile
    import traceback

    logs = root / "data" / "logs" if (root / "sancha.toml").exists() else Path(tempfile.gettempdir())
    path = logs / "sancha-errors.log"
    try:
        logs.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')} sancha {' '.join(sys.argv[1:])}\n")
            fh.write("".join(traceback.format_exception(error)))
    except OSError:
        return Path("（无法写入日志）")
    return path


def _workspace_first(argv: list[str]) -> tuple[list[str], Path]:
    """`-C DIR` / `--workspace DIR` may be given after the command too (`sancha ingest -C DIR`):
    move it in front, where the group option is parsed. Also returns the workspace's root."""
    rest: list[str] = []
    front: list[str] = []
    root = Path(".")
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-C", "--workspace") and i + 1 < len(argv):
            front, root = [arg, argv[i + 1]], Path(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--workspace="):
            front, root = [arg], Path(arg.partition("=")[2])
        else:
            rest.append(arg)
        i += 1
    return front + rest, root.resolve()


def main(argv: list[str] | None = None) -> int:
    # Windows consoles default to a legacy code page; our output is Chinese.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    args, root = _workspace_first(list(sys.argv[1:] if argv is None else argv))
    try:
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
        show, exit_code = getattr(e, "show", None), getattr(e, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            return exit_code
        log = _internal_error_log(e, root)
        err_console.print(f"内部错误：{type(e).__name__}: {e}。详细信息已写入 {log}，请交给系统管理员。")
        return 3
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())
