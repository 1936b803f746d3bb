"""Document numbers and the record of documents written (tables of migration 0004_issued_documents).

Numbers come in yearly series, each number held by one key for good:

    doc     发文字号 of the office, 观政办〔2026〕N号 — circulars and 专题报告 share it
    issue   通报期数, 2026年第N期 — circulars
    notice  督办〔2026〕N号 — 督办通知单

`take_number` gives a key its number: the one it already holds in that year's series, else the
next. The year is the document's own date's (a circular of 2027-01-01 is 〔2027〕1号 even in ISO
week 2026-W53). Numbers are never given back: a number taken by a document that was superseded
stays taken (a gap in the series rather than two documents with one number).

`record_written` keeps, for every document sancha writes, its path, hash and time, so that
`publish` can tell a draft of a few hours ago (replaced on a re-run) from a document sent out or
edited since (kept; the new version goes beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.ledger.ledger import Ledger

SERIES_DOC = "doc"
SERIES_ISSUE = "issue"
SERIES_NOTICE = "notice"


@dataclass(frozen=True)
class WrittenDocument:
    path: str  # relative to the workspace, with /
    kind: str
    key: str
    doc_number: str
    sha256: str
    as_of: date
    written_at: datetime
    verdict: str | None = None  # a circular's commended and criticised units (JSON), as printed


def take_number(ledger: Ledger, series: str, year: int, key: str) -> int:
    """The number `key` holds in `series` for `year`, taking the next one if it holds none."""
    with ledger.transaction():
        row = ledger.conn.execute("SELECT number FROM doc_numbers WHERE series = ? AND year = ? AND key = ?",
                                  (series, year, key)).fetchone()
        if row:
            return row[0]
        n = ledger.conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM doc_numbers WHERE series = ? AND year = ?",
                                (series, year)).fetchone()[0]
        ledger.conn.execute("INSERT INTO doc_numbers VALUES (?, ?, ?, ?, ?)",
                            (series, year, n, key, datetime.now().isoformat(timespec="seconds")))
        return n


def numbers(ledger: Ledger, series: str, year: int) -> list[tuple[int, str]]:
    """(number, key) of a series' year, in order."""
    rows = ledger.conn.execute("SELECT number, key FROM doc_numbers WHERE series = ? AND year = ? ORDER BY number",
                               (series, year))
    return [(n, k) for n, k in rows]


def record_written(ledger: Ledger, docs: list[WrittenDocument]) -> None:
    with ledger.transaction():
        ledger.conn.executemany(
            "INSERT INTO issued_documents (path, kind, key, doc_number, sha256, as_of, written_at, verdict) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
            "kind = excluded.kind, key = excluded.key, doc_number = excluded.doc_number, sha256 = excluded.sha256, "
            "as_of = excluded.as_of, written_at = excluded.written_at, verdict = excluded.verdict",
            [(d.path, d.kind, d.key, d.doc_number, d.sha256, d.as_of.isoformat(),
              d.written_at.isoformat(timespec="seconds"), d.verdict) for d in docs])


def forget_written(ledger: Ledger, paths: list[str]) -> None:
    """Drop the records of documents removed (a notice no longer due, before it was sent)."""
    with ledger.transaction():
        ledger.conn.executemany("DELETE FROM issued_documents WHERE path = ?", [(p,) for p in paths])


def written(ledger: Ledger) -> dict[str, WrittenDocument]:
    """Every document sancha wrote, by path."""
    rows = ledger.conn.execute("SELECT path, kind, key, doc_number, sha256, as_of, written_at, verdict "
                               "FROM issued_documents")
    return {r[0]: WrittenDocument(r[0], r[1], r[2], r[3], r[4], date.fromisoformat(r[5]), datetime.fromisoformat(r[6]),
                                  r[7]) for r in rows}
