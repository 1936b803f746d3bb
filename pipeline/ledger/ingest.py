"""One submitted file end to end, exactly once, whatever crashes in between.

    read bytes → hash → (recovery | duplicate | parse → merge) → archive → the file's own
    transaction, all or nothing (items + events + journal row 'recorded') → [the group's
    durable commit] → receipt → remove from inbox (if its name still holds the bytes answered)
    → journal 'done'

Files are taken in groups (up to GROUP_FILES, or GROUP_SECONDS): one SQLite transaction per
group, inside it one savepoint per file (SQLite's nested transaction: a file that fails is
rolled back alone, nothing of it stays). The group's archive copies are fsynced, then its commit
is; only then does any of its files get its receipt and leave the inbox. A crash before that
commit leaves the group's files in the inbox and the ledger as it was (an orphan archive copy
is harmless: it is content-addressed and rewritten next time). A crash after it leaves
'recorded' journal rows: the next run finishes their receipts and cleanup instead of processing
them again. One process at a time works on the inbox (a file lock, held per group), so
`ingest`, `weekly` and `watch` can run side by side.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple, TypedDict

from filelock import FileLock

from pipeline.intake.action_sheet import SHEET as ACTION_SHEET
from pipeline.intake.action_sheet import ActionSheet, find_action_sheet
from pipeline.intake.evidence import Target, evidence_target, taken_as_evidence
from pipeline.intake.findings import DUPLICATE_FILE, FILE_QUARANTINED, FILE_TOO_LARGE, LINK_NOT_ALLOWED, UNKNOWN_FOLDER
from pipeline.intake.isolation import Reader, prestart
from pipeline.intake.parse import SubmissionStream, stream_submission
from pipeline.intake.read import read_named_sheet
from pipeline.intake.submitter import Submitter
from pipeline.intake.units import directory
from pipeline.ledger.ahead import Ahead, Parsed, workers_here
from pipeline.ledger.archive import Syncer, archive_copy, clear_stale_staging, discard, keep_copy
from pipeline.ledger.evidence import EvidenceIntake
from pipeline.ledger.inbox import (
    Resolver,
    folder_inspection,
    folder_unit,
    holds,
    in_inbox,
    is_candidate,
    is_link,
    leave_inbox,
    link_fingerprint,
    locate,
    read_if_holds,
    relative,
    remove_link,
    waiting_files,
)
from pipeline.ledger.inspections import FileInspections, InspectionDirectory, load_inspections
from pipeline.ledger.ledger import FileRecord, Ledger, now_iso
from pipeline.ledger.merge import Merger, OpenProblems, cooperation_events
from pipeline.ledger.quarantine import DEATHS, InHand, quarantine
from pipeline.ledger.sheet_actions import apply_sheet
from pipeline.model import STATUS_DONE, Finding, Item, Submission
from pipeline.osguard import held_for_writing, writers
from pipeline.output import receipts
from pipeline.upstream.evidence_up import take as take_evidence
from pipeline.upstream.levels import keep, read_figures
from pipeline.workspace import Workspace, readable_name

log = logging.getLogger("sancha.ingest")

_MB = 1024 * 1024
_RECEIPT_ITEMS_KEPT = 5000  # a bigger file's receipt reads its items back from the ledger, a batch at a time


@dataclass
class FileResult:
    path: str
    name: str
    unit: str | None
    verdict: str  # accepted / rejected / duplicate / evidence (a 佐证材料 file attached to an item)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    receipt: Path | None = None
    seconds: float = 0.0
    file_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"

    @property
    def duplicate(self) -> bool:
        return self.verdict == "duplicate"

    def as_json(self) -> dict:
        """The pinned shape of `sancha ingest --json`."""
        return {
            "path": self.path,
            "unit": self.unit,
            "accepted": self.accepted or self.verdict == "evidence",  # a 佐证材料 file is taken in too
            "duplicate": self.duplicate,
            "added": self.added,
            "updated": self.updated if self.verdict != "evidence" else [],
            "evidence": self.updated[0] if self.verdict == "evidence" and self.updated else None,  # the item
            "issues": [f.as_dict() for f in self.findings],
        }


class _Journal(TypedDict):
    """A file's journal row but for its outcome."""

    sha256: str
    name: str
    source_path: str
    received_on: date
    duplicate_of: int | None
    archive_path: str | None


