"""登录 and 退出."""

from __future__ import annotations

import math

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from pipeline.service.web.accounts import authenticate
from pipeline.service.web.security import current_account, log_in, login_required
from pipeline.service.web.views.common import desk

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("overview.index")


@bp.get("/login")
def login():
    sec = desk().security
    if not login_required(sec) or current_account(sec):
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""), error=None, name="")


@bp.post("/login")
def login_post():
    sec = desk().security
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    keys = [("user", name), ("addr", request.remote_addr or "")]
    wait = sec.limiter.wait(keys)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        error = f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。"
        return render_template("login.html", next=request.form.get("next", ""), error=error, name=name), 429
    account = authenticate(sec.accounts.current(), name, password)
    if account is None:
        sec.limiter.failed(keys)
        return render_template("login.html", next=request.form.get("next", ""), error="用户名或密码不正确。",
                               name=name), 401
    sec.limiter.succeeded(keys)
    log_in(account)
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout():
    session.clear()
    g.account = None
    return redirect(url_for("auth.login"), code=303)
