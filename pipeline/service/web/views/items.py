"""台帐 (every item: search, filters, sorting, paging) and 事项 (one item, with its 佐证材料, each
downloadable: the archived bytes, checked against their SHA-256, always as an attachment)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file

from pipeline.deadlines.states import item_state
from pipeline.errors import Refused
from pipeline.ledger.evidence import archived_bytes, evidence_files
from pipeline.ledger.inspections import load_inspections, parse_inspection_id
from pipeline.ledger.search import (
    LEVEL_ABOVE,
    LEVEL_OWN,
    SORTS,
    STATE_SORTS,
    ItemQuery,
    categories,
    files_touching,
    search_items,
    sources,
)
from pipeline.ledger.timeline import kind_label
from pipeline.ledger.view import item_on
from pipeline.model import ITEM_STATES, tuple_text
from pipeline.service.web.views.actions import FORMS, last_action
from pipeline.service.web.views.common import day_arg, desk, int_arg, ledger, page_args, states_of

bp = Blueprint("items", __name__)

SORT_LABELS = {"id": "编号", "unit": "牵头单位", "deadline": "整改时限", "updated": "最近更新", "created": "登记日期",
               "overdue": "逾期工作日"}
assert set(SORT_LABELS) == set(SORTS) | set(STATE_SORTS)
LEVEL_LABELS = {LEVEL_OWN: "本级事项", LEVEL_ABOVE: "上级交办（有上级编号）"}


def query_from_args() -> ItemQuery:
    a = request.args
    sort = a.get("sort", "id")
    return ItemQuery(
        text=a.get("q", "").strip()[:200],
        unit=a.get("unit") or None,
        source=a.get("source") or None,
        category=a.get("category") or None,
        inspection=(parse_inspection_id(a["inspection"]) or a["inspection"]) if a.get("inspection") else None,
        level=a.get("level") if a.get("level") in LEVEL_LABELS else None,
        states=frozenset(s for s in a.getlist("state") if s in ITEM_STATES),
        overdue=a.get("overdue") == "1",
        report_missing=a.get("missing") == "1",
        key_supervision=a.get("key") == "1",
        awaiting_close=a.get("awaiting") == "1",
        sort=sort if sort in SORT_LABELS else "id",
        descending=a.get("desc") == "1",
        page=int_arg("page"),
    )


@bp.get("/items")
def index():
    d = desk()
    today = d.today()
    q = query_from_args()
    page = search_items(ledger(), q, lambda: d.states.snapshot(today).states)
    version = ledger().last_event_id()  # a new item, a changed source: a new event
    choices = d.memo("item-filters", version, lambda: (sources(ledger()), categories(ledger())))
    assert isinstance(choices, tuple)
    return render_template(
        "items.html", q=q, result=page, states=states_of(page.items, today), today=today,
        units=d.ws.config.unit_names, sources=choices[0], categories=choices[1],
        inspections=load_inspections(ledger()), levels=LEVEL_LABELS, item_states=ITEM_STATES,
        sort_labels=SORT_LABELS, page_args=page_args, page="items")


FIELD_LABELS = (
    ("id", "编号"), ("unit", "牵头责任单位"), ("co_units", "配合责任单位"), ("source", "问题来源"),
    ("problem", "整改问题"), ("measures", "整改措施"), ("deadline", "整改时限"),
    ("deadline_text", "整改时限（原文）"), ("original_deadline", "原整改时限（延期前）"), ("ongoing", "长期坚持"),
    ("owner", "责任人"), ("progress", "整改进展"), ("status", "完成情况"), ("done_on", "完成日期"), ("remark", "备注"),
    ("created_on", "登记日期"), ("last_report_on", "最近报送日期"), ("closed_on", "销号日期"),
    ("lookback_on", "回头看日期"), ("updated_at", "最近更新"), ("evidence_text", "佐证材料（报送表中填写）"),
    ("upstream_id", "上级编号"), ("upstream", "上级单位"),  # issue 21: the item's id at the level above
)


def _shown(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple):
        return tuple_text(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _event_rows(events) -> list[dict]:
    """The item's events as the item page lists them; an event taken back by an undo is marked."""
    undone = {e.data.get("event") for e in events if e.kind == "undo"}
    by_id = {e.id: e for e in events}
    rows = []
    for e in events:
        note = e.note or (e.data.get("name", "") if e.kind == "evidence" else "")  # the file received
        if e.kind == "undo" and (target := by_id.get(e.data.get("event"))) is not None:
            note = f"撤销 {target.on.isoformat()} 的{kind_label(target.kind)}" + (f"：{note}" if note else "")
        source = e.source or ("督查室" + (f"（{e.operator}）" if e.operator else ""))
        rows.append({"on": e.on, "kind": kind_label(e.kind), "field": e.field, "old": _shown(e.old),
                     "new": _shown(e.new), "source": source, "note": note, "undone": e.id in undone})
    return rows


@bp.get("/items/<item_id>")
def detail(item_id: str):
    d = desk()
    item = ledger().item(item_id)
    if item is None:
        abort(404, f"台帐中没有编号 {item_id}。")
    today = d.today()
    as_of = day_arg("as_of", today)
    state = None
    past = item_on(ledger(), d.ws.config, item_id, as_of)
    if past is not None:
        state = item_state(past, as_of, d.calendar, d.ws.config.rules)
    events = ledger().events(item_id)
    return render_template(
        "item.html", item=item, fields=FIELD_LABELS, state=state, as_of=as_of, today=today,
        events=_event_rows(events), field_names=dict(FIELD_LABELS),
        files=files_touching(ledger(), item_id), evidence=evidence_files(events), forms=FORMS,
        undoable=last_action(item_id, events),
        page="items")


@bp.get("/items/<item_id>/evidence/<int:number>")
def evidence(item_id: str, number: int):
    """The Nth 佐证材料 file of the item, as received (never opened or rendered here)."""
    files = evidence_files(ledger().events(item_id))
    if not 1 <= number <= len(files):
        abort(404, f"{item_id} 没有第 {number} 份佐证材料。")
    found = files[number - 1]
    try:
        data = archived_bytes(desk().ws.archive, found)
    except Refused as e:
        abort(404, str(e))
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=found.name, max_age=0)
