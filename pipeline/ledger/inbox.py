"""The inbox: which files wait in it, which unit's folder a file lies in, and leaving it.

A file leaves the inbox only once it is answered, and only if its name still holds the bytes
answered (`leave_inbox`): a new version saved or copied over it meanwhile is a new submission.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

from pipeline.intake.read import SPREADSHEET_SUFFIXES
from pipeline.intake.units import UnitDirectory
from pipeline.osguard import held_for_writing
from pipeline.workspace import Workspace, readable_name, readable_path

log = logging.getLogger("sancha.ingest")

# Files that are not submissions: Office/WPS owner files, temp files of editors and copiers.
_TEMP_SUFFIXES = (".tmp", ".temp", ".crdownload", ".part", ".partial", ".swp", ".download", "~")


def is_candidate(path: Path) -> bool:
    """Whether a file in the inbox is a submission (and not an owner, temp or hidden file)."""
    name = path.name
    if name.startswith(("~$", ".~", ".")) or name.lower().endswith(_TEMP_SUFFIXES):
        return False
    return name.lower() not in ("thumbs.db", "desktop.ini")


def waiting_files(ws: Workspace) -> list[Path]:
    """Files waiting in inbox/ and inbox/<unit>/, oldest first. Nothing is followed: a link
    (symbolic, a junction, a hard link) is listed as itself, to be answered link-not-allowed and
    removed; a FIFO, socket or device, and a folder named like a spreadsheet (an unpacked .xlsx)
    are never read, and said once in the log."""
    if not ws.inbox.is_dir():
        return []
    found = []
    folders = [ws.inbox]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished meanwhile
            if not is_link(path, st) and stat.S_ISDIR(st.st_mode):
                if path.suffix.lower() in SPREADSHEET_SUFFIXES:
                    _say_once(path, "是一个文件夹（名字像表格文件），不读取")
                else:
                    folders.append(path)
                continue
            if not is_link(path, st) and not stat.S_ISREG(st.st_mode):
                _say_once(path, "不是普通文件（管道、设备或套接字），不读取")
                continue
            if is_candidate(path):
                found.append((st.st_mtime, str(path.relative_to(ws.inbox)), path))
    return [p for _, _, p in sorted(found)]


_said: set[tuple[str, str]] = set()


def _say_once(path: Path, what: str) -> None:
    """An odd entry in the inbox, logged once per process (the watcher rescans every minute)."""
    key = (str(path), what)
    if key not in _said:
        _said.add(key)
        log.warning("收件箱中的 %s %s", readable_path(path.as_posix()), what)


def is_link(path: Path, st: os.stat_result) -> bool:
    """A symbolic link, a Windows junction or reparse point, or a hard link (a second name of a
    file that may live anywhere on the disk, the system's password file too)."""
    if stat.S_ISLNK(st.st_mode) or getattr(st, "st_file_attributes", 0) & 0x400:  # FILE_ATTRIBUTE_REPARSE_POINT
        return True
    return stat.S_ISREG(st.st_mode) and st.st_nlink > 1


def link_fingerprint(path: Path) -> str | None:
    """What stands for a link's content in the journal (its bytes are never read): the SHA-256 of
    where a symbolic link points, or of a hard link's file identity; None when `path` is no link."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not is_link(path, st):
        return None
    if stat.S_ISLNK(st.st_mode):
        try:
            what = b"symlink:" + os.fsencode(os.readlink(path))
        except OSError:
            return None
    else:
        what = f"hardlink:{st.st_dev}:{st.st_ino}".encode()
    return hashlib.sha256(what).hexdigest()


def remove_link(path: Path, fingerprint: str) -> None:
    """A link answered leaves the inbox: the link itself (never what it points to), if it is
    still the same link."""
    if link_fingerprint(path) != fingerprint:
        return
    try:
        os.unlink(path)
    except OSError as e:
        log.warning("无法从收件箱移除链接 %s：%s", path, e)


class Resolver:
    """`Path.resolve()` with the folders' resolutions kept (a file's own resolve costs a system
    call for every part of its path): the file itself is checked for being a link each time."""

    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        if path.is_symlink():
            return path.resolve()
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name

    def folder(self, path: Path) -> Path:
        """`path` with its folder resolved but not itself (a link is where it lies, not where it points)."""
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        return folder / path.name

    def forget(self) -> None:
        """Folders may have changed since (a long-running watcher)."""
        self._folders.clear()


def relative(root: Path, real: Path) -> str:
    """`real` (resolved) relative to the resolved workspace `root`, else absolute; readable (a
    name that is not UTF-8 in its readable form: `workspace.readable_name`)."""
    try:
        return readable_path(real.relative_to(root).as_posix())
    except ValueError:
        return readable_path(real.as_posix())


def locate(root: Path, source_path: str) -> Path:
    """The file a journal row's `source_path` names: the path itself, or — a name that is not
    UTF-8 is journalled in its readable form — the entry whose readable form it is."""
    path = root / source_path
    if path.exists() or path.is_symlink():
        return path
    found = Path(path.anchor)
    for part in path.parts[1:]:
        direct = found / part
        if not (direct.exists() or direct.is_symlink()):
            try:
                direct = next(found / n for n in os.listdir(found) if readable_name(n) == part)
            except (OSError, StopIteration):
                return path
        found = direct
    return found


def in_inbox(inbox: Path, real: Path) -> bool:
    try:
        real.relative_to(inbox)
        return True
    except ValueError:
        return False


def folder_unit(inbox: Path, real: Path, units: UnitDirectory) -> tuple[str | None, str | None]:
    """(canonical unit, raw folder name) for a file in inbox/<unit>/…; (None, None) elsewhere.
    The office's own folder (any of its names) is the office's: it may submit for anyone.
    `inbox` and `real` are resolved paths."""
    if not in_inbox(inbox, real):
        return None, None
    rel = real.relative_to(inbox)
    if len(rel.parts) < 2:
        return None, None
    folder = readable_name(rel.parts[0])
    return units.canonical(folder), folder


def folder_inspection(inbox: Path, real: Path, units: UnitDirectory) -> str | None:
    """The 检查名称 of a file in inbox/<the office>/<检查名称>/…, else None (issue 17)."""
    if not in_inbox(inbox, real):
        return None
    parts = real.relative_to(inbox).parts
    if len(parts) < 3 or not units.is_office(readable_name(parts[0])):
        return None
    return readable_name(parts[1])


def read_if_holds(path: Path, sha256: str) -> bytes | None:
    """The bytes under `path` if they are still the journalled ones; a new file under the same
    name must stay."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def holds(path: Path, sha256: str) -> bool:
    """Whether `path` still holds these bytes, hashed as they are read (a file of any size)."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest() == sha256
    except OSError:
        return False


def leave_inbox(path: Path, sha256: str, writers: set[tuple[int, int]] | None = None) -> None:
    """The answered file leaves the inbox — only if its name still holds the bytes answered. A
    file put under the same name meanwhile (saved again, copied over, even at the same size and
    within the same timestamp tick) is a new submission: it stays for the next run. The bytes
    are read again for that: from the cache, ≈ 30 µs for an ordinary file. `writers`: one
    `osguard.writers()` pass taken just before a group's files leave (issue 20: a pass over every
    process's open files for each file was 2.2 s of 600 files), else one is taken here."""
    if held_for_writing(path, writers) or not holds(path, sha256):  # a copy resumed after the read: the next run
        if path.exists():
            log.info("%s 在处理期间被替换为新内容，留在收件箱待下次处理", path)
        return  # gone already (another process, the unit itself) or holding something else
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:  # held open by its owner (Windows), a read-only share: seen again as a duplicate
        log.warning("无法从收件箱移除 %s：%s", path, e)
