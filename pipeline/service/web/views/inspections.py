"""检查 (三查: 巡查, 督查, 考察, …): every inspection with its report deadline, one inspection with
the items it found, and two office actions as forms — 登记检查 and 报告收到. Both go in the
same three steps as an item's actions (views/actions.py): the form (a GET changes nothing), a
POST checked by the library with `dry_run` and shown for confirmation, and a POST with
`confirmed` that writes through `pipeline.ledger.inspections` with the logged-in operator.

The security gate (CSRF, 领导 read-only) is security.py's, before any of this runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from pipeline.config import Config
from pipeline.errors import Refused
from pipeline.intake.normalize import Unreadable, parse_date
from pipeline.intake.units import directory
from pipeline.ledger import inspections as insp
from pipeline.ledger.search import ItemQuery, search_items
from pipeline.service.web.views.actions import DATE_HINT
from pipeline.service.web.views.common import desk, int_arg, ledger, page_args, states_of

bp = Blueprint("inspections", __name__)

# The 登记检查 form's fields, as `sancha inspection add` names them.
NEW_FIELDS = ("kind", "form", "name", "start", "end", "leader", "group", "units", "aliases")


def _found(inspection_id: str) -> insp.Inspection:
    parsed = insp.parse_inspection_id(inspection_id)
    found = {i.id: i for i in insp.load_inspections(ledger())}.get(parsed or "")
    if found is None:
        abort(404, f"没有登记检查 {inspection_id}。")
    return found


def _record(i: insp.Inspection, today: date) -> dict:
    d = desk()
    snap = d.states.snapshot(today)
    return insp.inspection_record(i, snap.items, snap.states, today, d.calendar)


@bp.get("/inspections")
def index():
    d = desk()
    today = d.today()
    records = [_record(i, today) for i in insp.load_inspections(ledger())]
    return render_template("inspections.html", records=records, today=today, page="inspections")


def read_new(raw: Mapping[str, str], config: Config) -> tuple[dict, dict[str, str]]:
    """The 登记检查 form's values and its errors by field (Chinese). Units are resolved as the
    command line resolves them (a name or a short name, separated by 、，or ,)."""
    values: dict = {}
    errors: dict[str, str] = {}
    for name in ("kind", "form", "name", "leader", "group"):
        values[name] = (raw.get(name) or "").strip() or None
    if values["kind"] is None:
        errors["kind"] = "请选择检查类别"
    if values["name"] is None:
        errors["name"] = "请填写检查名称，例如 2026年第四季度重点工作督查"
    for name, label in (("start", "开始日期"), ("end", "结束日期")):
        text = (raw.get(name) or "").strip()
        values[name] = None
        if not text:
            errors[name] = f"请填写{label}"
            continue
        try:
            values[name] = parse_date(text)
        except Unreadable:
            errors[name] = f"{label}“{text}”不是日期，{DATE_HINT}"
    known = directory(config)
    units = []
    for unit in insp.split_names(raw.get("units", "")):
        canonical = known.resolve(unit)
        if canonical is None:
            errors["units"] = f"“{unit}”不是已登记的单位；{known.did_you_mean(unit) or '请核对名称'}"
            break
        units.append(canonical)
    values["units"] = units
    values["aliases"] = insp.split_names(raw.get("aliases", ""))
    return values, errors


def _new_page(raw: Mapping[str, str], *, errors=None, error=None, preview=None, status: int = 200):
    d = desk()
    return render_template("inspection_new.html", raw=raw, errors=errors or {}, error=error, preview=preview,
                           kinds=insp.KINDS, forms=insp.FORMS, units=d.ws.config.unit_names,
                           due=insp.report_due(preview, d.calendar) if preview else None, page="inspections"), status


@bp.get("/inspections/new")
def new_form():
    return _new_page({})


@bp.post("/inspections/new")
def new_post():
    d = desk()
    raw = {name: request.form.get(name, "") for name in NEW_FIELDS}
    values, errors = read_new(raw, d.ws.config)
    if errors:
        return _new_page(raw, errors=errors, status=422)
    confirmed = request.form.get("confirmed") == "1"
    try:
        added = insp.add_inspection(ledger(), kind=values["kind"], name=values["name"], start=values["start"],
                                    end=values["end"], form=values["form"], leader=values["leader"],
                                    group=values["group"], units=values["units"], aliases=values["aliases"],
                                    operator=g.operator, dry_run=not confirmed)
    except Refused as e:
        return _new_page(raw, error=_form_words(str(e)), status=422)
    if not confirmed:
        return _new_page(raw, preview=added)
    due = insp.report_due(added, d.calendar)
    flash(f"已登记{added.kind}“{added.name}”，编号 {added.id}；检查报告应于 {due.isoformat()} 前报送。", "info")
    return redirect(url_for("inspections.detail", inspection_id=added.id), code=303)


def _form_words(message: str) -> str:
    """The library speaks the command line's option names; the form names its fields."""
    for option, label in (("--kind", "检查类别"), ("--form", "督查方式"), ("--name", "检查名称"), ("--end", "结束日期"),
                          ("--start", "开始日期"), ("；sancha inspection list 列出已登记的检查", "")):
        message = message.replace(option, label)
    return message


def _detail_page(found: insp.Inspection, *, raw=None, error=None, preview=None, status: int = 200):
    d = desk()
    today = d.today()
    items = search_items(ledger(), ItemQuery(inspection=found.id, page=int_arg("page")))
    return render_template(
        "inspection.html", i=found, record=_record(found, today), by=insp.registered_by(ledger(), found.id),
        standing=insp.report_standing(found, today, d.calendar), result=items, states=states_of(items.items, today),
        raw=raw or {"on": today.isoformat()}, error=error, preview=preview, today=today, page_args=page_args,
        page="inspections"), status


@bp.get("/inspections/<inspection_id>")
def detail(inspection_id: str):
    return _detail_page(_found(inspection_id))[0]


@bp.post("/inspections/<inspection_id>/report")
def report_post(inspection_id: str):
    found = _found(inspection_id)
    d = desk()
    today = d.today()
    raw = {"on": (request.form.get("on") or "").strip()}
    try:
        on = (parse_date(raw["on"]) if raw["on"] else None) or today
    except Unreadable:
        return _detail_page(found, raw=raw, error=f"收到日期“{raw['on']}”不是日期，{DATE_HINT}", status=422)
    confirmed = request.form.get("confirmed") == "1"
    try:
        done = insp.record_report(ledger(), found.id, on=on, operator=g.operator, today=today, dry_run=not confirmed)
    except Refused as e:
        return _detail_page(found, raw=raw, error=_form_words(str(e)), status=422)
    if not confirmed:
        return _detail_page(found, raw=raw, preview=insp.report_standing(done, on, d.calendar))
    st = insp.report_standing(done, on, d.calendar)
    late = f"，晚于应报日期 {st.due.isoformat()}（逾期报送）" if st.late else "，按时报送"
    flash(f"已登记 {done.id}“{done.name}”的检查报告：{on.isoformat()} 收到{late}。", "info")
    return redirect(url_for("inspections.detail", inspection_id=done.id), code=303)
