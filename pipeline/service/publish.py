"""Putting a batch's documents in place, all or nothing per document, never replacing one sent out.

Every document of a batch is first written under a temporary name beside its place
(`.<name>.tmp`); only once all are written does each replace its old version, one by one. A
document that cannot (its old version held open in Word, WPS or Excel on Windows) is named in
`Published.blocked` and the others still go in: each file is either wholly the new version or
wholly the old one.

An issued document (a numbered circular, notice or report) replaces its old version only while
that is a draft: written by sancha less than `[rules] reissue_hours` ago and unchanged since (its
hash as recorded). One edited since, sent out (older), or not written by sancha is kept, and the
new version goes beside it as `…（重新生成）.docx` (then `（重新生成2）` …). `replace=True`
overwrites regardless. A preview (no number: a future --as-of) is always a draft.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from pipeline.files import write_atomic
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger

REISSUED = "（重新生成）"
EDITED, SENT, FOREIGN = "edited", "sent", "foreign"  # why an earlier version was kept


@dataclass(frozen=True)
class Document:
    """One output of a batch: where it belongs, and for issued documents what it is."""

    target: Path
    kind: str  # circular / notice / report / report-feedback / ledger / form / summary
    key: str = ""
    doc_number: str = ""
    issued: bool = False  # numbered or preview .docx: recorded, and the reissue rule applies
    verdict: str | None = None  # a circular's commended and criticised units (JSON), recorded with it

    @property
    def staged(self) -> Path:
        return self.target.with_name(f".{self.target.name}.tmp")


@dataclass(frozen=True)
class Placement:
    doc: Document
    path: Path  # where the new version went
    kept: Path | None = None  # the earlier version kept in place, when the new one went beside it
    reason: str = ""  # EDITED / SENT / FOREIGN


@dataclass
class Published:
    placed: list[Placement] = field(default_factory=list)
    blocked: list[tuple[Document, str]] = field(default_factory=list)  # (document, Chinese message)
    removed: list[Path] = field(default_factory=list)  # earlier files no longer due
    kept_stale: list[Path] = field(default_factory=list)  # earlier documents no longer due, kept: sent out or edited

    def path_of(self, target: Path) -> Path | None:
        return next((p.path for p in self.placed if p.doc.target == target), None)


def today() -> date:
    """The day that decides what is a preview (a document dated after it takes no number)."""
    return date.today()


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def relative(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


class Records:
    """What sancha wrote before, and whether a file there is still a draft of its own."""

    def __init__(self, root: Path, written: dict[str, issued.WrittenDocument], now: datetime, reissue_hours: float):
        self.root, self.written, self.now, self.hours = root, written, now, reissue_hours

    def why_kept(self, path: Path) -> str | None:
        """None when the file at `path` may be replaced (a draft), else why it is kept."""
        record = self.written.get(relative(self.root, path))
        if record is None:
            return FOREIGN
        if sha256_of(path) != record.sha256:
            return EDITED
        if record.doc_number and self.now - record.written_at >= timedelta(hours=self.hours):
            return SENT
        return None


def reissued_name(target: Path, n: int) -> Path:
    mark = REISSUED if n == 1 else f"{REISSUED[:-1]}{n}）"
    return target.with_name(f"{target.stem}{mark}{target.suffix}")


def destination(doc: Document, records: Records, replace: bool) -> tuple[Path, Path | None, str]:
    """Where `doc` goes: (path, the earlier version kept or None, why it was kept)."""
    if not doc.issued or replace or not doc.target.exists():
        return doc.target, None, ""
    reason = records.why_kept(doc.target)
    if reason is None:
        return doc.target, None, ""
    n = 1
    while True:
        candidate = reissued_name(doc.target, n)
        if not candidate.exists() or records.why_kept(candidate) is None:
            return candidate, doc.target, reason
        n += 1


def stage(doc: Document, data: bytes) -> None:
    """Write `doc`'s new version under its temporary name (OSError when the disk refuses)."""
    write_atomic(doc.staged, data)


def discard(docs: list[Document]) -> None:
    """Remove what was staged (a batch that stops before placing anything)."""
    for doc in docs:
        try:
            doc.staged.unlink(missing_ok=True)
        except OSError:
            pass


def _held_open(path: Path, error: OSError) -> str:
    return (f"无法替换 {path.name}（{path.parent}）：文件可能正在 Word/WPS/Excel 中打开，或没有写权限"
            f"（{error.strerror or error}）。请关闭后重新运行，原文件未改动。")


def place(ledger: Ledger, root: Path, docs: list[Document], *, as_of: date, replace: bool = False,
          reissue_hours: float = 24, now: datetime | None = None) -> Published:
    """Move every staged document into place (see the module docstring) and record the issued ones."""
    now = now or datetime.now()
    records = Records(root, issued.written(ledger), now, reissue_hours)
    out = Published()
    written = []
    for doc in docs:
        path, kept, reason = destination(doc, records, replace)
        digest = sha256_of(doc.staged) if doc.issued else None
        try:
            os.replace(doc.staged, path)
        except OSError as e:
            out.blocked.append((doc, _held_open(path, e)))
            discard([doc])
            continue
        out.placed.append(Placement(doc, path, kept, reason))
        if doc.issued and digest:
            written.append(issued.WrittenDocument(relative(root, path), doc.kind, doc.key, doc.doc_number, digest,
                                                  as_of, now, doc.verdict))
    if written:
        issued.record_written(ledger, written)
    return out


def remove_stale(ledger: Ledger, root: Path, stale: list[Path], out: Published, *, reissue_hours: float = 24,
                 now: datetime | None = None) -> None:
    """Remove earlier files no longer due (a notice to a unit that caught up): an issued document
    only while it is a draft; the others always."""
    records = Records(root, issued.written(ledger), now or datetime.now(), reissue_hours)
    gone = []
    for path in stale:
        rel = relative(root, path)
        if (rel in records.written or path.suffix == ".docx") and records.why_kept(path) is not None:
            out.kept_stale.append(path)
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError as e:
            out.blocked.append((Document(path, "stale"), _held_open(path, e)))
            continue
        out.removed.append(path)
        if rel in records.written:
            gone.append(rel)
    if gone:
        issued.forget_written(ledger, gone)


def verdict_json(context: dict) -> str:
    """A circular's commended and criticised units (its context's `verdict`) as recorded with it."""
    return json.dumps(context["verdict"], ensure_ascii=False)
