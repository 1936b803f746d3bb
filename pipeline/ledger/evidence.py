"""佐证材料 (evidence) in the ledger: a unit's file attached to an item, and the files an item has.

A file the inbox holds as evidence (`intake/evidence.py` says which) is never parsed. Its bytes
are archived like any submission's, and, checked, it becomes an `evidence` event on the item
(timeline.py: name, size, sha256, who sent it, where the archive keeps it) and a journal row of
verdict 'evidence' naming the item (its `updated`), answered by a receipt in the unit's outbox
folder. Refused — an unknown or foreign 编号, a type not accepted or disguised, a file too large
— it is journalled rejected with the reason; a file too large is never read nor archived (as any
file over the limits). The same bytes again are a duplicate.

`evidence_files` lists an item's files from its events (pure); `evidence_by_item` reads the
files of many items at once (the export, the ledger workbook).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import Refused
from pipeline.intake.evidence import SNIFF_BYTES, Target, sniff, suffix_of
from pipeline.intake.findings import (
    EVIDENCE_FOREIGN_ID,
    EVIDENCE_TOO_LARGE,
    EVIDENCE_TYPE,
    EVIDENCE_UNKNOWN_ID,
)
from pipeline.ledger.archive import archive_copy, discard
from pipeline.ledger.inbox import folder_unit, relative
from pipeline.ledger.ledger import Ledger, now_iso
from pipeline.ledger.timeline import Event, decode_data
from pipeline.model import Finding, Item
from pipeline.workspace import readable_name

if TYPE_CHECKING:
    from pipeline.config import Config
    from pipeline.ledger.ahead import Parsed
    from pipeline.ledger.ingest import Ingestor

_MB = 1024 * 1024


@dataclass(frozen=True)
class EvidenceFile:
    """One 佐证材料 file of an item, as its evidence event recorded it."""

    item_id: str
    name: str
    received_on: date
    sha256: str
    size: int
    unit: str | None  # who sent it
    archive_path: str | None  # relative to data/archive
    file_id: int | None  # the files journal row
    event_id: int

    def as_json(self) -> dict:
        """The pinned shape in `sancha export` (key `evidence`) and `sancha evidence --json`."""
        return {"name": self.name, "received_on": self.received_on.isoformat(), "sha256": self.sha256}


def _file(item_id: str, event_id: int, on: date, file_id: int | None, data) -> EvidenceFile:
    return EvidenceFile(item_id, data.get("name", ""), on, data.get("sha256", ""), int(data.get("size") or 0),
                        data.get("unit"), data.get("archive_path"), file_id, event_id)


def evidence_files(events: Iterable[Event], day: date | None = None) -> list[EvidenceFile]:
    """An item's 佐证材料 from its events, in the order received (up to `day`, if given); an
    evidence event taken back by an undo is left out."""
    events = list(events)
    undone = {e.data.get("event") for e in events if e.kind == "undo" and (day is None or e.on <= day)}
    return [_file(e.item_id, e.id, e.on, e.file_id, e.data) for e in sorted(events, key=lambda e: e.id)
            if e.kind == "evidence" and e.id not in undone and (day is None or e.on <= day)]


def evidence_by_item(ledger: Ledger, ids: Iterable[str] | None = None,
                     day: date | None = None) -> dict[str, list[EvidenceFile]]:
    """The 佐证材料 of these items (None: of every item), by item, in the order received; with
    `day`, as the end of that day had them."""
    last = (day or date.max).isoformat()
    rows = ledger.conn.execute(
        "SELECT item_id, id, on_day, file_id, data FROM events WHERE kind = 'evidence' AND on_day <= :day "
        "AND id NOT IN (SELECT json_extract(data, '$.event') FROM events WHERE kind = 'undo' AND on_day <= :day "
        "AND json_extract(data, '$.event') IS NOT NULL) ORDER BY item_id, id", {"day": last}).fetchall()
    wanted = None if ids is None else set(ids)
    out: dict[str, list[EvidenceFile]] = {}
    for item_id, event_id, on, file_id, data in rows:
        if wanted is None or item_id in wanted:
            out.setdefault(item_id, []).append(_file(item_id, event_id, date.fromisoformat(on), file_id,
                                                     decode_data(data)))
    return out


def evidence_on(ledger: Ledger, day: date) -> dict[str, list[EvidenceFile]]:
    """Every item's 佐证材料 received by the end of `day` (taken back by an undo by then: left
    out; an undo after that day does not change what the day had)."""
    return evidence_by_item(ledger, day=day)


def archived_bytes(archive: Path, f: EvidenceFile) -> bytes:
    """The file's bytes as received, from data/archive/ (never a path outside it), checked
    against its SHA-256; `Refused` naming what is wrong otherwise."""
    path = (archive / (f.archive_path or "")).resolve()
    if not f.archive_path or not path.is_relative_to(archive.resolve()) or not path.is_file():
        raise Refused(f"{f.name} 的存档副本不在 data/archive/ 中（{f.archive_path}），请从备份恢复存档")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != f.sha256:
        raise Refused(f"{f.name} 的存档副本与收到时的内容不符（SHA-256 不同），请从备份恢复存档")
    return data


def may_send(config: Config, unit: str | None, item: Item) -> bool:
    """Whether `unit` may add evidence to `item`: its lead unit, a co-unit, or the office."""
    if unit is None:
        return False
    if config.is_office(unit):
        return True
    own = config.canonical_unit(unit)
    return own == config.canonical_unit(item.unit) or own in {config.canonical_unit(u) for u in item.co_units}


def evidence_findings(config: Config, *, name: str, head: bytes, target: Target, unit: str | None,
                      item: Item | None) -> list[Finding]:
    """Why a file cannot be the 佐证材料 it says it is (empty: it can), in the order a unit
    fixes them: the 编号, who sent it, the type."""
    if target.item_id is None:
        if not target.named:
            return [EVIDENCE_UNKNOWN_ID.at(form="no-id", file=name)]
        return [EVIDENCE_UNKNOWN_ID.at(form="bad-id", file=name, named=target.named)]
    if item is None:
        return [EVIDENCE_UNKNOWN_ID.at(file=name, item_id=target.item_id)]
    if unit is None:
        return [EVIDENCE_FOREIGN_ID.at(form="no-unit", file=name, item_id=item.id)]
    if not may_send(config, unit, item):
        return [EVIDENCE_FOREIGN_ID.at(file=name, item_id=item.id, owner=item.unit, unit=unit)]
    suffix = suffix_of(name)
    types = config.evidence.types
    if suffix not in types:
        return [EVIDENCE_TYPE.at(file=name, suffix=f".{suffix}" if suffix else "（无扩展名）",
                                 types="、".join(f".{t}" for t in types))]
    if not sniff(head, suffix):
        return [EVIDENCE_TYPE.at(form="disguised", file=name, suffix=f".{suffix}")]
    return []


class EvidenceIntake:
    """The `Ingestor`'s way with 佐证材料 files (same lock, group, journal and receipts)."""

    def __init__(self, ingestor: Ingestor):
        self.ing = ingestor

    def record(self, path: Path, size: int, target: Target, received: date, started: float,
               ahead: Callable[[], Parsed | None] | None) -> bool:
        """Read, check and journal one evidence file (its savepoint in the group's transaction)."""
        ing = self.ing
        parsed = ahead() if ahead else None
        discard(parsed.staged if parsed else None)  # parsed as a spreadsheet ahead: not used
        name = readable_name(path.name)
        real = ing.resolve(path)
        source_path = relative(ing.root, real)
        unit, _ = folder_unit(ing.inbox, real, ing.units)
        limit = ing.config.evidence.max_mb
        if size > limit * _MB:  # never read into memory nor archived; hashed streaming
            with open(path, "rb") as fh:
                sha = hashlib.file_digest(fh, "sha256").hexdigest()
            pending = ing.ledger.pending_for(sha, source_path)
            if pending is None:
                finding = EVIDENCE_TOO_LARGE.at(file=name, size_mb=size / _MB, limit_mb=limit)
                pending = ing.journal_rejected(sha=sha, name=name, source_path=source_path, received=received,
                                               archive=None, unit=unit, findings=[finding])
            ing.answer_later(pending, path, started)
            return True
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        pending = ing.ledger.pending_for(sha, source_path)
        if pending:  # recorded by a run that crashed before answering it
            ing._keep_archived(pending, data)
            ing.answer_later(pending, path, started)
            return True
        first = ing.ledger.first_with_hash(sha)
        if first:
            ing._record_duplicate(first, path, name, sha, source_path, unit, received, started)
            return True
        archive, copy = archive_copy(ing.ws, data, sha, name, received)
        ing.keep_durable(copy)
        item = ing.ledger.item(target.item_id) if target.item_id else None
        findings = evidence_findings(ing.config, name=name, head=data[:SNIFF_BYTES], target=target, unit=unit,
                                     item=item)
        if findings or item is None:
            record = ing.journal_rejected(sha=sha, name=name, source_path=source_path, received=received,
                                          archive=archive, unit=unit, findings=findings)
            ing.answer_later(record, path, started)
            return True
        ing._writing()
        with ing.ledger.savepoint():
            record = ing.ledger.record_file(sha256=sha, name=name, source_path=source_path, unit=unit,
                                            received_on=received, verdict="evidence", duplicate_of=None,
                                            archive_path=archive, added=[], updated=[item.id], findings=[])
            on = max(received, item.created_on)  # nothing happens to an item before its register
            ing.ledger.append_events([Event(item.id, "evidence", on, now_iso(), file_id=record.id, data={
                "name": name, "size": len(data), "sha256": sha, "unit": unit, "archive_path": archive})])
            now = ing.ledger.reproject([item.id])
        ing.answer_later(record, path, started, now)
        return True
