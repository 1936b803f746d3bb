"""What a figure was measured on: the machine, its load and the filesystem under the work folder.

Figures from different machines (or the same one with and without a filesystem journal) are not
comparable; every benchmark prints `describe(workdir)` with its figures so that they can be told
apart later. Standalone (no imports from the package) like cpu.py.

On ext4 without a journal, creating a file right after thousands of deletions costs ~700 µs of
kernel time instead of ~50 µs (issue 20): `journal` says which case a figure was taken in.
"""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import UTC, datetime
from pathlib import Path


def _mount_of(path: Path) -> tuple[str, str, str]:
    """(device, mount point, filesystem type) of the mount holding `path`."""
    path = path.resolve()
    best = ("?", "/", "?")
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, point, fstype = parts[0], parts[1], parts[2]
        if (path == Path(point) or Path(point) in path.parents) and len(point) >= len(best[1]):
            best = (device, point, fstype)
    return best


def journal_state(device: str, fstype: str) -> str:
    """'journal', 'no journal' or 'unknown': ext3/ext4 with a journal have a jbd2 entry per device."""
    if fstype not in ("ext3", "ext4"):
        return "n/a" if fstype in ("tmpfs", "xfs", "btrfs") else "unknown"
    jbd2 = Path("/proc/fs/jbd2")
    if not jbd2.is_dir():
        return "no journal"
    name = Path(device).name
    return "journal" if any(e.name.startswith(f"{name}-") for e in jbd2.iterdir()) else "no journal"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def describe(workdir: Path) -> dict:
    device, point, fstype = _mount_of(workdir)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "filesystem": f"{fstype} on {device} at {point}",
        "journal": journal_state(device, fstype),
    }


def line(info: dict) -> str:
    """One line for a benchmark's output."""
    load = " ".join(f"{x:g}" for x in info["load_average"] or [])
    return (f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; {info['os']}, "
            f"Python {info['python']}, SQLite {info['sqlite']}; {info['filesystem']} ({info['journal']}); "
            f"load {load}; {info['date']}")
