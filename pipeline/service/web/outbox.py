"""The documents in a workspace's outbox/, grouped by week, and the one way a page names one of
them: a path relative to outbox/ that must stay inside it.

A weekly document is named `<YYYY-Www>_<word>…` (outbox/ and outbox/<unit>/, as the weekly batch
writes them today) or lies in a week's folder `outbox/<YYYY-Www>/` (the outbox by week, issue 19
point 8): both are listed under their week. Receipts (回执_…) belong to their files' pages and
are not listed here; everything else (看板.html, 专题报告…) is under 其他.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from pipeline.workspace import Workspace

WEEK = re.compile(r"^(\d{4}-W\d{2})(?:_|$)")
RECEIPT_PREFIX = "回执_"
OTHER = "其他"
DOCUMENT_SUFFIXES = (".docx", ".xlsx", ".pdf", ".txt", ".html", ".csv", ".json")


class OutsideOutbox(Exception):
    """A requested path that is not a document inside outbox/."""


@dataclass(frozen=True)
class Document:
    rel: str  # relative to outbox/, with "/" (what links carry)
    name: str
    unit: str | None  # the unit's folder it is in, if any
    week: str  # YYYY-Www, or OTHER
    size: int
    modified: datetime


def _week_of(rel: PurePosixPath) -> str | None:
    for part in rel.parts:
        m = WEEK.match(part)
        if m:
            return m.group(1)
    return None


def list_documents(ws: Workspace) -> list[Document]:
    """Every document under outbox/ (two folders deep), newest week first, then by unit and name."""
    root = ws.outbox
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        rel = PurePosixPath(path.relative_to(root).as_posix())
        if (len(rel.parts) > 3 or any(p.startswith((".", "~$")) for p in rel.parts)
                or path.suffix.lower() not in DOCUMENT_SUFFIXES or path.name.startswith(RECEIPT_PREFIX)):
            continue
        try:
            st = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        folders = [p for p in rel.parts[:-1] if not WEEK.match(p)]
        unit = folders[0] if folders else None
        found.append(Document(str(rel), path.name, unit, _week_of(rel) or OTHER, st.st_size,
                              datetime.fromtimestamp(st.st_mtime)))
    return sorted(found, key=lambda d: (d.week == OTHER, _neg_week(d.week), d.unit is not None, d.unit or "", d.name))


def _neg_week(week: str) -> tuple[int, int]:
    m = re.match(r"^(\d{4})-W(\d{2})$", week)
    return (-int(m.group(1)), -int(m.group(2))) if m else (0, 0)


def by_week(docs: list[Document]) -> list[tuple[str, list[Document]]]:
    groups: dict[str, list[Document]] = {}
    for d in docs:
        groups.setdefault(d.week, []).append(d)
    return list(groups.items())


def resolve_document(ws: Workspace, rel: str) -> Path:
    """The file `rel` names inside outbox/, or OutsideOutbox: absolute paths, drive letters, `..`,
    backslashes, hidden files and links leading out are all refused."""
    if not rel or "\\" in rel or "\x00" in rel or ":" in rel or rel.startswith("/"):
        raise OutsideOutbox(rel)
    parts = PurePosixPath(rel).parts
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise OutsideOutbox(rel)
    root = ws.outbox.resolve()
    path = (root / Path(*parts)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise OutsideOutbox(rel)
    return path


def this_week_circular(ws: Workspace, week: str) -> Document | None:
    """The circular (督查通报) of `week` when the batch has written it."""
    for d in list_documents(ws):
        if d.week == week and "督查通报" in d.name and d.name.endswith(".docx") and d.unit is None:
            return d
    return None
