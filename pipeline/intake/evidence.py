"""佐证材料 (evidence) in the inbox — pure: which files are evidence, for which item, and
whether their type is accepted.

A unit sends evidence for an item in one of two ways (issue 23):
- a file whose name starts with the item's 编号: `2026-0007_整改照片.jpg`, `2026-0007 验收报告.pdf`
  (the 编号 followed by anything but a digit, or nothing: `2026-0007.pdf`);
- any file in `inbox/<单位>/佐证/<编号>/`.
A file in a `佐证` folder is evidence whatever its name; without a 编号 folder or prefix it is
refused (evidence-unknown-id, no-id). A spreadsheet whose name only starts like a 编号 of no
item (a date: `2026-1120三单台账.xlsx`) stays a submission (`taken_as_evidence`). Nothing else
is read of a file but its first bytes: its type is identified from them (`sniff`), never by
opening or rendering it — a `.jpg` that is not a JPEG is refused (evidence-type, disguised).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from pipeline.intake.normalize import parse_item_id
from pipeline.intake.read import SPREADSHEET_SUFFIXES
from pipeline.model import nfkc

EVIDENCE_FOLDER = "佐证"  # inbox/<单位>/佐证/<编号>/

# The 编号 a name starts with: 2026-0007, with any dash (as parse_item_id takes them), then no digit.
_ID_PREFIX = re.compile(r"\s*(\d{4}\s*[-‐‑‒–—―−﹣－]\s*\d{4,})(?!\d)")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt, .wps, .et: an OLE compound file
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # .docx, .xlsx, .ofd (a zip of XML), .zip (an empty one too)
# What a file of each type starts with; a type not listed here is accepted by its suffix alone.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
    "bmp": (b"BM",),
    "tif": (b"II*\x00", b"MM\x00*"),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "doc": (_OLE,),
    "xls": (_OLE,),
    "ppt": (_OLE,),
    "wps": (_OLE,),
    "et": (_OLE,),
    "docx": _ZIP,
    "xlsx": _ZIP,
    "pptx": _ZIP,
    "ofd": _ZIP,
    "zip": _ZIP,
    "rar": (b"Rar!\x1a\x07",),
    "7z": (b"7z\xbc\xaf\x27\x1c",),
}
SNIFF_BYTES = 16  # the most any signature needs


class Target(NamedTuple):
    """A file that is evidence: the item it names (None when it names none or not a valid 编号:
    `named` says what it wrote), and how it said so (`folder` or `name`)."""

    item_id: str | None
    named: str
    how: str


def evidence_target(parts: Sequence[str], name: str) -> Target | None:
    """Whether a file is 佐证材料, and for which item. `parts`: the folders between the inbox
    and the file (`("区财政局", "佐证", "2026-0007")`), `name` the file's (readable) name; None
    when the file is a submission like any other."""
    folders = [nfkc(p).strip() for p in parts]
    if EVIDENCE_FOLDER in folders:
        after = folders[folders.index(EVIDENCE_FOLDER) + 1:]
        if after:
            return Target(parse_item_id(after[0]), after[0], "folder")
        prefix = _name_id(name)
        return Target(parse_item_id(prefix) if prefix else None, prefix or "", "folder")
    prefix = _name_id(name)
    if prefix is None:
        return None
    return Target(parse_item_id(prefix), prefix, "name")


def taken_as_evidence(target: Target, name: str, known: Callable[[str], bool]) -> bool:
    """Whether a file `evidence_target` named is answered as 佐证材料. A spreadsheet whose name
    merely starts like a 编号 (`2026-1120三单台账.xlsx`, a date) is a submission unless that item
    exists (`known(id)`); anything in a 佐证 folder, and any other type, is evidence."""
    if target.how == "folder" or f".{suffix_of(name)}" not in SPREADSHEET_SUFFIXES:
        return True
    return target.item_id is not None and known(target.item_id)


def _name_id(name: str) -> str | None:
    m = _ID_PREFIX.match(nfkc(name))
    return m.group(1) if m else None


def suffix_of(name: str) -> str:
    """The type a file's name gives, lower case without the dot ('' for none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.strip().lower() if dot and stem else ""


def sniff(head: bytes, suffix: str) -> bool:
    """Whether a file's first bytes are what its suffix says (a type without a known signature:
    yes). An .xls or .doc may also be the other Office family (a WPS file saved under the wrong
    name is still an Office file); only the family is checked."""
    signatures = SIGNATURES.get(suffix)
    return signatures is None or head.startswith(signatures)
