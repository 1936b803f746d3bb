"""The web desk's safety rules, in one place (README "Security", docs/security.md):

- who is asking: on 127.0.0.1 without accounts, the OS user running `sancha serve` (no login);
  otherwise the logged-in account — every page but the login page and the static files needs one;
- a CSRF token (per session, random) on every form and checked on every POST, before anything
  else; a 领导 account's POSTs are refused (read only); GET never changes anything;
- sessions in Flask's signed cookie (HttpOnly, SameSite=Strict, 8 hours), bound to the account's
  password (re-adding a user ends its old sessions) and to the account still existing;
- login attempts limited per user name and per address: five wrong passwords within 15 minutes
  lock both for 5 minutes, even for the right password, with a Chinese message;
- on a local bind the Host header must name this machine (a page on another site that makes
  its name point to 127.0.0.1 — DNS rebinding — gets nothing);
- headers: a CSP without inline scripts or styles, frames refused, no caching of anything but
  the static files.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Flask, Response, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from pipeline.service.web.accounts import ROLE_OFFICE, Account, load_accounts, users_path
from pipeline.workspace import Workspace

LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 8
OPEN_ENDPOINTS = ("static", "auth.login", "auth.login_post")  # reachable without an account
NO_ROLE_CHECK = ("auth.login_post", "auth.logout")  # POSTs a 领导 may make

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# A sancha-made HTML document from the outbox (看板.html, with its inline script and style) is
# shown sandboxed: an opaque origin, no access to the desk's cookies or pages, no network.
DOCUMENT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "img-src data:")


def is_local_host(host: str) -> bool:
    return host in ("127.0.0.1", "::1")


@dataclass
class LoginLimiter:
    """Wrong passwords counted per key (a user name, an address). `max_failures` within
    `window` seconds lock the key for `lockout` seconds."""

    max_failures: int = 5
    window: float = 15 * 60
    lockout: float = 5 * 60
    _failures: dict[tuple, list[float]] = field(default_factory=dict)
    _locked_until: dict[tuple, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, keys: Iterable[tuple]) -> float:
        """Seconds until these keys may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            return max((self._locked_until.get(k, 0.0) - now for k in keys), default=0.0) if keys else 0.0

    def failed(self, keys: Iterable[tuple]) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                recent = [t for t in self._failures.get(k, []) if now - t < self.window] + [now]
                self._failures[k] = recent
                if len(recent) >= self.max_failures:
                    self._locked_until[k] = now + self.lockout
                    self._failures[k] = []

    def succeeded(self, keys: Iterable[tuple]) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)


class AccountBook:
    """The workspace's accounts, reread when data/users.json changes (`sancha user add` while
    the desk runs takes effect at the next request)."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._stamp: tuple | None = None
        self._accounts: dict[str, Account] = {}
        self._lock = threading.Lock()

    def current(self) -> dict[str, Account]:
        path = users_path(self.ws)
        try:
            st = path.stat()
            stamp: tuple | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._accounts = load_accounts(self.ws) if stamp else {}
                self._stamp = stamp
            return self._accounts


@dataclass(frozen=True)
class DeskSecurity:
    local: bool  # bound to 127.0.0.1 / ::1
    os_user: str  # the operator on a local bind without accounts
    accounts: AccountBook
    limiter: LoginLimiter


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    want = session.get("csrf", "")
    return bool(want) and hmac.compare_digest(str(sent), str(want))


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def current_account(sec: DeskSecurity) -> Account | None:
    """The logged-in account, if the session names one that still exists with the same password."""
    name = session.get("user")
    if not name:
        return None
    account = sec.accounts.current().get(name)
    if account is None or session.get("fp") != account.fingerprint:
        return None
    return account


def login_required(sec: DeskSecurity) -> bool:
    return not sec.local or bool(sec.accounts.current())


def _gate() -> BaseResponse | None:
    sec: DeskSecurity = g.security
    g.operator = g.role = g.account = None
    if sec.local and _host_name(request.host) not in LOCAL_HOSTS:
        abort(403, "本机模式只接受 127.0.0.1 或 localhost 的访问。")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok():
        abort(403, "表单已过期或来源不明（缺少校验码），请刷新页面后重试。")
    g.account = account = current_account(sec)
    if login_required(sec):
        if account is None:
            if request.endpoint in OPEN_ENDPOINTS:
                return None
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401, "请先登录。")
        g.operator, g.role = account.name, account.role
    else:
        g.operator, g.role = sec.os_user, ROLE_OFFICE
    if request.method == "POST" and g.role != ROLE_OFFICE and request.endpoint not in NO_ROLE_CHECK:
        abort(403, "领导账号只能查看，不能操作。")
    return None


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    return response


def install(app: Flask, sec: DeskSecurity, secret_key: bytes) -> None:
    from datetime import timedelta

    app.secret_key = secret_key
    app.config.update(
        SESSION_COOKIE_NAME="sancha_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        SESSION_REFRESH_EACH_REQUEST=False,
    )

    @app.before_request
    def _security_gate():
        g.security = sec
        return _gate()

    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD


def log_in(account: Account) -> None:
    """A fresh session for the account (a new CSRF token too: no token from before the login stays)."""
    session.clear()
    session.permanent = True
    session["user"] = account.name
    session["fp"] = account.fingerprint
    session["csrf"] = secrets.token_urlsafe(32)
