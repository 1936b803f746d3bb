"""The problems a user can fix, as exceptions that carry their exit code.

Library code raises these with a Chinese message that says what to do; the command line
(`pipeline.cli.main`, the one place) prints `label：message` on stderr and exits with
`exit_code`. A script calling the library catches `SanchaError`.

    SanchaError                 1  错误：…
    ├── UsageError              2  a value on the command line that cannot be used
    ├── ConfigError             2  配置错误：sancha.toml missing or wrong (pipeline.config)
    ├── LedgerLost              2  the ledger is missing, empty or unreadable beside earlier data
    ├── DocumentError           2  a template missing or broken (output.documents.render)
    │   └── DocumentWriteError  1  the disk refused the document (full, read-only)
    ├── Refused                 1  the office asked for something that cannot be done
    │   ├── LedgerError            unknown item, wrong state (ledger.ledger)
    │   ├── BatchRunning           another weekly batch holds the lock (service.weekly)
    │   └── NothingToReport        no item of that source (service.report)
    └── Rejected                1  a file was rejected or a check found problems (already reported)
"""

from __future__ import annotations


class SanchaError(Exception):
    """A problem the user can fix; the message (Chinese) says how."""

    exit_code = 1
    label = "错误"


class UsageError(SanchaError):
    """A value given on the command line cannot be used (a date, an id, a unit, a path)."""

    exit_code = 2


class LedgerLost(SanchaError):
    """data/ledger.sqlite is missing, empty or unreadable although data/ shows an earlier ledger
    (archive copies, a write-ahead log, backups): it must be restored, never silently begun anew
    (numbers of circulars, receipts and items would be given out twice)."""

    exit_code = 2


class Refused(SanchaError):
    """The office asked for something the ledger or the workspace cannot do now."""


class Rejected(SanchaError):
    """What was handed in did not pass: a file was rejected, a check found problems. The
    details are in the command's output; the exception carries only the exit code."""

    def __init__(self, message: str = ""):
        super().__init__(message)
