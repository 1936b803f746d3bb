"""佐证材料 that travel up inside a township's report (`sancha upstream export`).

The report up is an .xlsx, a zip of parts: each 佐证材料 file of an item reported with the
district's id goes in as a part of its own, stored byte for byte (`sancha/evidence/<n>.bin`),
beside a manifest (`sancha/evidence/manifest.json`: for each part the district's 编号, the
file's name, size and SHA-256, the day the township received it). [Content_Types].xml declares
both kinds of part, so Excel, WPS and the readers see an ordinary workbook and ignore them.

The district's ingest, once it has accepted such a report from the township's folder, takes
each part whose bytes match the manifest's SHA-256 as evidence of its item — archived, an
`evidence` event naming the report — unless the item has a file of that SHA-256 already (the
next report carries the same files again: nothing is doubled). A part that does not match, an
item that is not the township's, or a file the district's `[evidence]` would not take, is
left out with warning `evidence-in-report` naming the file and why; the report itself stands.
A report would grow past what the district accepts (`[limits] max_file_mb`): files that do not
fit are left out of it, and the export says which (they can go the ordinary way, in
`inbox/<as_unit>/佐证/<编号>/`).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.intake.evidence import SNIFF_BYTES, Target
from pipeline.intake.findings import EVIDENCE_IN_REPORT
from pipeline.ledger.archive import archive_copy
from pipeline.ledger.evidence import EvidenceFile, archived_bytes, evidence_by_item, evidence_findings
from pipeline.ledger.ledger import Ledger, now_iso
from pipeline.ledger.timeline import Event
from pipeline.model import Finding
from pipeline.workspace import Workspace

PART_DIR = "sancha/evidence/"
MANIFEST = PART_DIR + "manifest.json"
_TYPES = "[Content_Types].xml"
_DEFAULTS = (b'<Default Extension="bin" ContentType="application/octet-stream"/>',
             b'<Default Extension="json" ContentType="application/json"/>')
_MANIFEST_MAX = 4 * 1024 * 1024
_MB = 1024 * 1024


@dataclass(frozen=True)
class Carried:
    """One file to carry up: the district's 编号 of its item, and the file."""

    upstream_id: str
    file: EvidenceFile
    data: bytes


def to_carry(ws: Workspace, ledger: Ledger, district_ids: dict[str, str], as_of: date) -> list[Carried]:
    """The 佐证材料 of the reported items (our id → the district's), by the district's 编号 and
    in the order received; each file's bytes from data/archive/, checked (`Refused` otherwise)."""
    files = evidence_by_item(ledger, district_ids, as_of)
    out = []
    for item_id in sorted(files, key=lambda i: (district_ids[i], i)):
        for f in files[item_id]:
            out.append(Carried(district_ids[item_id], f, archived_bytes(ws.archive, f)))
    return out


def embed(workbook: bytes, carried: Sequence[Carried], limit_mb: float) -> tuple[bytes, list[Carried]]:
    """The workbook with the files as parts and their manifest (pure), and the files left out
    because the workbook would grow past `limit_mb`."""
    if not carried:
        return workbook, []
    room = limit_mb * _MB - len(workbook) - 64 * 1024  # the manifest and the zip's own entries
    taken: list[Carried] = []
    left: list[Carried] = []
    for c in carried:
        if len(c.data) + 512 <= room:
            taken.append(c)
            room -= len(c.data) + 512
        else:
            left.append(c)
    if not taken:
        return workbook, left
    manifest = [{"upstream_id": c.upstream_id, "name": c.file.name, "size": len(c.data), "sha256": c.file.sha256,
                 "received_on": c.file.received_on.isoformat(), "part": f"{PART_DIR}{n}.bin"}
                for n, c in enumerate(taken, 1)]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == _TYPES:
                body = _declared(body)
            dst.writestr(info, body)
        dst.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        for entry, c in zip(manifest, taken, strict=True):
            dst.writestr(zipfile.ZipInfo(str(entry["part"]), date_time=(1980, 1, 1, 0, 0, 0)), c.data,
                         compress_type=zipfile.ZIP_STORED)  # photos and PDFs are compressed already
    return out.getvalue(), left


def _declared(types: bytes) -> bytes:
    """[Content_Types].xml declaring the parts' extensions (unless it does already)."""
    for default in _DEFAULTS:
        extension = re.search(rb'Extension="(\w+)"', default)
        assert extension is not None
        if not re.search(rb'<Default\s+Extension="' + extension[1] + rb'"', types, re.IGNORECASE):
            types = types.replace(b"</Types>", default + b"</Types>", 1)
    return types


