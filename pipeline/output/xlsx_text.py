"""Writing user text into xlsx so that it stays text (CWE-1236: never a formula, never an error).

openpyxl turns a string starting with `=` into a formula and `#N/A` into an error, and raises
on control characters such as `\\x0b`. Every writer of user text goes through `put_text`.
Control characters are written the way Excel itself stores them (OOXML `_x000B_` escapes), so
Excel, WPS and python-calamine read the original text back.
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

_LITERAL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_safe(value: str) -> str:
    """The text as an OOXML string: control characters escaped as `_xHHHH_`, and a literal
    `_xHHHH_` protected as `_x005F_xHHHH_` so it is not decoded."""
    value = _LITERAL_ESCAPE.sub(r"_x005F_\1", value)
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def put_text(cell, value) -> None:
    """Write a value as a text cell; None leaves the cell empty."""
    if value is None:
        return
    text = xlsx_safe(str(value))
    cell.value = text
    cell.data_type = "s"  # never a formula or an error value, whatever the text starts with
    if text.startswith(_FORMULA_TRIGGERS):
        cell.quotePrefix = True
