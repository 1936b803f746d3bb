"""The command line: thin. Each command opens the workspace, calls one library function and
prints. This module's `main` is the one place where errors meet the user: a `SanchaError`
(pipeline/errors.py) becomes `label：message` on stderr and its `exit_code`; a mistake on the
command line, a Chinese usage message and 2; a full disk, a message and 1; anything else, one
line and 3 with the traceback in the log. 0 fine, 1 a file was rejected / a check failed /
an action refused, 2 usage or configuration error.

One module per group of commands, all registered on `app` (cli/app.py):
workspace (init, templates, doctor, calendar), intake (ingest, check), ledger (export, status,
show), actions (close, reopen, lookback, extend), documents (weekly, report, dashboard), watch,
serve (serve, user add|list|remove).
"""

from __future__ import annotations

import difflib
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer.main

# Registers the commands, in the order `sancha --help` lists them.
# isort: off
from pipeline.cli import (workspace, intake, ledger, actions, documents, watch, serve,  # noqa: F401
                          inspections, evidence, ladder)
from pipeline.cli import upstream  # noqa: F401
# isort: on
from pipeline.cli.app import app, err_console
from pipeline.errors import SanchaError

__all__ = ["app", "main", "run"]


def _os_error_text(e: OSError) -> str:
    import errno

    reason = {
        errno.ENOSPC: "磁盘空间已满",
        errno.EROFS: "磁盘或共享目录为只读",
        errno.EACCES: "没有写入权限",
        errno.EPERM: "没有写入权限",
    }.get(e.errno or 0, e.strerror or type(e).__name__)
    return f"{reason}（{e.filename}）" if e.filename else reason


_INTACT = "台帐数据未受影响；排除后重新运行同一命令即可补齐。"


def _database_error_text(e: Exception) -> tuple[str, int]:
    """SQLite's error as one Chinese line, and the exit code: 2 for a damaged database (restore
    it), 1 for what the environment did (a full disk, a read-only folder, a lock held too long)."""
    text = str(e).lower()
    if not isinstance(e, sqlite3.OperationalError):
        return ("错误：台帐数据库 data/ledger.sqlite 已损坏（" + str(e) + "）。请停止所有 sancha 程序，"
                "把最近的备份（data/backups/ 中 sancha backup 生成的文件）复制为 data/ledger.sqlite 后重新运行。", 2)
    if "full" in text:
        return "文件读写出错：磁盘空间已满，台帐数据库无法写入。" + _INTACT, 1
    if "readonly" in text or "read-only" in text:
        return "文件读写出错：台帐数据库或 data/ 文件夹为只读（没有写入权限）。" + _INTACT, 1
    if "locked" in text or "busy" in text:
        return "错误：台帐正被另一个 sancha 程序长时间占用，请等它结束后重试。" + _INTACT, 1
    if "unable to open" in text:
        return "文件读写出错：无法打开台帐数据库 data/ledger.sqlite（文件夹不存在或没有权限）。", 1
    return f"文件读写出错：读写台帐数据库时出错（{e}）。" + _INTACT, 1


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


def _workspace_first(argv: list[str]) -> tuple[list[str], list[str], Path]:
    """`-C DIR` / `--workspace DIR` may be given after the command too (`sancha ingest -C DIR`):
    it is taken out, to be put in front where the group option is parsed. Returns it, the other
    arguments and the workspace's root."""
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
    return front, rest, root.resolve()


def _usage_message(e: Any, known: dict, command: str | None) -> str:
    """A command-line parsing error (click's, inside typer) in Chinese. Recognised by the
    classes' names: typer ships its own copy of click in newer releases."""
    kinds = {c.__name__ for c in type(e).__mro__}
    param = getattr(e, "param", None)
    if "MissingParameter" in kinds and param is not None:
        if param.param_type_name == "option":
            return f"缺少选项 {max(param.opts, key=len)}"
        return f"缺少参数：{getattr(param, 'help', None) or param.human_readable_name}"
    if "NoSuchOption" in kinds:
        near = sorted(getattr(e, "possibilities", None) or ())
        return f"没有选项 {e.option_name}" + (f"，是否应为 {' 或 '.join(near)}？" if near else "")
    if "BadOptionUsage" in kinds:
        return f"选项 {e.option_name} " + ("不带值" if "does not take" in e.message else "后面缺少值")
    if "BadParameter" in kinds:
        name = max(param.opts, key=len) if param is not None and param.param_type_name == "option" else \
            getattr(param, "help", None) or getattr(param, "name", "")
        return f"{name} 的值无效：{e.message}"
    if command is None or command not in known:
        near = difflib.get_close_matches(command or "", list(known), n=1)
        return f"没有命令 “{command}”" + (f"，是否应为 sancha {near[0]}？" if near else "")
    if e.message.startswith("Got unexpected extra argument"):
        return "多余的参数：" + e.message.rpartition("(")[2].rstrip(")")
    return f"命令行有误：{e.format_message()}"


def main(argv: list[str] | None = None) -> int:
    # Windows consoles default to a legacy code page; our output is Chinese.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    front, rest, root = _workspace_first(list(sys.argv[1:] if argv is None else argv))
    try:
        rv = app(args=front + rest, prog_name="sancha", standalone_mode=False)
    except SanchaError as e:
        if str(e):
            err_console.print(f"{e.label}：{e}", markup=False)
        return e.exit_code
    except KeyboardInterrupt:
        err_console.print("已中断。", markup=False)
        return 130
    except sqlite3.DatabaseError as e:
        message, code = _database_error_text(e)
        err_console.print(message, markup=False)
        return code
    except OSError as e:  # disk full, read-only share, no permission: the ledger's transactions are intact
        err_console.print(f"文件读写出错：{_os_error_text(e)}。台帐数据未受影响；排除后重新运行同一命令即可补齐。")
        return 1
    except SystemExit as e:
        return int(e.code or 0)
    except Exception as e:
        kind = type(e).__name__
        if kind == "Exit":  # --help, or a command that ends early
            return int(getattr(e, "exit_code", 0) or 0)
        if kind == "Abort":
            err_console.print("已中断。")
            return 130
        exit_code = getattr(e, "exit_code", None)
        if kind == "NoArgsIsHelpError" and callable(getattr(e, "show", None)):
            e.show()  # type: ignore[attr-defined]  # `sancha` alone: the list of commands
            return int(exit_code or 2)
        if isinstance(exit_code, int) and callable(getattr(e, "format_message", None)):
            known = typer.main.get_command(app).commands  # type: ignore[attr-defined]
            command = next((a for a in rest if not a.startswith("-")), None)
            where = f"sancha {command}" if command in known else "sancha"
            err_console.print(f"错误：{_usage_message(e, known, command)}\n用法：{where} --help", markup=False)
            return exit_code
        log = _internal_error_log(e, root)
        err_console.print(f"内部错误：{type(e).__name__}: {e}。详细信息已写入 {log}，请交给系统管理员。")
        return 3
    return rv if isinstance(rv, int) else 0


def run() -> None:
    sys.exit(main())
