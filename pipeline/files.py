"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def in_folder(path: Path, create: Callable[[], T]) -> T:
    """`create()`, which makes `path`; when `path`'s folder does not exist (yet, or any more), the
    folder is made and `create` tried once more. No check beforehand: the folder is there nearly
    always."""
    try:
        return create()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return create()


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> Path:
    """Write through a temporary file beside `path`, then rename it into place. `data` may come
    in pieces (a receipt of 200,000 items is never whole in memory).

    On failure (disk full, read-only share) the temporary file is removed and the OSError
    raised; whatever stood under `path` before is untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        in_folder(tmp, lambda: _write(tmp, data))
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the folder refuses even that; nothing half-written is under the real name
        raise
    return path


def _write(path: Path, data: bytes | Iterable[bytes]) -> None:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        with path.open("wb") as fh:
            fh.writelines(data)
