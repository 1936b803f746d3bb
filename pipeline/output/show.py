"""`sancha show`: one item, its state as of a day and every event of its life — as JSON for
scripts (pinned keys) and as Chinese lines for the clerk. Pure: `ledger.standing.load_item`
reads what these lay out.

JSON: the item's fields (the export keys), "evidence" (the 佐证材料 files received, as the
export lists them), "state" (the export's state keys as of the day, or null before the item was
registered), and "events": a list of {"on", "kind", "field", "old",
"new", "source", "note"} in replay order (plus "at", when recorded, and "data", what the kind
carries); `source` names the file or the command (and who ran it).
"""

from __future__ import annotations

from datetime import date

from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import FINISHED_STATES, report_text
from pipeline.deadlines.workdays import PROVISIONAL_MARK
from pipeline.ledger.evidence import EvidenceFile, evidence_files
from pipeline.ledger.standing import ItemShown
from pipeline.ledger.timeline import Event, kind_label, plain
from pipeline.model import FIELD_TITLES, tuple_text
from pipeline.output.export import ITEM_KEYS, item_record, with_state

NOTHING = "—"
# Fields of issue 17 shown only when filled (items registered before them have none).
# … and of issue 21 (the item's id at the level above: the office's own items have none).
LATER_KEYS = frozenset({"inspection", "suggestion", "target", "leader", "phone", "milestones", "source_category",
                        "upstream_id", "upstream"})


def source_of(event: Event) -> str:
    """The file an event came from, or the command (and who ran it)."""
    if event.source:
        return event.source
    if event.command:
        return f"sancha {event.command}" + (f"（{event.operator}）" if event.operator else "")
    return "督查室" if event.file_id is None else f"文件 {event.file_id}"


def show_json(shown: ItemShown) -> dict:
    item = shown.then or shown.now
    record = item_record(item)
    state = None
    if shown.state is not None:
        state = {k: v for k, v in with_state(record, shown.state).items() if k not in record}
    return {
        **record,
        "evidence": [f.as_json() for f in evidence_files(shown.events)],
        "as_of": shown.as_of.isoformat(),
        "state": state,
        "events": [{"on": e.on.isoformat(), "kind": e.kind, "field": e.field, "old": plain(e.old), "new": plain(e.new),
                    "source": source_of(e), "note": e.note, "at": e.at, "data": dict(e.data)}
                   for e in shown.events],
    }


def _text(value) -> str:
    if value is None or value == "" or value == ():
        return NOTHING
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, tuple):
        return tuple_text(value)
    if isinstance(value, date):
        return cn_date(value)
    return str(value).replace("T", " ") if _is_timestamp(value) else str(value)


def _is_timestamp(value) -> bool:
    return isinstance(value, str) and len(value) == 19 and value[4] == "-" and value[10] == "T"


def _size(size) -> str:
    size = int(size or 0)
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size / 1024, 0.1):.1f} KB"


def evidence_lines(files: list[EvidenceFile], text: str | None) -> list[str]:
    """佐证材料 as a clerk reads it: what the unit's rows say, then each file received, numbered
    as `sancha evidence ID --get N` takes them."""
    lines = [f"佐证材料：{len(files)} 份" + (f"（报送表中填写：{text}）" if text else "")]
    lines += [f"  {n}. {f.name}（{cn_date(f.received_on)}收到，{_size(f.size)}，{f.unit or '督查室'}报送，"
              f"SHA-256 {f.sha256[:12]}…）" for n, f in enumerate(files, 1)]
    return lines


def _event_line(e: Event) -> str:
    what = kind_label(e.kind)
    if e.field:
        what += f" {FIELD_TITLES.get(e.field, e.field)}：{_text(e.old)} → {_text(e.new)}"
    extras = []
    if e.data.get("late"):
        extras.append("逾期后延期")
    if e.data.get("forced"):
        extras.append("强制销号")
    if e.data.get("no_evidence"):
        extras.append("无佐证材料")
    if e.kind == "notice" and e.data.get("level"):  # the ladder's step and its document's number
        extras.append(f"{e.data['level']}：{e.data.get('number') or e.data.get('document') or ''}")
    if e.kind == "escalate":
        extras.append(f"报送：{e.data.get('to', '')}")
    if e.kind == "answer":
        extras.append(f"上级答复：{e.data.get('answer', '')}" + ("，办结销号" if e.data.get("close") else ""))
    if e.kind == "evidence":
        extras.append(f"{e.data.get('name', '')}，{_size(e.data.get('size'))}")
    if e.data.get("result"):
        extras.append(f"结果：{e.data['result']}")
    if e.kind == "cooperate" and e.data.get("unit"):
        extras.append(f"配合单位：{e.data['unit']}")
    if e.note:
        extras.append(f"说明：{e.note}")
    tail = f"（{'；'.join(extras)}）" if extras else ""
    return f"  {cn_date(e.on)}  {what}{tail}  来源：{source_of(e)}"


def _shown_key(item, key: str) -> bool:
    """Issue 17's fields are listed when filled; the category only when it is not the source itself."""
    if key not in LATER_KEYS:
        return True
    value = getattr(item, key)
    return value not in (None, "", ()) and not (key == "source_category" and value == item.source)


def show_lines(shown: ItemShown) -> list[str]:
    """What `sancha show` prints: the fields, the state as of the day, then the events."""
    item = shown.then or shown.now
    lines = [f"事项 {item.id}（截至{cn_date(shown.as_of)}）"]
    lines += [f"{FIELD_TITLES[k]}：{_text(getattr(item, k))}" for k in ITEM_KEYS
              if k not in ("id", "evidence_text") and _shown_key(item, k)]
    files = evidence_files(shown.events)
    if files or item.evidence_text:  # none and nothing said: no line
        lines += evidence_lines(files, item.evidence_text)
    if shown.now.voided_on is not None:
        lines.append(f"作废日期：{cn_date(shown.now.voided_on)}（不计入统计和文书）")
    if shown.state is None:
        lines.append(f"状态：{cn_date(shown.as_of)} 时尚未登记")
    else:
        st = shown.state
        mark = PROVISIONAL_MARK if st.provisional else ""
        flags = [label for label, on in (("重点督查", st.key_supervision), ("待回头看", st.lookback_due)) if on]
        late = f"（逾期{st.overdue_workdays}个工作日{mark}）" if st.overdue_workdays else ""
        lines.append(f"状态：{st.state}{late}" + (f"；{'、'.join(flags)}" if flags else ""))
        owed = st.report_due is not None and st.state not in FINISHED_STATES
        lines.append(f"报送：{report_text(st)}" + (f"，报送截止日 {cn_date(st.report_due, st.provisional)}"
                                                  if owed else ""))
    lines.append(f"经过（{len(shown.events)} 项）：")
    lines += [_event_line(e) for e in shown.events]
    return lines
