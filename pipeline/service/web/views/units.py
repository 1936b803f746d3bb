"""单位: every unit's standing, and one unit's items and files."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from pipeline.deadlines.states import unit_summary
from pipeline.ledger.search import FileQuery, ItemQuery, search_files, search_items
from pipeline.service.web.views.common import desk, int_arg, ledger, page_args, states_of

bp = Blueprint("units", __name__)


@bp.get("/units")
def index():
    d = desk()
    today = d.today()
    snap = d.states.snapshot(today)
    summaries = d.memo("units", d.states.version, lambda: unit_summary(snap.items, snap.states))
    assert isinstance(summaries, list)
    listed = {s.unit for s in summaries}
    without = [u for u in d.ws.config.unit_names if u not in listed]
    return render_template("units.html", summaries=summaries, without=without, today=today, page="units")


@bp.get("/units/<name>")
def detail(name: str):
    d = desk()
    today = d.today()
    registered = name in d.ws.config.unit_names
    snap = d.states.snapshot(today)
    mine = [i for i in snap.items if i.unit == name]
    if not registered and not mine:
        abort(404, f"没有单位 “{name}”。")
    summary = unit_summary(mine, snap.states)
    items = search_items(ledger(), ItemQuery(unit=name, page=int_arg("page")))
    files = search_files(ledger(), FileQuery(unit=name, page=int_arg("fpage"), per_page=20))
    return render_template("unit.html", name=name, registered=registered, summary=summary[0] if summary else None,
                           result=items, states=states_of(items.items, today), files=files, today=today,
                           page_args=page_args, page="units")
