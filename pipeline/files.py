"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> Path:
    """Write through a temporary file beside `path`, then rename it into place.

    On failure (disk full, read-only share) the temporary file is removed and the OSError
    raised; whatever stood under `path` before is untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # the folder refuses even that; nothing half-written is under the real name
        raise
    return path