class _Recorded(NamedTuple):
    """A file whose verdict is in the journal, waiting for its receipt and the inbox cleanup."""

    record: FileRecord
    path: Path | None  # where it lies; None when it is gone or holds other bytes now
    started: float
    items: dict | None  # the items just written, for the receipt (else read back)
    changes: dict | None = None  # and the field changes (events) of the items it updated, by item


# Files answered together: their journal rows and archive copies are made durable by one
# fsync of the log and one pass over the copies, instead of two fsyncs per file. Until then
# they stay in the inbox, and the lock is held, so no one else answers them either.
GROUP_FILES = 64
GROUP_SECONDS = 1.0


class Ingestor:
    """Processes files into one workspace's ledger. Cheap to create; holds the open ledger (the
    caller's, which it does not close). Use as a context manager, or `close` it."""

    def __init__(self, ws: Workspace, ledger: Ledger, isolated: bool | None = None):
        self.ws = ws
        self.ledger = ledger
        self.config = ws.config
        self.units = directory(self.config)
        self.lock = FileLock(str(ws.locks / "ingest.lock"))
        self.root = ws.root.resolve()  # resolved once, not for every file
        self.inbox = ws.inbox.resolve()
        self.resolve = Resolver()
        self.syncer = Syncer()  # the group's archive copies, fsynced together
        self.reader = Reader(self.config, isolated)  # each file read in a worker process with limits
        self.inhand = InHand(ws)
        self._writers_seen: tuple[float, set[tuple[int, int]] | None] | None = None
        self._recorded: list[_Recorded] = []  # recorded, not yet durable nor answered
        self._copies: list[Path] = []  # archive copies written and not yet fsynced
        self._problems: dict[str, OpenProblems] = {}  # open items per unit, for similar-problem
        self._problems_version = -1
        self.evidence = EvidenceIntake(self)

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the fsync threads (the ledger stays open: it is the caller's)."""
        self.syncer.close()

    # -- public ---------------------------------------------------------------------------
    def ingest(self, path: Path, received: date | None = None,
               ahead: Callable[[], Parsed | None] | None = None) -> FileResult | None:
        """Process one file and answer it; None when it is not a submission or another process
        took it. `ahead` gives the file as a worker parsed it beforehand, if it did."""
        results = self.ingest_many([(path, ahead)], received)
        return results[0] if results else None

    def ingest_many(self, files: Iterable[tuple[Path, Callable[[], Parsed | None] | None]],
                    received: date | None = None,
                    progress: Callable[[FileResult | None], None] | None = None) -> list[FileResult]:
        """Process files in order, answering them in groups (GROUP_FILES, GROUP_SECONDS): each
        file is all or nothing and gets its own verdict exactly as alone; the group shares one
        commit and its fsyncs. `progress` is called once per file, with its result or None (not a submission,
        taken by another process)."""
        results: list[FileResult] = []
        files = iter(files)
        more = True
        while more:
            with self.lock:
                try:
                    more = self._record_group(files, received or date.today(), progress)
                finally:  # even when a file failed (disk full): what is committed gets answered
                    results += self._answer(progress)
        return results

    def _record_group(self, files: Iterator[tuple[Path, Callable[[], Parsed | None] | None]], received: date,
                      progress: Callable[[FileResult | None], None] | None) -> bool:
        """Record files until the group is full (GROUP_FILES, GROUP_SECONDS): one transaction, a
        savepoint per file, then the archive copies fsynced and one durable commit. False when
        `files` ran out. Should a file fail (disk full), it is rolled back alone, the files
        recorded before it are committed, and the error goes on."""
        opened = time.monotonic()
        self.resolve.forget()
        try:
            while len(self._recorded) < GROUP_FILES and time.monotonic() - opened < GROUP_SECONDS:
                entry = next(files, None)
                if entry is None:
                    return False
                path, ahead = entry
                if not (is_candidate(path) and self._record(path, received, ahead)) and progress:
                    progress(None)
            return True
        finally:
            self._commit_group()

    def _writing(self) -> None:
        """The group's transaction, begun at its first write: until then (reading, hashing,
        parsing the first file) other processes may still write to the ledger."""
        if not self.ledger.in_transaction:
            self.ledger.begin()

    def _commit_group(self) -> None:
        """Archive copies first, then the journal: both durable before any file leaves the inbox.
        Nothing committed (SQLite rolled back itself, or the commit failed): nothing to answer,
        the files stay in the inbox for the next run."""
        copies, self._copies = self._copies, []
        try:
            self.syncer.fsync_all(copies)
            if self.ledger.in_transaction:
                self.ledger.commit()
                return
        except BaseException:
            self.ledger.rollback()
            self._recorded = []
            self._problems = {}  # what the group added to them is gone
            raise
        self._recorded = []

    def recover(self) -> list[FileResult]:
        """Finish files a crash left recorded but unanswered (receipt, cleanup)."""
        with self.lock:
            for record in self.ledger.files(state="recorded"):
                source = locate(self.ws.root, record.source_path)
                if record.archive_path is None:  # nothing to keep (a link; a file too large to read)
                    same = link_fingerprint(source) == record.sha256 or holds(source, record.sha256)
                    there = source if same else None
                    self._recorded.append(_Recorded(record, there, 0.0, None))
                    continue
                data = read_if_holds(source, record.sha256)
                self._recorded.append(_Recorded(record, source if data is not None else None, 0.0, None))
                self._keep_archived(record, data)
            if self._recorded:  # their journal rows may not be durable yet (an older run's, another process's)
                copies, self._copies = self._copies, []
                self.syncer.fsync_all(copies)
                self.ledger.sync()
            return self._answer()

    # -- steps ----------------------------------------------------------------------------
    def _record(self, path: Path, received: date, ahead=None) -> bool:
        """Read, check and journal one file (its savepoint in the group's transaction); False when
        there is nothing to answer (the file is gone or cannot be read yet)."""
        started = time.perf_counter()
        try:
            st = os.lstat(path)
            if is_link(path, st):  # never followed: answered as a link, and only the link removed
                return self._record_link(path, received, started, ahead)
            if not stat.S_ISREG(st.st_mode):
                return False  # a FIFO, a folder: waiting_files says so once in the log
            if held_for_writing(path, self._writers()):
                log.info("%s 仍在写入（复制未完成），留待下次处理", readable_name(path.name))
                return False
            size = st.st_size  # from the file system, before reading: a 3 GB file is never read whole
            target = self._evidence_target(path)
            if target is not None:  # 佐证材料: its own limits, never parsed
                return self.evidence.record(path, size, target, received, started, ahead)
            if size > self.config.limits.max_file_mb * _MB:
                return self._record_too_large(path, size, received, started, ahead)
            data = path.read_bytes()
        except OSError as e:
            parsed = ahead() if ahead else None
            discard(parsed.staged if parsed else None)
            if not isinstance(e, FileNotFoundError):  # else another process answered it already
                log.warning("暂时无法读取 %s：%s", path, e)  # still being written or locked by its owner: later
            return False
        sha = hashlib.sha256(data).hexdigest()
        name = readable_name(path.name)  # what the journal, the receipt and the archive call it
        real = self.resolve(path)
        source_path = relative(self.root, real)
        unit, folder = folder_unit(self.inbox, real, self.units)
        named = folder_inspection(self.inbox, real, self.units)
        parsed = ahead() if ahead else None
        if parsed is not None and not parsed.fits(sha, unit, received):
            discard(parsed.staged)  # the file changed since the worker read it
            parsed = None
        staged = parsed.staged if parsed else None

        pending = self.ledger.pending_for(sha, source_path)
        if pending:  # recorded by a run that crashed before answering it
            discard(staged)
            self._keep_archived(pending, data)
            self._recorded.append(_Recorded(pending, path, started, None))
            return True

        first = self.ledger.first_with_hash(sha)
        if first:
            discard(staged)
            self._record_duplicate(first, path, name, sha, source_path, unit, received, started)
            return True

        archive, copy = archive_copy(self.ws, data, sha, name, received, staged)
        self._copies.append(copy)
        journal = _Journal(sha256=sha, name=name, source_path=source_path, received_on=received, duplicate_of=None,
                           archive_path=archive)
        if unit is not None and self.config.is_office(unit):
            found = self._action_sheet(data, name)
            if found is not None:  # the office's action sheet: its rows are office actions, nothing else is read
                self._recorded.append(_Recorded(self._record_actions(journal, unit, found), path, started, None))
                return True
        in_hand = False
        if parsed is not None:
            stream = SubmissionStream.of(parsed.submission)  # parsed from the very bytes read here, under the lock
        else:
            stream, in_hand = self._read(data, name, sha, unit, received)
        notes = []
        if folder and unit is None:
            notes.append(UNKNOWN_FOLDER.at(folder=folder))
        try:
            record, written, changes = self._journal(stream, notes, journal, inspection=named)
        finally:
            if in_hand:
                self.inhand.end(sha)
        self._level_figures(record, data)
        record = self._level_evidence(record, data, received)
        self._recorded.append(_Recorded(record, path, started, written, changes))
        return True

    def _evidence_target(self, path: Path) -> Target | None:
        """Whether the file is 佐证材料 (intake/evidence.py): by its folders inside the inbox and its name."""
        real = self.resolve(path)
        if not in_inbox(self.inbox, real):
            return None
        parts = tuple(readable_name(p) for p in real.relative_to(self.inbox).parts)
        name = readable_name(path.name)
        target = evidence_target(parts[:-1], name)
        if target is None or not taken_as_evidence(target, name, lambda i: self.ledger.item(i) is not None):
            return None
        return target

    # -- for 佐证材料 (ledger/evidence.py) ---------------------------------------------------
    def answer_later(self, record: FileRecord, path: Path, started: float, items: dict | None = None) -> None:
        """A journalled file, answered (receipt, cleanup) once its group is durable."""
        self._recorded.append(_Recorded(record, path, started, items))

    def keep_durable(self, copy: Path) -> None:
        """An archive copy, fsynced with the group's before its commit."""
        self._copies.append(copy)

    def journal_rejected(self, *, sha: str, name: str, source_path: str, received: date, archive: str | None,
                         unit: str | None, findings: list[Finding]) -> FileRecord:
        journal = _Journal(sha256=sha, name=name, source_path=source_path, received_on=received,
                           duplicate_of=None, archive_path=archive)
        return self._journal_rejected(journal, unit, findings)

    def _level_figures(self, record: FileRecord, data: bytes) -> None:
        """A township's report up (`sancha upstream export`) accepted from its unit: the figures
        of its own ledger it carries are kept for the roll-up, in the group's transaction."""
        if record.verdict != "accepted" or not record.unit or self.config.is_office(record.unit):
            return
        found = read_figures(data)
        if found is not None and self.config.canonical_unit(str(found["unit"])) == record.unit:
            keep(self.ledger, record.id, record.unit, found)

    def _level_evidence(self, record: FileRecord, data: bytes, received: date) -> FileRecord:
        """The 佐证材料 a township's accepted report up carries (upstream/evidence_up.py): taken as
        its items' evidence in the group's transaction; the files left out named in its receipt."""
        if record.verdict != "accepted" or not record.unit or not self.config.runs_sancha(record.unit):
            return record
        self._writing()
        with self.ledger.savepoint():
            items, events, found, copies = take_evidence(self.ws, self.ledger, record.name, record.unit, data,
                                                         received, record.id)
            if not (events or found):
                return record
            self._copies.extend(copies)
            self.ledger.append_events(events)
            self.ledger.reproject(items)
            return self.ledger.settle_file(
                record, unit=record.unit, verdict=record.verdict, added=list(record.added),
                updated=[*record.updated, *(i for i in items if i not in record.updated)],
                findings=[*record.findings, *(f.as_dict() for f in found)])

    def _read(self, data: bytes, name: str, sha: str, unit: str | None,
              received: date) -> tuple[SubmissionStream, bool]:
        """The file read in a worker (isolation.Reader); a huge sheet the worker read fine, or any
        file when there is no worker, read here — marked in hand meanwhile, and quarantined once
        two processes died reading it. Returns the stream and whether it is read here."""
        result = self.reader.parse(data, name, unit, received)
        if isinstance(result, Submission):
            return SubmissionStream.of(result), False
        if self.inhand.deaths(sha) >= DEATHS:
            finding = FILE_QUARANTINED.at(file=name)
            return SubmissionStream.of(Submission(name, None, None, None, None, None, (), (finding,))), False
        self.inhand.begin(sha)
        return stream_submission(data, name, self.config, folder_unit=unit, received=received), True

    def _action_sheet(self, data: bytes, name: str) -> ActionSheet | None:
        """The filled 督查室操作 sheet of a file in the office's folder, if it has one: that sheet
        alone, read after the file's safety scan (the office's own folder is not the units')."""
        sheet = read_named_sheet(data, name, self.config.limits, ACTION_SHEET)
        return find_action_sheet([sheet]) if sheet is not None else None

    def _record_actions(self, journal: _Journal, unit: str, found: ActionSheet) -> FileRecord:
        """One savepoint: the journal row, every row applied in a savepoint of its own, the
        outcome (accepted when a row was applied; rejected when none was)."""
        self._writing()
        with self.ledger.savepoint():
            record = self.ledger.record_file(**journal, unit=unit, verdict="accepted", added=[], updated=[],
                                             findings=[])
            outcome = apply_sheet(self.ledger, self.config, found, operator=f"操作表 {journal['name']}",
                                  received=journal["received_on"])
            return self.ledger.settle_file(record, unit=unit, verdict="accepted" if outcome.applied else "rejected",
                                           added=[], updated=list(outcome.applied),
                                           findings=[f.as_dict() for f in outcome.findings])

    def _unread_unit(self, name: str, unit: str | None) -> str | None:
        """Who sent a file that is never read: its folder's unit, else the one its name starts with."""
        submitter = Submitter(self.units, name, unit)
        submitter.unread()
        return submitter.unit

    def _writers(self) -> set[tuple[int, int]] | None:
        """Files some process holds open for writing, seen once per group (osguard.writers)."""
        now = time.monotonic()
        if self._writers_seen is None or now - self._writers_seen[0] > GROUP_SECONDS:
            self._writers_seen = (now, writers())
        return self._writers_seen[1]

    def _record_link(self, path: Path, received: date, started: float, ahead) -> bool:
        """A link in the inbox: journalled rejected (link-not-allowed) under its fingerprint, never
        read, never archived; answered, then the link itself removed."""
        parsed = ahead() if ahead else None
        discard(parsed.staged if parsed else None)
        sha = link_fingerprint(path)
        if sha is None:
            return False  # gone, or replaced by a file meanwhile: seen again next time
        name = readable_name(path.name)
        source_path = relative(self.root, self.resolve.folder(path))
        unit, _ = folder_unit(self.inbox, self.resolve.folder(path), self.units)
        pending = self.ledger.pending_for(sha, source_path)
        if pending is None:
            journal = _Journal(sha256=sha, name=name, source_path=source_path, received_on=received,
                               duplicate_of=None, archive_path=None)
            pending = self._journal_rejected(journal, self._unread_unit(name, unit), [LINK_NOT_ALLOWED.at(file=name)])
        self._recorded.append(_Recorded(pending, path, started, None))
        return True

    def _record_too_large(self, path: Path, size: int, received: date, started: float, ahead) -> bool:
        """A file over `max_file_mb`, known from the file system: never read into memory nor
        archived (its SHA-256 is computed streaming); journalled rejected with its size, answered,
        and removed like any other once its receipt is written."""
        parsed = ahead() if ahead else None
        discard(parsed.staged if parsed else None)
        with open(path, "rb") as fh:
            sha = hashlib.file_digest(fh, "sha256").hexdigest()
        name = readable_name(path.name)
        real = self.resolve(path)
        source_path = relative(self.root, real)
        unit, _ = folder_unit(self.inbox, real, self.units)
        pending = self.ledger.pending_for(sha, source_path)
        if pending:
            self._recorded.append(_Recorded(pending, path, started, None))
            return True
        unit = self._unread_unit(name, unit)
        finding = FILE_TOO_LARGE.at(file=name, size_mb=size / _MB, limit_mb=self.config.limits.max_file_mb)
        journal = _Journal(sha256=sha, name=name, source_path=source_path, received_on=received, duplicate_of=None,
                           archive_path=None)
        record = self._journal_rejected(journal, unit, [finding])
        self._recorded.append(_Recorded(record, path, started, None))
        return True

    def _journal(self, stream: SubmissionStream, notes: list[Finding], journal: _Journal,
                 inspection: str | None = None) -> tuple[FileRecord, dict[str, Item] | None, dict | None]:
        """One savepoint: the journal row, then the file's rows merged and stored a chunk at a
        time as they are read (a huge sheet is never whole in memory), then the journal row's
        outcome. An error, however late, rolls it all back: the file is then journalled rejected,
        nothing of it stored. Returns the journal row and the items written, for the receipt
        (None: too many to keep, the receipt reads them back)."""
        received = journal["received_on"]
        if stream.known is not None and not stream.known.ok:  # parsed beforehand, rejected: nothing to merge
            return self._journal_rejected(journal, stream.known.unit, [*stream.known.findings, *notes]), None, None
        year, at = received.year, now_iso()
        self._writing()
        try:
            with self.ledger.savepoint():
                record = self.ledger.record_file(**journal, unit=stream.unit, verdict="accepted", added=[],
                                                 updated=[], findings=[])
                merger: Merger | None = None
                written: dict[str, Item] | None = {}
                problems: OpenProblems | None = None
                opened: list[tuple[Item, str]] = []  # the file's new open items (and keys): for its next files
                # The inspection of the rows: a row's 检查名称, else the meta line's, else the folder's.
                inspections = FileInspections(InspectionDirectory(load_inspections(self.ledger)),
                                              stream.inspection or inspection, stream.sheet)
                for chunk in stream.chunks():
                    chunk = inspections.rows(chunk)
                    if merger is None:  # the unit is known once the first rows are read
                        merger = self._merger(stream, received, year, at, record.id)
                    keys = [(r.lead_unit, r.key) for r in chunk if not r.item_id]
                    touched = self.ledger.items_for_merge((r.item_id for r in chunk if r.item_id),
                                                          (r.lead_unit for r in chunk), keys=keys,
                                                          spellings=self.config.unit_spellings)
                    if merger.upstream is not None:  # a 下发包 from the level above names its items by its ids
                        touched += self.ledger.items_by_upstream(
                            merger.upstream, (r.upstream_id for r in chunk if r.upstream_id)).values()
                        touched += self.ledger.unlinked_items(r.key for r in chunk if r.upstream_id).values()
                        if any(r.answer for r in chunk):  # 上级答复: recorded once
                            merger.answered.update(self.ledger.answer_texts(
                                i.id for i in touched if i.id not in merger.answered))
                    if problems is None and keys and stream.unit:  # the unit's open items before the file
                        problems = self._open_problems(stream.unit)
                    added = merger.add(chunk, touched, problems)
                    if added:
                        self.ledger.add_items(((i, merger.added_keys[i.id]) for i in added), record.id)
                        opened += [(i, merger.added_keys[i.id]) for i in added if _open(i)]
                    if written is not None:
                        written.update((i.id, i) for i in added)
                        written = written if len(written) <= _RECEIPT_ITEMS_KEPT else None
                sub = stream.result()
                findings = [*sub.findings, *notes, *inspections.findings]
                if not sub.ok:
                    raise _Rejected(sub.unit, findings)
                merger = merger or self._merger(stream, received, year, at, record.id)
                plan = merger.plan()
                findings += plan.findings
                if not plan.ok:
                    raise _Rejected(sub.unit, findings)
                # What the file changes besides its new items (stored with their register events as
                # they came): the items it updated, then its events (changes, reports, the office's
                # extensions and reassignments, whose items are projected again from their events).
                self.ledger.update_items(((i, plan.keys[i.id]) for i in plan.updated), plan.events, plan.replayed)
                if sub.cooperation:  # a 反馈表's 配合事项: each co-unit's 配合情况 in the item's timeline
                    helped, found = cooperation_events(sub, self.ledger.items_by_id(e[0] for e in sub.cooperation),
                                                       received=received, now=at, file_id=record.id)
                    self.ledger.append_events(helped)
                    findings += found
                record = self.ledger.settle_file(record, unit=sub.unit, verdict="accepted", added=merger.added_ids(),
                                                 updated=[i.id for i in plan.updated],
                                                 findings=[f.as_dict() for f in findings])
        except _Rejected as rejected:
            return self._journal_rejected(journal, rejected.unit, rejected.findings), None, None
        if problems is not None:  # the unit's open items after the file, for its next files
            for item in plan.updated:
                if _open(item):
                    problems.add(item.id, plan.keys[item.id], item.problem)
                else:
                    problems.discard(item.id)
            for item, key in opened:
                problems.add(item.id, key, item.problem)
        changes: dict[str, list] | None = None
        if written is not None:
            written.update((i.id, i) for i in plan.updated)
            changes = {}
            for event in plan.events:
                if event.field is not None:
                    changes.setdefault(event.item_id, []).append(event)
        return record, written, changes

    def _journal_rejected(self, journal: _Journal, unit: str | None, findings: list[Finding]) -> FileRecord:
        self._writing()
        with self.ledger.savepoint():
            return self.ledger.record_file(**journal, unit=unit, verdict="rejected", added=[], updated=[],
                                           findings=[f.as_dict() for f in findings])

    def _open_problems(self, unit: str) -> OpenProblems:
        """The unit's open items as the ledger holds them, read once and kept up to date file by
        file — until another connection commits a change (SQLite's data_version says so: then
        they are read again)."""
        version = self.ledger.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._problems_version:
            self._problems, self._problems_version = {}, version
        if unit not in self._problems:
            self._problems[unit] = OpenProblems(self.ledger.open_problems(self.config.unit_spellings(unit)))
        return self._problems[unit]

    def _merger(self, stream: SubmissionStream, received: date, year: int, at: str, file_id: int) -> Merger:
        return Merger(stream.unit, received=received, now=at, year=year, next_seq=self.ledger.next_seq(year),
                      by_office=self.config.is_office(stream.unit), report_date=stream.report_date,
                      made_on=stream.made_on,
                      canonical=self.config.canonical_unit, file_id=file_id, upstream=self._upstream(stream.unit),
                      keeps_moved=self.config.runs_sancha(stream.unit))

    def _upstream(self, unit: str | None) -> str | None:
        """The level above whose ids a file's 上级编号 are: [upstream], for the office's files
        (the level above's 下发包 is one of them)."""
        above = self.config.upstream
        return above.name if above is not None and self.config.is_office(unit) else None

    def _record_duplicate(self, first: FileRecord, path: Path, name: str, sha: str, source_path: str,
                          unit: str | None, received: date, started: float) -> None:
        note = DUPLICATE_FILE.at(file=name,
                                 received=first.received_on, first=first.name)
        self._writing()
        with self.ledger.savepoint():
            record = self.ledger.record_file(
                sha256=sha, name=name, source_path=source_path, unit=first.unit or unit, received_on=received,
                verdict="duplicate", duplicate_of=first.id, archive_path=first.archive_path, added=[], updated=[],
                findings=[note.as_dict()],
            )
        self._recorded.append(_Recorded(record, path, started, None))

    def _keep_archived(self, record: FileRecord, data: bytes | None) -> None:
        """A journal row may have reached the disk before its archive copy did (a power cut
        after a crash): while the inbox still holds the bytes, make sure the copy does too."""
        if data is None or not record.archive_path or record.verdict == "duplicate":
            return
        copy = self.ws.archive / record.archive_path
        keep_copy(copy, data, record.sha256)
        self._copies.append(copy)

    def _answer(self, progress: Callable[[FileResult | None], None] | None = None) -> list[FileResult]:
        """For each recorded file, durable by now: the receipt, the inbox cleanup; then mark them
        all done in one commit."""
        recorded, self._recorded = self._recorded, []
        if not recorded:
            return []
        results: list[FileResult] = []
        done: list[tuple[int, str | None]] = []  # (file id, receipt path)
        held = writers()  # who holds files open for writing, seen now, for the group's files leaving
        try:
            for entry in recorded:
                result = self._finish(entry, held)
                results.append(result)
                receipt = relative(self.root, self.resolve(result.receipt)) if result.receipt else None
                done.append((entry.record.id, receipt))
                if progress:
                    progress(result)
        finally:  # the receipts written so far count even if a later one fails
            if done:
                self.ledger.mark_files_done(done)
        return results

    def _finish(self, entry: _Recorded, held: set[tuple[int, int]] | None = None) -> FileResult:
        """The receipt, then the file leaves the inbox (`held`: `osguard.writers()` of the group)."""
        record, path, started = entry.record, entry.path, entry.started
        receipt = receipts.write_receipt(self.ws, self.ledger, record, entry.items, entry.changes,
                                         mark=self.reader.mark)
        if record.verdict == "accepted" and record.added and self.config.is_office(record.unit):
            self._assign(record)  # a 问题清单: 交办单 and 措施清单 for each lead unit
        codes = {f["code"] for f in record.findings}
        if path is not None and LINK_NOT_ALLOWED.code in codes:
            if in_inbox(self.inbox, self.resolve.folder(path)):
                remove_link(path, record.sha256)
        elif path is not None and in_inbox(self.inbox, self.resolve(path)):
            if FILE_QUARANTINED.code in codes:
                quarantine(self.ws, path, record.name, record.sha256, record.received_on)
            else:
                leave_inbox(path, record.sha256, held)
        result = FileResult(
            path=record.source_path, name=record.name, unit=record.unit, verdict=record.verdict,
            added=record.added, updated=record.updated,
            findings=[Finding(**f) for f in record.findings], receipt=receipt,
            seconds=time.perf_counter() - started if started else 0.0, file_id=record.id,
        )
        log.info("%s %s 单位=%s 新增=%d 更新=%d 用时=%.2fs", record.verdict, record.name, record.unit or "-",
                 len(record.added), len(record.updated), result.seconds)
        return result


    def _assign(self, record: FileRecord) -> None:
        """The office's file registered problems awaiting measures: write their 交办单 and 措施清单
        (a failure is logged; the documents can be written again, the file's answer stands)."""
        from pipeline.service.assign import write_assignments

        try:
            written = write_assignments(self.ws, self.ledger, self.ledger.items_by_id(record.added).values(),
                                        record.received_on, record.id)
        except Exception:
            log.exception("未能为 %s 生成交办单和措施清单", record.name)
            return
        for path in written:
            log.info("交办：%s", relative(self.root, path))


def _open(item: Item) -> bool:
    """Not done, closed or voided: an item a new problem of its unit is compared with."""
    return item.status != STATUS_DONE and item.closed_on is None and item.voided_on is None


class _Rejected(Exception):
    """A file turned out rejected (an error in its rows, maybe the last chunk's): what its
    transaction stored is rolled back, and the file journalled rejected with these findings."""

    def __init__(self, unit: str | None, findings: list[Finding]):
        self.unit, self.findings = unit, findings


def ingest_paths(ws: Workspace, paths: Iterable[Path], received: date | None = None,
                 progress: Callable[[FileResult | None], None] | None = None,
                 workers: int | None = None, isolated: bool | None = None) -> list[FileResult]:
    """Process the given files (and finish whatever a crash left half-answered first).

    Each file is read in a worker process with limits (intake/isolation.py), unless `isolated`
    is False or `[limits] max_worker_memory_mb` is 0: then in this process. `progress` is called
    with each file's result as it is answered (recovered files too), so a caller has them even
    when a later file stops the batch.

    From PARALLEL_MIN_FILES files on, on a machine with more than one core, worker processes
    parse the next files while this process merges, writes and answers them one at a time, in
    the same order, under the same lock (ahead.py): the ledger, receipts and journal are the same
    as one by one. Workers start by forkserver (spawn where there is none), which imports the caller's
    main module again: a script that calls this at module level must do it under
    `if __name__ == "__main__":` (the sancha commands do), or pass workers=0 (parse here).
    """
    paths = [Path(p) for p in paths]
    workers = workers_here(workers)  # none within a worker; an unguarded script refused (ahead.py)
    clear_stale_staging(ws)
    if paths and isolated is not False:
        prestart(ws.config.limits)  # ready by the first file: its start overlaps opening the ledger
    ahead = Ahead.start(ws, paths, received, workers)  # who parses which file: see ahead.py
    try:  # the pool exists before the ledger is opened
        with Ledger.open(ws.db_path) as ledger, Ingestor(ws, ledger, isolated) as ingestor:
            results = ingestor.recover()
            if progress is not None:
                for result in results:
                    progress(result)
            results += ingestor.ingest_many(((p, ahead.take(p) if ahead else None) for p in paths),
                                            received, progress)
            if results:
                ledger.refresh_statistics()  # the ledger grew twofold: ANALYZE (issue 20)
            return results
    finally:
        if ahead:
            ahead.close()


def ingest_inbox(ws: Workspace, received: date | None = None, progress=None) -> list[FileResult]:
    """Process everything waiting in the inbox."""
    return ingest_paths(ws, waiting_files(ws), received, progress)