@dataclass(frozen=True)
class Embedded:
    """A file a report carries: what its manifest says, and the part's bytes (None: missing, or
    larger than the reader was allowed to read — `size` says which)."""

    upstream_id: str
    name: str
    sha256: str
    data: bytes | None
    size: int | None = None  # the part's size as its zip entry says; None when there is no part


MAX_CARRIED = 5000  # manifest entries read from one report; a longer manifest is cut here


def embedded(data: bytes, max_bytes: int | None = None) -> list[Embedded]:
    """The files a report up carries (none when it is no such report, or its manifest is
    unreadable). Each part is read once, however often the manifest names it, and only when it
    is no larger than `max_bytes`; at most MAX_CARRIED entries (a hostile manifest must not make
    the district's ingest read one part thousands of times)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            try:
                info = z.getinfo(MANIFEST)
            except KeyError:
                return []
            if info.file_size > _MANIFEST_MAX:
                return []
            manifest = json.loads(z.read(info))
            if not isinstance(manifest, list):
                return []
            sizes = {i.filename: i.file_size for i in z.infolist() if i.filename.startswith(PART_DIR)}
            bodies: dict[str, bytes | None] = {}
            out = []
            for entry in manifest[:MAX_CARRIED]:
                if not isinstance(entry, dict):
                    continue
                part = str(entry.get("part") or "")
                size = sizes.get(part) if part != MANIFEST else None
                if size is not None and part not in bodies:
                    bodies[part] = z.read(part) if max_bytes is None or size <= max_bytes else None
                out.append(Embedded(str(entry.get("upstream_id") or ""), str(entry.get("name") or ""),
                                    str(entry.get("sha256") or ""), bodies.get(part), size))
            return out
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, zipfile.LargeZipFile):
        return []


def take(ws: Workspace, ledger: Ledger, report: str, unit: str, data: bytes, received: date,
         file_id: int) -> tuple[list[str], list[Event], list[Finding], list[Path]]:
    """The district's side: the files a township's accepted report carries, checked, archived and
    recorded as `evidence` events (inside the report's transaction). Returns the items given
    files, the events, the warnings about files left out, and the archive copies written."""
    config = ws.config
    items: list[str] = []
    events: list[Event] = []
    found: list[Finding] = []
    copies: list[Path] = []
    limit = int(config.evidence.max_mb * _MB)
    carried = embedded(data, limit)
    if not carried:
        return items, events, found, copies
    have = {i: {f.sha256 for f in files}
            for i, files in evidence_by_item(ledger, {e.upstream_id for e in carried}).items()}
    for e in carried:
        def refuse(why: str, e: Embedded = e) -> None:
            found.append(EVIDENCE_IN_REPORT.at(file=report, name=e.name, item_id=e.upstream_id, reason=why))

        item = ledger.item(e.upstream_id) if e.upstream_id else None
        if e.size is not None and e.size > limit:
            refuse(f"文件大小 {e.size / _MB:.1f} MB，超过佐证材料上限 {config.evidence.max_mb:g} MB")
            continue
        if e.data is None:
            refuse("报表中缺少该文件")
            continue
        if hashlib.sha256(e.data).hexdigest() != e.sha256:
            refuse("文件内容与报表记载的 SHA-256 不符（传送中损坏）")
            continue
        if len(e.data) > config.evidence.max_mb * _MB:
            refuse(f"文件大小 {len(e.data) / _MB:.1f} MB，超过佐证材料上限 {config.evidence.max_mb:g} MB")
            continue
        problems = evidence_findings(config, name=e.name, head=e.data[:SNIFF_BYTES],
                                     target=Target(e.upstream_id or None, e.upstream_id, "name"), unit=unit,
                                     item=item)
        if problems or item is None:
            refuse(problems[0].message.split("：", 1)[-1] if problems else "台帐中没有该编号")
            continue
        if e.sha256 in have.setdefault(item.id, set()):  # carried by an earlier report: already the item's
            continue
        archive, copy = archive_copy(ws, e.data, e.sha256, e.name, received)
        copies.append(copy)
        on = max(received, item.created_on)
        events.append(Event(item.id, "evidence", on, now_iso(), file_id=file_id, data={
            "name": e.name, "size": len(e.data), "sha256": e.sha256, "unit": unit, "archive_path": archive,
            "via": report}))
        have[item.id].add(e.sha256)
        if item.id not in items:
            items.append(item.id)
    return items, events, found, copies
