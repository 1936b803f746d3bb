"""Parameter types: what a value on the command line must look like, checked before the
command runs, with a Chinese message naming the option (a `UsageError`, exit 2).

Each is a typer `parser` (a function from the text typed to the value); the `*_option`
helpers give the option as commands declare it, `Annotated[date, as_of_option()]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.errors import UsageError
from pipeline.intake.normalize import Unreadable, parse_date, parse_item_id
from pipeline.model import format_id, nfkc
from pipeline.output.export import FORMATS

DATE_METAVAR = "日期"
_SHORT_ID = re.compile(r"(\d{4})-(\d{1,3})")  # 2026-7 is 2026-0007, as the web desk's search reads it
AS_OF_HELP = "按哪一天计算，默认今天"


def day(option: str) -> Callable[[Any], date]:
    """A date written as a cell may hold it — 2027-01-31, 2027-1-31, 2027/1/31, 2027年1月31日 —
    (a default that is already a date passes through)."""

    def parse(value: Any) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            # 46387 is a cell's serial number, not a date anyone types
            parsed = parse_date(text) if text and not text.isdigit() else None
        except Unreadable:
            parsed = None
        if parsed is None:
            raise UsageError(f"{option} 的值 “{value}” 不是日期，请写成 2026-11-30 或 2026年11月30日") from None
        return parsed

    return parse


def day_option(option: str, help: str, *, today: bool = True) -> Any:
    """A date option; without a value, today (or required when `today` is False)."""
    extra: dict[str, Any] = {"default_factory": date.today} if today else {}
    return typer.Option(option, parser=day(option), metavar=DATE_METAVAR, show_default=False, help=help, **extra)


def as_of_option(help: str = AS_OF_HELP) -> Any:
    return day_option("--as-of", help)


def item_id(value: str) -> str:
    """A ledger id such as 2026-0001, or short as 2026-1 (full-width digits and dashes are read too)."""
    parsed = parse_item_id(value)
    if parsed is None and (m := _SHORT_ID.fullmatch(nfkc(str(value)).strip())):
        parsed = format_id(int(m[1]), int(m[2]))
    if parsed is None:
        raise UsageError(f"“{value}” 不是事项编号；编号写成 2026-0001（年份-序号）")
    return parsed


ITEM_ID_HELP = "事项编号，例如 2026-0007"
_ITEM_ID_ARGUMENT = typer.Argument(parser=item_id, metavar="ITEM_ID", help=ITEM_ID_HELP, show_default=False)
ItemIdArgument = Annotated[str, _ITEM_ID_ARGUMENT]
ItemIdsArgument = Annotated[list[str], _ITEM_ID_ARGUMENT]


def export_format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format 只能是 {'、'.join(FORMATS[:-1])} 或 {FORMATS[-1]}，不是 “{fmt}”")
    return fmt


def year(value: str) -> int:
    """A four-digit year the calendar can be asked about."""
    try:
        y = int(str(value).strip())
    except ValueError:
        raise UsageError(f"“{value}” 不是年份，请写成 2027 这样的四位年份") from None
    if not 1900 <= y <= 2200:
        raise UsageError(f"年份 {y} 超出范围，请写成 2027 这样的四位年份")
    return y


def existing_path(value: str) -> Path:
    path = Path(value)
    if not path.exists():
        raise UsageError(f"找不到文件或目录：{path}")
    return path


def seconds(option: str, minimum: float) -> Callable[[Any], float]:
    """A number of seconds, at least `minimum`."""

    def parse(value: Any) -> float:
        try:
            n = float(value)
        except ValueError:
            n = None
        if n is None or not n >= minimum:
            raise UsageError(f"{option} 的值 “{value}” 应是不小于 {minimum:g} 的秒数")
        return n

    return parse
