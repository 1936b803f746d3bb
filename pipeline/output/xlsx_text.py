"""Writing user text into xlsx so that it stays text (CWE-1236: never a formula, never an error).

openpyxl turns a string starting with `=` into a formula and `#N/A` into an error, and raises
on control characters such as `\\x0b`. Every writer of user text goes through `put_text`.
Control characters are written the way Excel itself stores them (OOXML `_x000B_` escapes), so
Excel, WPS and python-calamine read the original text back.
"""

from __future__ import annotations

import re

# openpyxl's ILLEGAL_CHARACTERS_RE, the characters it refuses (here so that the CSV export does
# not import openpyxl)
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

_LITERAL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_safe(value: str) -> str:
    """The text as an OOXML string: control characters escaped as `_xHHHH_`, and a literal
    `_xHHHH_` protected as `_x005F_xHHHH_` so it is not decoded."""
    value = _LITERAL_ESCAPE.sub(r"_x005F_\1", value)
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program would take this text for a formula (OWASP CSV injection:
    `= + - @`, tab, carriage return first)."""
    return text.startswith(_FORMULA_TRIGGERS)


def csv_safe(text: str) -> str:
    """Text for a CSV cell that Excel, WPS and LibreOffice show as the text it is: one starting
    like a formula gets a leading apostrophe (OWASP's advice for CSV; in xlsx the same cells get
    Excel's invisible quote prefix instead)."""
    return "'" + text if looks_like_formula(text) else text


def put_text(cell, value) -> None:
    """Write a value as a text cell; None leaves the cell empty."""
    if value is None:
        return
    text = xlsx_safe(str(value))
    cell.value = text
    cell.data_type = "s"  # never a formula or an error value, whatever the text starts with
    if looks_like_formula(text):
        cell.quotePrefix = True
