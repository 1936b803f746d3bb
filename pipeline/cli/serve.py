"""`sancha serve` (the web desk) and `sancha user add|list|remove` (its accounts). The work is
in pipeline/service/web/."""

from __future__ import annotations

import getpass
import sys

import typer

from pipeline.cli.app import app, console, err_console, get_workspace
from pipeline.errors import Refused, UsageError

user_app = typer.Typer(name="user", help="督查台帐网页的账号：添加、列出、删除。", no_args_is_help=True,
                       add_completion=False, rich_markup_mode=None)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host",
                             help="监听地址，默认 127.0.0.1（只有本机能打开）；其他地址需先添加账号"),
    port: int = typer.Option(8765, "--port", help="端口，默认 8765", min=0, max=65535),
    open_browser: bool = typer.Option(False, "--open", help="启动后用默认浏览器打开"),
) -> None:
    """督查台帐网页：在浏览器中查看总览、待办、台帐、事项、单位、文件、文书，运行每周批处理。按 Ctrl+C 停止。"""
    from pipeline.service.watch import configure_logging
    from pipeline.service.web.server import serve

    ws = get_workspace(ctx)
    remove_logging = configure_logging(ws, stderr=False)

    def ready(served) -> None:
        console.print(f"督查台帐网页已启动：{served.url}", markup=False)
        console.print("在浏览器中打开上面的地址；按 Ctrl+C 停止。", markup=False)
        sys.stdout.flush()

    try:
        serve(ws, host, port, open_browser=open_browser, ready=ready)
    finally:
        remove_logging()


def _read_password() -> str:
    """Asked twice on a terminal; read from standard input (one line) when it is not one (scripts, tests)."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise UsageError("没有读到密码：请在终端中运行，或从标准输入给出一行密码")
        return line.rstrip("\r\n")
    first = getpass.getpass("密码：")
    second = getpass.getpass("再输入一次：")
    if first != second:
        raise Refused("两次输入的密码不一致，未添加。")
    return first


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="用户名，例如 zhangsan 或 张三"),
    role: str = typer.Option(..., "--role", help="角色：督查室（可运行批处理和办理）或 领导（只读）"),
) -> None:
    """添加账号（已有同名账号则改密码和角色）。密码输入两次，不显示。"""
    from pipeline.service.web.accounts import add_account, check_name, check_new_password

    ws = get_workspace(ctx)
    check_name(name)
    password = _read_password()
    check_new_password(password)
    account = add_account(ws, name, role.strip(), password)
    console.print(f"已添加账号 {account.name}（{account.role}）。", markup=False)


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """列出账号（用户名、角色、添加时间）。"""
    from pipeline.service.web.accounts import load_accounts

    accounts = load_accounts(get_workspace(ctx))
    if not accounts:
        console.print("尚无账号。只在本机（127.0.0.1）使用督查台帐网页时不需要账号。", markup=False)
        return
    for a in sorted(accounts.values(), key=lambda a: a.name):
        console.print(f"{a.name}  {a.role}  {a.created_at.replace('T', ' ')}", markup=False)


@user_app.command("remove")
def user_remove(ctx: typer.Context, name: str = typer.Argument(..., help="要删除的用户名")) -> None:
    """删除账号；该账号已登录的网页随即失效。"""
    from pipeline.service.web.accounts import remove_account

    remove_account(get_workspace(ctx), name.strip())
    err_console.print(f"已删除账号 {name.strip()}。", markup=False)
