"""The Flask app of the web desk for one workspace. Views read the ledger through library
functions (Ledger, ledger/search.py, deadlines/states.py, output/dashboard.py) on a connection
opened for the request; nothing here holds SQL."""

from __future__ import annotations

import getpass
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import jinja2
from flask import Flask, g, render_template, request

from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.files import write_atomic
from pipeline.ledger.ledger import Ledger
from pipeline.service.web.batch import BatchRunner
from pipeline.service.web.security import AccountBook, DeskSecurity, LoginLimiter, install
from pipeline.service.web.states_cache import StateCache
from pipeline.workspace import Workspace

log = logging.getLogger("sancha.web")

SECRET_FILE = "web-secret.key"
HERE = Path(__file__).parent


@dataclass
class Desk:
    """What every view may use: the workspace, today's date, the calendar, the state cache, the
    batch runner."""

    ws: Workspace
    security: DeskSecurity
    batch: BatchRunner
    today: Callable[[], date]
    states: StateCache = field(init=False)

    def __post_init__(self):
        from pipeline.service.watch import ConfigReloader

        self.states = StateCache(self.ws, lambda: self.calendar)
        self.reloader = ConfigReloader(self.ws)
        self._memo: dict[str, tuple[object, object]] = {}

    def memo(self, name: str, version: object, compute: Callable[[], object]) -> object:
        """`compute()` kept while `version` stays the same (the ledger's last event id, say): what
        a page shows of the whole ledger that changes only with it (issue 20: the 台帐 filters'
        choices read 200,000 items on every page)."""
        kept = self._memo.get(name)
        if kept is None or kept[0] != version:
            kept = self._memo[name] = (version, compute())
        return kept[1]

    def refresh(self) -> None:
        """sancha.toml reread when it changed (a unit added while the desk runs); a broken edit is
        logged and the last good configuration kept."""
        if self.reloader.check():
            self.__dict__.pop("calendar", None)

    @cached_property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.from_config(self.ws.config)


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a service account without one)
        return os.environ.get("USERNAME") or os.environ.get("USER") or "本机用户"


def session_secret(ws: Workspace) -> bytes:
    """The key that signs session cookies: random, made once, kept in data/ (readable by the owner only)."""
    path = ws.data / SECRET_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    write_atomic(path, key)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return key


def create_app(ws: Workspace, *, local: bool = True, today: Callable[[], date] = date.today,
               limiter: LoginLimiter | None = None, batch_workers: int | None = None) -> Flask:
    """The desk for `ws`. `local`: bound to 127.0.0.1 (no login while there are no accounts)."""
    ws.config  # noqa: B018 - a broken sancha.toml fails here, before the server starts
    ws.ensure()
    with Ledger.open(ws.db_path):  # made now if new, so that no GET ever creates it
        pass
    app = Flask("pipeline.service.web", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # forms only; nothing is uploaded here
    security = DeskSecurity(local=local, os_user=os_user(), accounts=AccountBook(ws), limiter=limiter or LoginLimiter())
    desk = Desk(ws, security, BatchRunner(ws, batch_workers), today)
    app.extensions["sancha"] = desk
    install(app, security, session_secret(ws))
    app.jinja_env.autoescape = True
    app.jinja_env.undefined = jinja2.StrictUndefined  # a misspelt name is an error, not an empty cell
    app.jinja_env.filters["cn_date"] = lambda d: cn_date(d) if d else "—"
    app.jinja_env.filters["iso"] = lambda d: d.isoformat() if d else "—"

    @app.context_processor
    def _office():  # read per page: a renamed office shows without a restart (desk.refresh)
        return {"office_name": desk.ws.config.office_name}

    @app.before_request
    def _refresh_config():
        desk.refresh()

    @app.teardown_appcontext
    def _close_ledger(_exc):
        ledger = g.pop("ledger", None)
        if ledger is not None:
            ledger.close()

    @app.errorhandler(400)
    @app.errorhandler(401)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    @app.errorhandler(429)
    def _error(e):
        return render_template("error.html", code=e.code, message=_message(e)), e.code

    @app.errorhandler(500)
    def _internal(e):
        original = getattr(e, "original_exception", e)
        log.error("网页出错：%s %s", request.method, request.path, exc_info=original)
        message = "内部错误，详细信息已写入 data/logs/sancha.log，请交给系统管理员。"
        return render_template("error.html", code=500, message=message), 500

    from pipeline.service.web.views import register

    register(app)
    return app


_MESSAGES = {400: "请求有误。", 401: "请先登录。", 403: "没有权限。", 404: "没有这个页面或文件。",
             405: "不支持这种请求方式。", 413: "提交的内容太大。", 429: "请求过于频繁，请稍后再试。"}


def _message(e) -> str:
    description = getattr(e, "description", "") or ""
    # werkzeug's own English descriptions are replaced; ours (Chinese) are kept
    return description if any("\u4e00" <= ch <= "\u9fff" for ch in description) else _MESSAGES.get(e.code, "出错了。")
