"""The office's actions on one item, as forms: 销号, 延期, 回头看, 重开, 作废, 移交, and 撤销 of the
item's last action. Each goes in three steps, all under /items/<id>/actions/<name>:

1. GET: the form, with the item's problem text (nothing changes on a GET);
2. POST: the values read (dates as cells accept them), then the action *previewed* through the
   same library function (`ledger.actions.preview`): a refusal goes back to the form in Chinese,
   otherwise a confirmation page shows the item's text and what will change;
3. POST with `confirmed`: the action done by `pipeline.ledger.actions` with the logged-in
   operator, and back to the item page with what changed.

The security gate (CSRF, 领导 read-only) is security.py's, before any of this runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from pipeline.config import Config
from pipeline.intake.normalize import Unreadable, parse_date
from pipeline.ledger import actions
from pipeline.ledger.actions import ActionError, ActionResult
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.timeline import LOOKBACK_RESULTS, kind_label, last_event
from pipeline.model import Item
from pipeline.service.web.views.common import desk, ledger

bp = Blueprint("actions", __name__)

DATE_HINT = "请写成 2027-01-31 或 2027年1月31日"


@dataclass(frozen=True)
class Field:
    name: str  # form field
    label: str
    kind: str = "text"  # text | note | date | check | unit | result
    required: bool = False
    hint: str = ""


ON = Field("on", "生效日期", "date", hint="事情发生的那一天，默认今天；不能是将来的日期")
NOTE = Field("note", "说明", "note", hint="记入事项经过")
REASON = Field("note", "理由", "note", required=True, hint="必填，记入事项经过")
UNDO_ON = Field("on", "生效日期", "date",
                hint="默认今天；填被撤销操作的日期，则视同该操作从未办理（已发出的文书不受影响）")


@dataclass(frozen=True)
class ActionForm:
    name: str  # the URL's word
    label: str  # what the clerk reads
    fields: tuple[Field, ...]
    call: Callable[[Ledger, Config, str, Mapping, str | None, date], ActionResult]
    explain: str = ""


def _extend(led, cfg, item_id, v, who, today):
    return actions.extend(led, item_id, to=v["to"], note=v["note"], on=v["on"], late=v["late"], operator=who,
                          today=today)


def _close(led, cfg, item_id, v, who, today):
    return actions.close(led, item_id, note=v["note"], force=v["force"], on=v["on"], operator=who, today=today,
                         requires_evidence=cfg.rules.close_requires_evidence)


def _lookback(led, cfg, item_id, v, who, today):
    return actions.lookback(led, item_id, result=v["result"], to=v["to"], note=v["note"], on=v["on"], operator=who,
                            today=today)


def _reopen(led, cfg, item_id, v, who, today):
    return actions.reopen(led, item_id, to=v["to"], note=v["note"], on=v["on"], operator=who, today=today)


def _void(led, cfg, item_id, v, who, today):
    return actions.void(led, item_id, note=v["note"], on=v["on"], operator=who, today=today)


def _reassign(led, cfg, item_id, v, who, today):
    return actions.reassign(led, cfg, item_id, to=v["unit"], note=v["note"], on=v["on"], operator=who, today=today)


def _escalate(led, cfg, item_id, v, who, today):
    return actions.escalate(led, item_id, to=v["to"], reason=v["reason"], note=v["note"], on=v["on"], operator=who,
                            today=today)


def _answer(led, cfg, item_id, v, who, today):
    return actions.answer_escalation(led, item_id, answer=v["answer"] or "", to_date=v["to_date"], close=v["close"],
                                     note=v["note"], on=v["on"], operator=who, today=today)


def _undo(led, cfg, item_id, v, who, today):
    return actions.undo_last(led, item_id, on=v["on"], note=v["note"], operator=who, today=today)


FORMS: dict[str, ActionForm] = {f.name: f for f in (
    ActionForm("close", "销号", (ON, NOTE, Field("force", "强制销号", "check",
                                                hint="尚未报送完成（或按规定尚无佐证材料）的事项也销号")),
               _close, "督查室核实整改到位后关闭事项。"),
    ActionForm("extend", "延期", (Field("to", "新时限", "date", required=True), ON, REASON,
                                  Field("late", "逾期后批准", "check", hint="原时限已过才批准的延期")), _extend,
               "登记经批准的延期：新时限自生效日期起算，此前的逾期记录保留。"),
    ActionForm("lookback", "回头看", (Field("result", "结果", "result", required=True),
                                      Field("to", "新时限", "date", hint="反弹时必填"), ON, NOTE), _lookback,
               "只针对已完成或已销号的事项；反弹的事项重新打开，按新时限计算。"),
    ActionForm("reopen", "重开", (Field("to", "新时限", "date", required=True), ON, REASON), _reopen,
               "已完成或已销号的事项恢复为推进中，重新列入该单位的反馈表。"),
    ActionForm("void", "作废", (ON, REASON), _void, "重复登记、误登记的事项：不再计入任何统计和文书。"),
    ActionForm("reassign", "移交", (Field("unit", "接收单位", "unit", required=True), ON, REASON), _reassign,
               "事项自生效日期起由另一个单位牵头。"),
    ActionForm("escalate", "上报上级", (Field("to", "报送对象", hint="例如 区人民政府；不填为“上级”"),
                                       Field("reason", "需协调的问题和原因", "note",
                                             hint="单位已报“需上级协调”并写明原因的可不填"), ON, NOTE), _escalate,
               "超出本单位职权、需上级协调解决的问题，书面报送上级后登记：自生效日期起为“待上级协调”，不计逾期。"),
    ActionForm("answer", "上级答复", (Field("answer", "答复意见", "note", required=True),
                                      Field("to_date", "新时限", "date", hint="与“办结销号”二选一"),
                                      Field("close", "办结销号", "check", hint="上级答复后事项办结"), ON, NOTE),
               _answer, "登记上级对“待上级协调”事项的答复：给出新时限则恢复推进中并重新计时，或办结销号。"),
    ActionForm("undo", "撤销", (UNDO_ON, NOTE), _undo,
               "撤销事项最后一次的督查室操作；生效日期之前的日子仍按原记录计算。"),
)}

# The command line's words in the library's messages, as the form names them.
_FORM_WORDS = (("请加 --late", "请勾选“逾期后批准”"), ("请加 --force", "请勾选“强制销号”"), ("（--note）", ""),
               ("用 --note 写明理由", "在“说明”中写明理由"),
               ("（--to）", ""), ("--to 只用于反弹", "新时限只用于反弹"), ("（--answer）", ""),
               ("新的整改时限（--to-date）", "新时限"), ("办结销号（--close）", "办结销号"),
               ("请用 --answer 登记", "请用“上级答复”登记"))


def read_values(form: ActionForm, raw: Mapping[str, str], default_on: date) -> tuple[dict, dict[str, str]]:
    """The form's values (dates read as cells are), and the errors by field, in Chinese."""
    values: dict = {}
    errors: dict[str, str] = {}
    for f in form.fields:
        text = (raw.get(f.name) or "").strip()
        if f.kind == "check":
            values[f.name] = text in ("1", "on", "yes")
            continue
        if not text:
            if f.required:
                errors[f.name] = f"请填写{f.label}"
            values[f.name] = default_on if f.name == "on" else None
            continue
        if f.kind == "date":
            try:
                values[f.name] = parse_date(text)
            except Unreadable:
                errors[f.name] = f"{f.label}“{text}”不是日期，{DATE_HINT}"
        elif f.kind == "result" and text not in LOOKBACK_RESULTS:
            errors[f.name] = f"结果只能是{'或'.join(LOOKBACK_RESULTS)}"
        else:
            values[f.name] = text
    return values, errors


