"""The archive: the original bytes of every file answered, content-addressed, and made durable.

data/archive/YYYY/MM/<sha256[:16]>_<name> holds a file exactly as received (never a re-saved
copy). A copy is written through a temporary file and renamed, or — staged beforehand by a
parse worker in data/archive/.staging/ — renamed into place. Copies are not fsynced one by
one: a group's copies are fsynced together (`Syncer`) before the group's journal commit.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from pipeline.files import in_folder, write_atomic
from pipeline.workspace import Workspace, derived_name, split_name

STALE_STAGED_SECONDS = 3600


def archive_copy(ws: Workspace, data: bytes, sha: str, name: str, received: date,
                 staged: Path | None = None) -> tuple[str, Path]:
    """Store the original bytes: (path relative to data/archive, the file). `staged`: a copy of
    these very bytes a parse worker wrote beforehand, renamed into place. Not fsynced here: the
    group's commit fsyncs its copies first (`Ingestor._commit_group`)."""
    month = Path(f"{received:%Y}") / f"{received:%m}"
    rel = month / derived_name(ws.archive / month, f"{sha[:16]}_", *split_name(name))
    dest = ws.archive / rel
    if staged is None or not _adopt(staged, dest):
        keep_copy(dest, data, sha)
    return rel.as_posix(), dest


def _adopt(staged: Path, dest: Path) -> bool:
    """Rename a staged copy into place; False when it cannot be (gone: written again instead)."""
    try:
        in_folder(dest, lambda: os.replace(staged, dest))  # the month's folder, once a month
        return True
    except OSError:
        discard(staged)
        return False


def keep_copy(dest: Path, data: bytes, sha: str) -> None:
    """`dest` holds exactly `data` afterwards (written through a temporary file and renamed)."""
    if dest.exists() and dest.stat().st_size == len(data) and hashlib.sha256(dest.read_bytes()).hexdigest() == sha:
        return  # content-addressed: the same bytes, from an earlier run
    write_atomic(dest, data)


def discard(staged: Path | None) -> None:
    """A staged copy that will not be used (the file turned out a duplicate, or changed)."""
    if staged is not None:
        try:
            staged.unlink()
        except OSError:
            pass


# -- staged copies: written by parse workers, renamed into the archive -------------------------

def staging_folder(ws: Workspace) -> Path:
    """Where parse workers stage archive copies: inside the archive, so a rename moves them in."""
    return ws.archive / ".staging"


def stage(folder: Path, data: bytes, name: str) -> Path | None:
    """The file's bytes written as `folder/name` (the ingesting process then only renames them
    into the archive: writing a new file costs more than checking one); None when it cannot."""
    staged = folder / name
    try:
        in_folder(staged, lambda: staged.write_bytes(data))
    except OSError:
        discard(staged)
        return None
    return staged


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


# -- durable --------------------------------------------------------------------------------

class Syncer:
    """fsyncs archive copies, a group at a time. Its threads are started at the first group of
    two or more copies and kept until `close`."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None

    def fsync_all(self, copies: list[Path]) -> None:
        """Every copy on disk, the fsyncs issued together (the disk works on them at once,
        instead of one round trip each); the first failure (disk full, I/O error) raised once
        all have ended."""
        if len(copies) < 2:
            outcomes = [_fsynced(copy) for copy in copies]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sancha-fsync")
            outcomes = list(self._pool.map(_fsynced, copies))
        failure = next((e for e in outcomes if e is not None), None)
        if failure is not None:
            raise failure

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _fsynced(path: Path) -> OSError | None:
    try:
        _fsync(path)
    except OSError as e:
        return e
    return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY if sys.platform != "win32" else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
