"""Files that stop the process reading them: counted, and after two deaths put aside for good.

A file read in a worker cannot stop sancha: the worker's death is that file's verdict. A file
read in sancha's own process — a huge sheet streamed after a worker read it, or every file when
no worker can be had (`max_worker_memory_mb = 0`) — is marked in hand while it is read
(data/quarantine/.inhand/<sha256>: the number of attempts). A process that dies while reading it
leaves the mark; when two have, the file is not read a third time: it is journalled rejected
(`file-quarantined`), answered, and moved to data/quarantine/<YYYYMMDD>/ (never retried: the next
run finds nothing in the inbox). One log line says so.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

from pipeline.files import in_folder
from pipeline.workspace import Workspace, derived_name, split_name

log = logging.getLogger("sancha.ingest")

DEATHS = 2  # processes that died reading a file before it is quarantined


class InHand:
    """The marks of files this process reads itself."""

    def __init__(self, ws: Workspace):
        self.folder = ws.data / "quarantine" / ".inhand"

    def deaths(self, sha: str) -> int:
        """Processes that began reading these bytes and never finished."""
        try:
            return int((self.folder / sha).read_text(encoding="ascii") or 0)
        except (OSError, ValueError):
            return 0

    def begin(self, sha: str) -> None:
        mark = self.folder / sha
        count = str(self.deaths(sha) + 1)
        try:
            in_folder(mark, lambda: mark.write_text(count, encoding="ascii"))
        except OSError:
            pass  # a read-only data/ fails elsewhere, louder

    def end(self, sha: str) -> None:
        try:
            (self.folder / sha).unlink()
        except OSError:
            pass


def quarantine(ws: Workspace, path: Path, name: str, sha: str, received: date) -> Path | None:
    """Move the file out of the inbox into data/quarantine/<day>/ (a rename: nothing is copied)."""
    folder = ws.data / "quarantine" / f"{received:%Y%m%d}"
    dest = folder / derived_name(folder, f"{sha[:16]}_", *split_name(name))
    try:
        in_folder(dest, lambda: os.replace(path, dest))
    except OSError as e:
        log.warning("无法把 %s 移入隔离区：%s", name, e)
        return None
    InHand(ws).end(sha)
    log.warning("%s 两次导致读取它的进程中断，已移入隔离区 %s，不再处理", name, dest)
    return dest
