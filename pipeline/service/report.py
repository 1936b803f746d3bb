"""The special report (专题报告): how every item of one source (审计, 巡查, a leader's
instruction…) stands as of a day, as a Word document from the workspace's template.

    write_special_report(ws, "审计", date(2026, 11, 30))  # → outbox/专题报告_审计_2026-11-30.docx
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.errors import Refused
from pipeline.ledger.standing import load_standing
from pipeline.workspace import Workspace, safe_filename


class NothingToReport(Refused):
    """The ledger holds no item of that source."""


@dataclass(frozen=True)
class SpecialReport:
    path: Path
    items: int  # how many items it covers


def report_path(ws: Workspace, source: str, as_of: date) -> Path:
    return ws.outbox / safe_filename(f"专题报告_{source}_{as_of.isoformat()}.docx")


def write_special_report(ws: Workspace, source: str, as_of: date, output: Path | None = None) -> SpecialReport:
    """Render the report on `source` (trimmed) as of `as_of` into `output` (default outbox/).
    Raises NothingToReport when no item has that source, DocumentError when the template is
    missing or broken."""
    from pipeline.output.documents import contexts, render  # the document stack: only here
    from pipeline.output.documents.templates import REPORT

    source = source.strip()
    now = load_standing(ws, as_of, source=source)
    if not now.items:
        raise NothingToReport(f"台帐中没有问题来源为“{source}”的事项。")
    context = contexts.report_context(ws.config, source, now.items, now.states, now.summaries, as_of)
    path = render.render_to(ws.templates, REPORT, context, output or report_path(ws, source, as_of))
    return SpecialReport(path, len(now.items))
