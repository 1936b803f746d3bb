"""One submitted file end to end, exactly once, whatever crashes in between.

    read bytes → hash → (recovery | duplicate | parse → merge) → archive → the file's own
    transaction, all or nothing (items + history + journal row 'recorded') → [the group's
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
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from filelock import FileLock

from pipeline.config import Config
from pipeline.files import in_folder, write_atomic
from pipeline.intake.findings import DUPLICATE_FILE, UNKNOWN_FOLDER
from pipeline.intake.parse import SubmissionStream, parse_submission, stream_submission
from pipeline.intake.read import streams
from pipeline.intake.units import UnitDirectory, directory
from pipeline.ledger.ledger import FileRecord, Ledger, history_value, now_iso
from pipeline.ledger.merge import MergePlan, Merger
from pipeline.model import Finding, Submission
from pipeline.output import receipts
from pipeline.workspace import Workspace, safe_filename

log = logging.getLogger("sancha.ingest")

_RECEIPT_ITEMS_KEPT = 5000  # a bigger file's receipt reads its items back from the ledger, a batch at a time

# Files that are not submissions: Office/WPS owner files, temp files of editors and copiers.
_TEMP_SUFFIXES = (".tmp", ".temp", ".crdownload", ".part", ".partial", ".swp", ".download", "~")


def is_candidate(path: Path) -> bool:
    """Whether a file in the inbox is a submission (and not an owner, temp or hidden file)."""
    name = path.name
    if name.startswith(("~$", ".~", ".")) or name.lower().endswith(_TEMP_SUFFIXES):
        return False
    return name.lower() not in ("thumbs.db", "desktop.ini")


def waiting_files(ws: Workspace) -> list[Path]:
    """Files waiting in inbox/ and inbox/<unit>/, oldest first."""
    if not ws.inbox.is_dir():
        return []
    found = []
    for path in ws.inbox.rglob("*"):
        rel = path.relative_to(ws.inbox)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file() or not is_candidate(path):
            continue
        try:
            found.append((path.stat().st_mtime, str(rel), path))
        except OSError:
            continue  # vanished meanwhile
    return [p for _, _, p in sorted(found)]


@dataclass
class FileResult:
    path: str
    name: str
    unit: str | None
    verdict: str  # accepted / rejected / duplicate
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
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "added": self.added,
            "updated": self.updated,
            "issues": [f.as_dict() for f in self.findings],
        }


def _read_if_holds(path: Path, sha256: str) -> bytes | None:
    """The bytes under `path` if they are still the journalled ones; a new file under the same
    name must stay."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def _relative(root: Path, real: Path) -> str:
    """`real` (resolved) relative to the resolved workspace `root`, else absolute."""
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        return str(real)


class _Resolver:
    """`Path.resolve()` with the folders' resolutions kept (a file's own resolve costs a system
    call for every part of its path): the file itself is checked for being a link each time."""

    def __init__(self):
        self._folders: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        if path.is_symlink():
            return path.resolve()
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name

    def forget(self) -> None:
        """Folders may have changed since (a long-running watcher)."""
        self._folders.clear()


def _in_inbox(inbox: Path, real: Path) -> bool:
    try:
        real.relative_to(inbox)
        return True
    except ValueError:
        return False


def folder_unit(inbox: Path, real: Path, units: UnitDirectory) -> tuple[str | None, str | None]:
    """(canonical unit, raw folder name) for a file in inbox/<unit>/…; (None, None) elsewhere.
    The office's own folder (any of its names) is the office's: it may submit for anyone.
    `inbox` and `real` are resolved paths."""
    if not _in_inbox(inbox, real):
        return None, None
    rel = real.relative_to(inbox)
    if len(rel.parts) < 2:
        return None, None
    folder = rel.parts[0]
    return units.canonical(folder), folder


def _archive(ws: Workspace, data: bytes, sha: str, name: str, received: date,
             staged: Path | None = None) -> tuple[str, Path]:
    """Store the original bytes (never a re-saved copy): (path relative to data/archive, file).
    `staged`: a copy of these very bytes a parse worker wrote beforehand, renamed into place.
    Not fsynced here: the group's commit fsyncs its copies first (`Ingestor._commit_group`)."""
    rel = Path(f"{received:%Y}") / f"{received:%m}" / f"{sha[:16]}_{safe_filename(name)}"
    dest = ws.archive / rel
    if staged is None or not _adopt(staged, dest):
        _keep_copy(dest, data, sha)
    return rel.as_posix(), dest