def _item(item_id: str) -> Item:
    item = ledger().item(item_id)
    if item is None:
        abort(404, f"台帐中没有编号 {item_id}。")
    return item


def _form(name: str) -> ActionForm:
    form = FORMS.get(name)
    if form is None:
        abort(404, f"没有“{name}”这项操作。")
    return form


def last_action(item_id: str, events=None) -> str | None:
    """What 撤销 would take back ("2026-12-01 的延期"), or None; `events`: the item's, if read already."""
    last = last_event(events if events is not None else ledger().events(item_id))
    if not actions.undoable(last):
        return None
    assert last is not None
    return f"{last.on.isoformat()} 的{kind_label(last.kind)}"


def _page(form: ActionForm, item: Item, raw: Mapping[str, str], *, errors=None, error=None, result=None,
          status: int = 200):
    d = desk()
    return render_template(
        "action.html", form=form, item=item, raw=raw, errors=errors or {}, error=error, result=result,
        units=d.ws.config.unit_names, results=LOOKBACK_RESULTS, today=d.today(),
        undoing=last_action(item.id) if form.name == "undo" else None, page="items"), status


@bp.get("/items/<item_id>/actions/<name>")
def action_form(item_id: str, name: str):
    form, item = _form(name), _item(item_id)
    return _page(form, item, {"on": desk().today().isoformat()})


@bp.post("/items/<item_id>/actions/<name>")
def action_post(item_id: str, name: str):
    form, item = _form(name), _item(item_id)
    d = desk()
    today = d.today()
    raw = {f.name: request.form.get(f.name, "") for f in form.fields}
    values, errors = read_values(form, raw, today)
    if errors:
        return _page(form, item, raw, errors=errors, status=422)

    def call() -> ActionResult:
        return form.call(ledger(), d.ws.config, item.id, values, g.operator, today)

    try:
        if request.form.get("confirmed") != "1":
            return _page(form, item, raw, result=actions.preview(call))
        result = call()
    except ActionError as e:
        return _page(form, item, raw, error=actions.reword(str(e), _FORM_WORDS), status=422)
    flash("\n".join(result.lines), "info")
    return redirect(url_for("items.detail", item_id=item.id), code=303)
