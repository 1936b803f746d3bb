"""The ledger as data for scripts and people: JSON, CSV and the 三单工作台帐 workbook.

`item_record` is the pinned JSON shape of one item; state fields (as of a date) are added by
`with_state`. Writers at the bottom turn records into bytes; `export_ledger` is
`sancha export`:

    export_ledger(load_standing(ws, date(2026, 11, 30)), ws.config, "csv")
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date

from pipeline.config import Config
from pipeline.deadlines.states import Standing
from pipeline.ledger.evidence import EvidenceFile
from pipeline.model import Item, ItemState, Milestone, milestones_text
from pipeline.output.xlsx_text import csv_safe

FORMATS = ("json", "xlsx", "csv")  # sancha export --format

# Pinned keys of `sancha export --format json` (issue 2); `with_state` adds the states' (issue 3,
# and issue 16's report_on / report_late).
ITEM_KEYS = ("id", "unit", "co_units", "source", "problem", "measures", "deadline", "deadline_text", "ongoing",
             "owner", "progress", "status", "done_on", "remark", "updated_at",
             # issue 17: the three lists complete
             "inspection", "suggestion", "target", "leader", "phone", "milestones", "source_category",
             # issue 23: 佐证材料 as the rows say it
             "evidence_text",
             # issue 21: the item's id at the level above, and which level
             "upstream_id", "upstream")
# Issue 23: `records` adds "evidence", the files received: a list of {"name", "received_on", "sha256"}.
def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def item_record(item: Item) -> dict:
    return {
        "id": item.id, "unit": item.unit, "co_units": list(item.co_units), "source": item.source,
        "problem": item.problem, "measures": item.measures, "deadline": _iso(item.deadline),
        "deadline_text": item.deadline_text, "ongoing": item.ongoing, "owner": item.owner,
        "progress": item.progress, "status": item.status, "done_on": _iso(item.done_on), "remark": item.remark,
        "updated_at": item.updated_at,
        "inspection": item.inspection, "suggestion": item.suggestion, "target": item.target, "leader": item.leader,
        "phone": item.phone, "milestones": [m.as_dict() for m in item.milestones],
        "source_category": item.source_category, "evidence_text": item.evidence_text,
        "upstream_id": item.upstream_id, "upstream": item.upstream,  # issue 21: the level above's id of the item
    }


def with_state(record: dict, state: ItemState) -> dict:
    return {
        **record,
        "state": state.state, "report_due": _iso(state.report_due), "overdue_workdays": state.overdue_workdays,
        "report_missing": state.report_missing, "key_supervision": state.key_supervision,
        "lookback_due": state.lookback_due, "provisional": state.provisional,
        "report_on": _iso(state.report_on), "report_late": state.report_late,  # issue 16: the report that counts
        "measures_due": _iso(state.measures_due), "measures_missing": state.measures_missing,  # issue 17: 待报措施
    }


def records(items: list[Item], states: dict[str, ItemState] | None = None,
            evidence: Mapping[str, Sequence[EvidenceFile]] | None = None, *, lazy: bool = False):
    """One record per item (with its state fields when `states` is given, its 佐证材料 when
    `evidence` is): a list, or with `lazy` an iterator that makes each record as it is asked
    for (200,000 of them are never held at once)."""
    out = (_record(i, states, evidence) for i in items)
    return out if lazy else list(out)


def _record(item: Item, states: dict[str, ItemState] | None,
            evidence: Mapping[str, Sequence[EvidenceFile]] | None) -> dict:
    r = item_record(item)
    if states:
        r = with_state(r, states[r["id"]])
    if evidence is not None:
        r["evidence"] = [f.as_json() for f in evidence.get(r["id"], ())]
    return r


def to_json(recs: list[dict]) -> bytes:
    return b"".join(json_chunks(recs))


def json_chunks(recs: Iterable[dict]) -> Iterator[bytes]:
    """`json.dumps(list(recs), ensure_ascii=False, indent=2) + "\n"` as UTF-8, record by
    record (the same bytes: each record's lines indented once more): 200,000 records are never
    one string, nor one list."""
    first = True
    for rec in recs:
        body = json.dumps(rec, ensure_ascii=False, indent=2).replace("\n", "\n  ")  # no raw newline in a value
        yield (("[\n  " if first else ",\n  ") + body).encode("utf-8")
        first = False
    yield b"[]\n" if first else b"\n]\n"


def _cell_text(value) -> str:
    """A CSV cell: text a spreadsheet would take for a formula is escaped (`xlsx_text.csv_safe`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        if value and isinstance(value[0], dict) and "due" in value[0]:  # milestones
            return csv_safe(milestones_text(Milestone.from_dict(m) for m in value))
        # co_units; evidence: the files' names
        return csv_safe("、".join(v["name"] if isinstance(v, dict) else v for v in value))
    if isinstance(value, str):
        return csv_safe(value)
    return str(value)


def to_csv(recs: list[dict]) -> bytes:
    """UTF-8 with BOM so Excel on Windows opens it with Chinese intact; keys as the header."""
    keys = list(recs[0]) if recs else list(ITEM_KEYS)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(keys)
    for r in recs:
        writer.writerow([_cell_text(r.get(k)) for k in keys])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_chunks(standing: Standing, config: Config, fmt: str) -> Iterator[bytes]:
    """`export_ledger` in pieces: JSON record by record, the others whole."""
    if fmt == "json":
        return json_chunks(records(standing.items, standing.states, standing.evidence, lazy=True))
    return iter((export_ledger(standing, config, fmt),))


def export_ledger(standing: Standing, config: Config, fmt: str, inspections: dict[str, str] | None = None) -> bytes:
    """The items with their states as `fmt`: json, csv (UTF-8 with BOM) or xlsx (the 三单工作台帐
    workbook, as the weekly batch writes it; `inspections` names them by id there); each item's
    佐证材料 received by then (`standing.evidence`, as `load_standing` reads it) under the key
    "evidence" (xlsx: the column 佐证材料情况)."""
    evidence = standing.evidence
    if fmt == "xlsx":
        from pipeline.output.documents.ledger_xlsx import ledger_workbook  # the xlsx writer: only here

        return ledger_workbook(config, standing.items, standing.states, standing.summaries, standing.as_of,
                               inspections, evidence)
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {FORMATS}")
    recs = records(standing.items, standing.states, evidence)
    return to_json(recs) if fmt == "json" else to_csv(recs)
