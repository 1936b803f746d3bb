"""Dates as Chinese documents write them: 2026年11月30日 (no leading zeros)."""

from __future__ import annotations

from datetime import date

from pipeline.deadlines.workdays import PROVISIONAL_MARK


def cn_date(d: date | None, provisional: bool = False) -> str:
    """2026年11月30日, with “（暂定）” after a date counted on a provisional calendar year."""
    if d is None:
        return ""
    text = f"{d.year}年{d.month}月{d.day}日"
    return text + PROVISIONAL_MARK if provisional else text