def _adopt(staged: Path, dest: Path) -> bool:
    """Rename a staged copy into place; False when it cannot be (gone: written again instead)."""
    try:
        in_folder(dest, lambda: os.replace(staged, dest))  # the month's folder, once a month
        return True
    except OSError:
        _discard(staged)
        return False


def _discard(staged: Path | None) -> None:
    if staged is not None:
        try:
            staged.unlink()
        except OSError:
            pass


def _keep_copy(dest: Path, data: bytes, sha: str) -> None:
    """`dest` holds exactly `data` afterwards (written through a temporary file and renamed)."""
    if dest.exists() and dest.stat().st_size == len(data) and hashlib.sha256(dest.read_bytes()).hexdigest() == sha:
        return  # content-addressed: the same bytes, from an earlier run
    write_atomic(dest, data)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY if sys.platform != "win32" else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_syncers: ThreadPoolExecutor | None = None


def _fsync_all(copies: list[Path]) -> None:
    """Every copy on disk, the fsyncs issued together (the disk works on them at once, instead of
    one round trip each); the first failure (disk full, I/O error) raised once all have ended."""
    global _syncers
    if len(copies) < 2:
        outcomes = [_fsynced(copy) for copy in copies]
    else:
        if _syncers is None:
            _syncers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sancha-fsync")
        outcomes = list(_syncers.map(_fsynced, copies))
    failure = next((e for e in outcomes if e is not None), None)
    if failure is not None:
        raise failure


def _fsynced(path: Path) -> OSError | None:
    try:
        _fsync(path)
    except OSError as e:
        return e
    return None


class _Recorded(NamedTuple):
    """A file whose verdict is in the journal, waiting for its receipt and the inbox cleanup."""

    record: FileRecord
    path: Path | None  # where it lies; None when it is gone or holds other bytes now
    started: float
    items: dict | None  # the items just written, for the receipt (else read back)


# Files answered together: their journal rows and archive copies are made durable by one
# fsync of the log and one pass over the copies, instead of two fsyncs per file. Until then
# they stay in the inbox, and the lock is held, so no one else answers them either.
GROUP_FILES = 64
GROUP_SECONDS = 1.0


