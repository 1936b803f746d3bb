"""What the operating system can enforce on a worker process, and tell about a file.

- `limit_this_process` (in a worker): an address-space limit (RLIMIT_AS), dying with the parent
  (Linux: PR_SET_PDEATHSIG through ctypes; everywhere: a thread that sees the parent gone).
- `cpu_budget` (in a worker, before each file): the CPU seconds it may use from now on
  (RLIMIT_CPU's soft limit; SIGXCPU ends the process when it is reached).
- `WindowsJob` (in the parent): a job object with a per-process memory limit that kills its
  processes when the parent's handle closes (the parent died) — ctypes, no extra package.
- `writers` / `held_for_writing`: whether some process holds a file open for writing (Linux:
  /proc/*/fd and fdinfo; Windows: a deny-write open fails), so a copy in progress is left alone.

Where a limit cannot be set, the functions say so (the caller logs it once); nothing raises.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_SIGKILL = 9


def limit_this_process(memory_mb: int, parent: int) -> dict[str, bool]:
    """Cap this process's address space at `memory_mb` (or the inherited hard limit, if lower),
    and end it when `parent` ends. Returns which of these could be set."""
    done = {"memory": False, "cpu": False, "parent": False}
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory_mb << 20
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        done["memory"] = True
        done["cpu"] = hasattr(resource, "RLIMIT_CPU")
    except (ImportError, ValueError, OSError):
        done["memory"] = sys.platform == "win32"  # the parent's job object holds it there
        done["cpu"] = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            done["parent"] = libc.prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent and sys.platform != "win32":
        os._exit(1)  # the parent died before the signal was asked for
    threading.Thread(target=_watch_parent, args=(parent,), name="sancha-parent-watch", daemon=True).start()
    return done


def _watch_parent(parent: int) -> None:
    """Wherever PR_SET_PDEATHSIG is missing: the parent's end, seen within a second."""
    while True:
        time.sleep(1.0)
        if not _alive(parent):
            os._exit(1)


def _alive(pid: int) -> bool:
    if sys.platform == "win32":
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    return os.getppid() == pid


def cpu_budget(seconds: float) -> bool:
    """From now on this process may use `seconds` more CPU time (then SIGXCPU ends it)."""
    try:
        import resource

        used = resource.getrusage(resource.RUSAGE_SELF)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(used.ru_utime + used.ru_stime + seconds) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        return True
    except (ImportError, ValueError, OSError):
        return False


# -- Windows: a job object ---------------------------------------------------------------------

class _IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class _BasicLimits(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_longlong), ("PerJobUserTimeLimit", ctypes.c_longlong),
                ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32),
                ("SchedulingClass", ctypes.c_uint32)]


class _ExtendedLimits(ctypes.Structure):
    _fields_ = [("BasicLimitInformation", _BasicLimits), ("IoInfo", _IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


_JOB_OBJECT_LIMIT_PROCESS_MEMORY = 0x100
_JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
_JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9


class WindowsJob:
    """A job object: each process assigned gets at most `memory_mb` of committed memory, and all
    are killed when the job's last handle closes — when this (the parent) process ends, however."""

    def __init__(self, memory_mb: int):
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        self._kernel32 = kernel32
        self.handle = kernel32.CreateJobObjectW(None, None)
        if not self.handle:
            raise OSError("CreateJobObjectW failed")
        info = _ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        if memory_mb:
            info.BasicLimitInformation.LimitFlags |= _JOB_OBJECT_LIMIT_PROCESS_MEMORY
            info.ProcessMemoryLimit = memory_mb << 20
        if not kernel32.SetInformationJobObject(self.handle, _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                                                ctypes.byref(info), ctypes.sizeof(info)):
            raise OSError("SetInformationJobObject failed")

    def assign(self, process_handle: int) -> bool:
        return bool(self._kernel32.AssignProcessToJobObject(self.handle, int(process_handle)))


# -- is someone still writing this file? ------------------------------------------------------

_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


def writers() -> set[tuple[int, int]] | None:
    """(device, inode) of every file some process we can see holds open for writing (Linux:
    /proc/<pid>/fd and its fdinfo flags); None where the system cannot tell. One pass over the
    processes, for a whole group of files."""
    if not sys.platform.startswith("linux") or not os.path.isdir("/proc/self/fd"):
        return None
    held: set[tuple[int, int]] = set()
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or another user's process (not visible without privileges)
        for fd in fds:
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
                if flags & os.O_ACCMODE not in _WRITE_MODES:
                    continue
                st = os.stat(f"{fd_dir}/{fd}")
            except (OSError, StopIteration, ValueError):
                continue
            held.add((st.st_dev, st.st_ino))
    return held


def held_for_writing(path: Path, seen: set[tuple[int, int]] | None = None) -> bool:
    """Whether a process holds `path` open for writing (a copy still in progress). `seen`: one
    `writers()` pass, for many files. False where the system cannot tell."""
    if sys.platform == "win32":
        return _windows_write_locked(path)
    if seen is None:
        seen = writers()
        if seen is None:
            return False
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in seen


def _windows_write_locked(path: Path) -> bool:
    """A read open that denies writers fails while another process has the file open for writing."""
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    kernel32.CreateFileW.restype = ctypes.c_void_p
    generic_read, file_share_read, open_existing = 0x80000000, 0x1, 3
    handle = kernel32.CreateFileW(str(path), generic_read, file_share_read, None, open_existing, 0, None)
    if handle in (None, ctypes.c_void_p(-1).value):
        return bool(kernel32.GetLastError() == 32)  # ERROR_SHARING_VIOLATION
    kernel32.CloseHandle(ctypes.c_void_p(handle))
    return False
