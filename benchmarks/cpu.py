"""CPU time of a process's descendants (sancha's parse workers). Standalone — no imports from
the package — so that `benchmarks.compare` can load it by path inside another tree's run."""

from __future__ import annotations


def descendants_cpu() -> float:
    """CPU seconds of this process's descendants, the exited ones included as far as a live
    ancestor has reaped them (the forkserver's parse workers are reaped by the forkserver)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total