class Ingestor:
    """Processes files into one workspace's ledger. Cheap to create; holds the open ledger."""

    def __init__(self, ws: Workspace, ledger: Ledger):
        self.ws = ws
        self.ledger = ledger
        self.config = ws.config
        self.units = directory(self.config)
        self.lock = FileLock(str(ws.locks / "ingest.lock"))
        self.root = ws.root.resolve()  # resolved once, not for every file
        self.inbox = ws.inbox.resolve()
        self.resolve = _Resolver()
        self._recorded: list[_Recorded] = []  # recorded, not yet durable nor answered
        self._copies: list[Path] = []  # archive copies written and not yet fsynced

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
            _fsync_all(copies)
            if self.ledger.in_transaction:
                self.ledger.commit()
                return
        except BaseException:
            self.ledger.rollback()
            self._recorded = []
            raise
        self._recorded = []

    def recover(self) -> list[FileResult]:
        """Finish files a crash left recorded but unanswered (receipt, cleanup)."""
        with self.lock:
            for record in self.ledger.files(state="recorded"):
                source = self.ws.root / record.source_path
                data = _read_if_holds(source, record.sha256)
                self._recorded.append(_Recorded(record, source if data is not None else None, 0.0, None))
                self._keep_archived(record, data)
            if self._recorded:  # their journal rows may not be durable yet (an older run's, another process's)
                copies, self._copies = self._copies, []
                _fsync_all(copies)
                self.ledger.sync()
            return self._answer()

    # -- steps ----------------------------------------------------------------------------
    def _record(self, path: Path, received: date, ahead=None) -> bool:
        """Read, check and journal one file (its savepoint in the group's transaction); False when
        there is nothing to answer (the file is gone or cannot be read yet)."""
        started = time.perf_counter()
        try:
            data = path.read_bytes()
        except OSError as e:
            parsed = ahead() if ahead else None
            _discard(parsed.staged if parsed else None)
            if not isinstance(e, FileNotFoundError):  # else another process answered it already
                log.warning("暂时无法读取 %s：%s", path, e)  # still being written or locked by its owner: later
            return False
        sha = hashlib.sha256(data).hexdigest()
        real = self.resolve(path)
        source_path = _relative(self.root, real)
        unit, folder = folder_unit(self.inbox, real, self.units)
        parsed = ahead() if ahead else None
        if parsed is not None and (parsed.sha256, parsed.folder_unit, parsed.received) != (sha, unit, received):
            _discard(parsed.staged)  # the file changed since the worker read it
            parsed = None
        staged = parsed.staged if parsed else None

        pending = self.ledger.pending_for(sha, source_path)
        if pending:  # recorded by a run that crashed before answering it
            _discard(staged)
            self._keep_archived(pending, data)
            self._recorded.append(_Recorded(pending, path, started, None))
            return True

        first = self.ledger.first_with_hash(sha)
        if first:
            _discard(staged)
            self._record_duplicate(first, path, sha, source_path, unit, received, started)
            return True

        archive, copy = _archive(self.ws, data, sha, path.name, received, staged)
        self._copies.append(copy)
        if parsed is not None:
            stream = SubmissionStream.of(parsed.submission)  # parsed from the very bytes read here, under the lock
        else:
            stream = stream_submission(data, path.name, self.config, folder_unit=unit, received=received)
        notes = []
        if folder and unit is None:
            notes.append(UNKNOWN_FOLDER.at(folder=folder))
        record, written = self._journal(stream, notes, sha=sha, name=path.name, source_path=source_path,
                                        received=received, archive=archive)
        self._recorded.append(_Recorded(record, path, started, written))
        return True

    def _journal(self, stream: SubmissionStream, notes: list[Finding], *, sha: str, name: str, source_path: str,
                 received: date, archive: str) -> tuple[FileRecord, dict | None]:
        """One savepoint: the journal row, then the file's rows merged and stored a chunk at a
        time as they are read (a huge sheet is never whole in memory), then the journal row's
        outcome. An error, however late, rolls it all back: the file is then journalled rejected,
        nothing of it stored. Returns the journal row and the items written, for the receipt
        (None: too many to keep, the receipt reads them back)."""
        journal = dict(sha256=sha, name=name, source_path=source_path, received_on=received, duplicate_of=None,
                       archive_path=archive)
        if stream.known is not None and not stream.known.ok:  # parsed beforehand, rejected: nothing to merge
            return self._journal_rejected(journal, stream.known.unit, [*stream.known.findings, *notes]), None
        year, at = received.year, now_iso()
        self._writing()
        try:
            with self.ledger.savepoint():
                record = self.ledger.record_file(**journal, unit=stream.unit, verdict="accepted", added=[],
                                                 updated=[], findings=[])
                merger, written = None, {}
                for chunk in stream.chunks():
                    if merger is None:  # the unit is known once the first rows are read
                        merger = self._merger(stream.unit, received, year)
                    touched = self.ledger.items_for_merge((r.item_id for r in chunk if r.item_id),
                                                          (r.lead_unit for r in chunk),
                                                          keys=[(r.lead_unit, r.key) for r in chunk if not r.item_id])
                    added = merger.add(chunk, touched)
                    if added:
                        since = self.ledger.last_item_rowid()
                        self.ledger.insert_items((i, merger.added_keys[i.id]) for i in added)
                        self.ledger.add_history_since(since, at, record.id)
                    if written is not None:
                        written.update((i.id, i) for i in added)
                        written = written if len(written) <= _RECEIPT_ITEMS_KEPT else None
                sub = stream.result()
                findings = [*sub.findings, *notes]
                if not sub.ok:
                    raise _Rejected(sub.unit, findings)
                merger = merger or self._merger(sub.unit, received, year)
                plan = merger.plan()
                findings += plan.findings
                if not plan.ok:
                    raise _Rejected(sub.unit, findings)
                self._apply(plan, merger, record.id, at)
                record = self.ledger.settle_file(record, unit=sub.unit, verdict="accepted", added=merger.added_ids(),
                                                 updated=[i.id for i in plan.updated],
                                                 findings=[f.as_dict() for f in findings])
        except _Rejected as rejected:
            return self._journal_rejected(journal, rejected.unit, rejected.findings), None
        if written is not None:
            written.update((i.id, i) for i in plan.updated)
        return record, written

    def _journal_rejected(self, journal: dict, unit: str | None, findings: list[Finding]) -> FileRecord:
        self._writing()
        with self.ledger.savepoint():
            return self.ledger.record_file(**journal, unit=unit, verdict="rejected", added=[], updated=[],
                                           findings=[f.as_dict() for f in findings])

    def _merger(self, unit: str | None, received: date, year: int) -> Merger:
        return Merger(unit, received=received, now=now_iso(), year=year, next_seq=self.ledger.next_seq(year),
                      by_office=self.config.is_office(unit))

    def _apply(self, plan: MergePlan, merger: Merger, file_id: int, at: str) -> None:
        """What a file changes besides its new items (stored with their 'add' history as they came):
        the items it updated, then their history. Streamed into SQLite, no second copy of them."""
        self.ledger.replace_items((i, plan.keys[i.id]) for i in plan.updated)
        changed = {c.item_id for c in plan.changes}
        self.ledger.add_history(chain(
            ((c.item_id, at, "update", c.field, history_value(c.old), history_value(c.new), file_id, None)
             for c in plan.changes),
            ((i, at, "report", None, None, None, file_id, None) for i in merger.reports() if i not in changed),
        ))

    def _record_duplicate(self, first: FileRecord, path: Path, sha: str, source_path: str, unit: str | None,
                          received: date, started: float) -> None:
        note = DUPLICATE_FILE.at(form="rejected" if first.verdict == "rejected" else "", file=path.name,
                                 received=first.received_on, first=first.name)
        self._writing()
        with self.ledger.savepoint():
            record = self.ledger.record_file(
                sha256=sha, name=path.name, source_path=source_path, unit=first.unit or unit, received_on=received,
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
        _keep_copy(copy, data, record.sha256)
        self._copies.append(copy)

    def _answer(self, progress: Callable[[FileResult | None], None] | None = None) -> list[FileResult]:
        """For each recorded file, durable by now: the receipt, the inbox cleanup; then mark them
        all done in one commit."""
        recorded, self._recorded = self._recorded, []
        if not recorded:
            return []
        results, done = [], []
        try:
            for entry in recorded:
                result = self._finish(entry)
                results.append(result)
                done.append((result.file_id, _relative(self.root, self.resolve(result.receipt)) if result.receipt else None))
                if progress:
                    progress(result)
        finally:  # the receipts written so far count even if a later one fails
            if done:
                self.ledger.mark_files_done(done)
        return results

    def _finish(self, entry: _Recorded) -> FileResult:
        """The receipt, then the file leaves the inbox."""
        record, path, started = entry.record, entry.path, entry.started
        receipt = receipts.write_receipt(self.ws, self.ledger, record, entry.items)
        if path is not None and _in_inbox(self.inbox, self.resolve(path)):
            _leave_inbox(path, record.sha256)
        result = FileResult(
            path=record.source_path, name=record.name, unit=record.unit, verdict=record.verdict,
            added=record.added, updated=record.updated,
            findings=[Finding(**f) for f in record.findings], receipt=receipt,
            seconds=time.perf_counter() - started if started else 0.0, file_id=record.id,
        )
        log.info("%s %s 单位=%s 新增=%d 更新=%d 用时=%.2fs", record.verdict, record.name, record.unit or "-",
                 len(record.added), len(record.updated), result.seconds)
        return result


def _leave_inbox(path: Path, sha256: str) -> None:
    """The answered file leaves the inbox — only if its name still holds the bytes answered. A
    file put under the same name meanwhile (saved again, copied over, even at the same size and
    within the same timestamp tick) is a new submission: it stays for the next run. The bytes
    are read again for that: from the cache, ≈ 30 µs for an ordinary file."""
    if _read_if_holds(path, sha256) is None:
        if path.exists():
            log.info("%s 在处理期间被替换为新内容，留在收件箱待下次处理", path)
        return  # gone already (another process, the unit itself) or holding something else
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:  # held open by its owner (Windows), a read-only share: seen again as a duplicate
        log.warning("无法从收件箱移除 %s：%s", path, e)


class _Rejected(Exception):
    """A file turned out rejected (an error in its rows, maybe the last chunk's): what its
    transaction stored is rolled back, and the file journalled rejected with these findings."""

    def __init__(self, unit: str | None, findings: list[Finding]):
        self.unit, self.findings = unit, findings


# -- parsing ahead in worker processes -----------------------------------------------------------

PARALLEL_MIN_FILES = 20  # fewer files are done before worker processes would have started


class Parsed(NamedTuple):
    """What a worker made of a file: the result counts only if the bytes and the inputs are the
    ones the ingesting process sees under the lock."""

    sha256: str
    folder_unit: str | None
    received: date
    submission: Submission
    staged: Path | None = None  # a copy of the bytes, for the archive: the ingesting process renames it
    #                      into place, or removes it when the file turns out a duplicate or changed


_worker_config: Config | None = None
_worker_staging: Path | None = None


def _start_worker(config: Config, staging: Path | None = None) -> None:
    global _worker_config, _worker_staging
    _worker_config, _worker_staging = config, staging


def _parse_ahead(path: Path, unit: str | None, received: date) -> Parsed | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None  # the ingesting process reads it again and says why
    if streams(data):
        return None  # a huge sheet: the ingesting process streams it, never holding (or pickling) it whole
    sub = parse_submission(data, path.name, _worker_config, folder_unit=unit, received=received)
    sha = hashlib.sha256(data).hexdigest()
    return Parsed(sha, unit, received, sub, _stage(data, sha))


_staged_count = 0


def _stage(data: bytes, sha: str) -> Path | None:
    """The file's bytes written into the staging folder (the ingesting process only renames them
    into the archive: writing a new file costs more than checking one); None when it cannot."""
    global _staged_count
    if _worker_staging is None:
        return None
    _staged_count += 1
    staged = _worker_staging / f"{sha[:16]}.{os.getpid()}.{_staged_count}"
    try:
        in_folder(staged, lambda: staged.write_bytes(data))
    except OSError:
        _discard(staged)
        return None
    return staged


def _parse_chunk(jobs: list[tuple[Path, str | None]], received: date) -> list[Parsed | None]:
    return [_parse_ahead(path, unit, received) for path, unit in jobs]


def pool_context():
    """Never fork: the parent may hold a SQLite connection (a forked child closing inherited
    descriptors drops the parent's locks) or run a progress-bar thread. forkserver where it exists."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


CHUNK_FILES = 4  # files per task sent to a worker: fewer messages, results still come early
# The first files of a batch are parsed by the ingesting process itself: a worker needs ≈ 0.25 s
# to start (a process, its imports) before its first result, time enough for ≈ 30 files here.
HEAD_FILES = 24


STAGING_MIN_WORKERS = 2


class _Ahead:
    """Worker processes parse the next few files while the caller merges, writes and answers
    the current one; a bounded window, so results do not pile up in memory."""

    def __init__(self, ws: Workspace, paths: list[Path], received: date | None, workers: int):
        self.inbox, self.units, self.config = ws.inbox.resolve(), directory(ws.config), ws.config
        self.resolve = _Resolver()
        self.received = received or date.today()
        candidates = [p for p in paths if is_candidate(p)]
        self.todo = iter(candidates[min(HEAD_FILES, len(candidates) // 4):])  # the head: parsed by the caller
        self.window: dict[Path, tuple[Future, int]] = {}  # path → (its chunk's future, index in the chunk)
        self.chunks = 0  # chunks in the window with a file not taken yet
        self.depth = 2 * workers + 1
        self.broken = False
        # Archive copies are written by the side with time to spare. With one worker (two cores)
        # the worker is the busier side: the ingesting process writes them (measured: staging
        # them in the worker is no faster there). With more workers the ingesting process is the
        # floor, so the workers stage them and it only renames each into place.
        self.staging = staging_folder(ws) if workers >= STAGING_MIN_WORKERS else None
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(),
                                        initializer=_start_worker, initargs=(ws.config, self.staging))
        self._fill()

    def _fill(self) -> None:
        while self.chunks < self.depth and not self.broken:
            paths = [p for p in (next(self.todo, None) for _ in range(CHUNK_FILES)) if p is not None]
            if not paths:
                return
            jobs = [(p, folder_unit(self.inbox, self.resolve(p), self.units)[0]) for p in paths]
            try:
                future = self.pool.submit(_parse_chunk, jobs, self.received)
            except Exception:  # the pool broke (a worker died): the remaining files are parsed here
                if not self.broken:
                    log.warning("后台解析进程不可用，改为逐个解析", exc_info=True)
                self.broken = True
                return
            self.window.update((p, (future, n)) for n, p in enumerate(paths))
            self.chunks += 1

    def take(self, path: Path) -> Callable[[], Parsed | None]:
        future, index = self.window.pop(path, (None, 0))
        if future is not None and not any(f is future for f, _ in self.window.values()):
            self.chunks -= 1  # the chunk's last file: room for the next chunk
            self._fill()

        def result() -> Parsed | None:
            try:
                return future.result()[index] if future else None
            except BrokenProcessPool:  # a worker died: every file still in the window fails alike
                if not self.broken:
                    log.warning("后台解析进程意外退出，其余文件改为逐个解析", exc_info=True)
                self.broken = True
                return None
            except Exception:  # a worker could not send its result: parsed here instead
                log.warning("后台解析 %s 失败，改为直接解析", path, exc_info=True)
                return None

        return result

    def close(self) -> None:
        """Stop the workers; copies staged for files not taken (an error stopped the batch) go."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        for future in {id(f): f for f, _ in self.window.values()}.values():
            if future.done() and not future.cancelled() and future.exception() is None:
                for parsed in future.result():
                    _discard(parsed.staged if parsed else None)


def staging_folder(ws: Workspace) -> Path:
    """Where parse workers stage archive copies: inside the archive, so a rename moves them in."""
    return ws.archive / ".staging"


STALE_STAGED_SECONDS = 3600


def clear_stale_staging(ws: Workspace) -> None:
    """Staged copies a crash left behind (none is ever taken after an hour)."""
    folder = staging_folder(ws)
    now = time.time()
    try:
        for entry in os.scandir(folder):
            try:
                if now - entry.stat().st_mtime > STALE_STAGED_SECONDS:
                    os.unlink(entry.path)
            except OSError:
                pass
    except OSError:
        pass


def ingest_paths(ws: Workspace, paths: Iterable[Path], received: date | None = None,
                 progress: Callable[[FileResult | None], None] | None = None,
                 workers: int | None = None) -> list[FileResult]:
    """Process the given files (and finish whatever a crash left half-answered first).

    From PARALLEL_MIN_FILES files on, on a machine with more than one core, worker processes
    parse the next files while this process merges, writes and answers them one at a time, in
    the same order, under the same lock: the ledger, receipts and journal are the same as one by
    one. Workers start by forkserver (spawn where there is none), which imports the caller's
    main module again: a script that calls this at module level must do it under
    `if __name__ == "__main__":` (the sancha commands do), or pass workers=0 (parse here).
    """
    paths = [Path(p) for p in paths]
    clear_stale_staging(ws)
    if workers is None:
        workers = min((os.cpu_count() or 1) - 1, 4) if len(paths) >= PARALLEL_MIN_FILES else 1
    ahead = _Ahead(ws, paths, received, workers) if workers > 0 and len(paths) >= PARALLEL_MIN_FILES else None
    try:  # the pool exists before the ledger is opened
        with Ledger.open(ws.db_path) as ledger:
            ingestor = Ingestor(ws, ledger)
            results = ingestor.recover()
            return results + ingestor.ingest_many(((p, ahead.take(p) if ahead else None) for p in paths),
                                                   received, progress)
    finally:
        if ahead:
            ahead.close()


def ingest_inbox(ws: Workspace, received: date | None = None, progress=None) -> list[FileResult]:
    """Process everything waiting in the inbox."""
    return ingest_paths(ws, waiting_files(ws), received, progress)
