"""总览 (the dashboard's figures, live) and 待办 (what to do today)."""

from __future__ import annotations

from flask import Blueprint, render_template

from pipeline.output.dashboard import dashboard_context
from pipeline.service.web.todo import todos
from pipeline.service.web.views.common import desk, ledger
from pipeline.upstream.levels import latest as latest_levels

bp = Blueprint("overview", __name__)
RED_LIST = 50  # red-list rows on 总览; 台帐 filtered by state has them all


@bp.get("/")
def index():
    d = desk()
    today = d.today()
    snap = d.states.snapshot(today)

    def context():
        return dashboard_context(d.ws.config, snap.items, snap.states, today, ledger().snapshots(),
                                 key_limit=RED_LIST, levels=latest_levels(ledger(), today))

    # kept while the ledger and the configuration stay as they are (issue 20: 200,000 items)
    ctx = d.memo("overview", d.states.version, context)
    return render_template("overview.html", ctx=ctx, page="overview")


@bp.get("/todo")
def todo():
    d = desk()
    today = d.today()
    return render_template("todo.html", todos=todos(d.ws, ledger(), today), today=today, page="todo")
