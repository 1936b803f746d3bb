"""交办: when the office's 问题清单 is ingested, each lead unit gets in its outbox a numbered
问题交办单 (docx, GB/T 9704 like the other documents) and a pre-filled 措施清单 workbook
(issue 17, point 2).

    outbox/<单位>/交办单_<交办〔2026〕N号>.docx
    outbox/<单位>/措施清单_<日期>_<文件编号>.xlsx

The problems a file assigned are its new items awaiting measures (`model.awaits_measures`);
measures are due on the `[rules] measures_within_workdays`-th working day after the day the
file was received (the 交办 day). Numbers come from the yearly `assign` series, one per (file,
unit): a file answered again (a crash before its receipt) keeps its numbers. Documents are put
in place as the weekly batch's are (service/publish). A workspace made before 交办单 existed
uses the built-in template until `sancha templates` writes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pipeline.deadlines.workdays import WorkCalendar
from pipeline.ledger import issued
from pipeline.ledger.ledger import Ledger
from pipeline.model import Item, awaits_measures
from pipeline.service import publish
from pipeline.service.publish import Document
from pipeline.workspace import Workspace, safe_filename

SERIES_ASSIGN = "assign"
ASSIGNMENT_WORD = "交办单"
MEASURES_WORD = "措施清单"


def assigned(items: Iterable[Item]) -> dict[str, list[Item]]:
    """The new items awaiting measures, by lead unit (in the order met)."""
    out: dict[str, list[Item]] = {}
    for item in items:
        if awaits_measures(item) and item.voided_on is None:
            out.setdefault(item.unit, []).append(item)
    return out


def write_assignments(ws: Workspace, ledger: Ledger, items: Iterable[Item], received: date, file_id: int
                      ) -> list[Path]:
    """The 交办单 and 措施清单 of each registered lead unit the file assigned problems to; the
    paths written (none when the file assigned nothing)."""
    config = ws.config
    by_unit = {u: its for u, its in assigned(items).items() if config.is_registered(u)}
    if not by_unit:
        return []
    from pipeline.ledger.inspections import load_inspections  # the document stack: only here
    from pipeline.output.documents import contexts, render
    from pipeline.output.documents.measures_xlsx import measures_workbook
    from pipeline.output.documents.templates import ASSIGNMENT, build_template

    cal = WorkCalendar.from_config(config)
    due = cal.add_workdays(received, config.rules.measures_within_workdays)
    provisional = cal.spans_provisional(received, due)
    names = {i.id: i.name for i in load_inspections(ledger)}
    path = ws.templates / ASSIGNMENT
    template = path.read_bytes() if path.is_file() else build_template(ASSIGNMENT, config.fonts)
    docs: list[Document] = []
    for unit, its in by_unit.items():
        key = f"assign {file_id} {unit}"
        number = issued.take_number(ledger, SERIES_ASSIGN, received.year, key)
        inspection = next((names[i.inspection] for i in its if i.inspection in names), None)
        ctx = contexts.assignment_context(config, unit, its, received, due, provisional=provisional, number=number,
                                          inspection=inspection)
        folder = ws.unit_outbox(unit)
        doc = Document(folder / safe_filename(f"{ASSIGNMENT_WORD}_{ctx['assign_number']}.docx"), "assignment", key,
                       ctx["assign_number"], issued=True)
        publish.stage(doc, render.render_docx(template, ctx, name=ASSIGNMENT, fonts=config.fonts))
        form = Document(folder / f"{MEASURES_WORD}_{received:%Y%m%d}_{file_id}.xlsx", "form")
        publish.stage(form, measures_workbook(config, unit, its, received, ctx["measures_due"]))
        docs += [doc, form]
    placed = publish.place(ledger, ws.root, docs, as_of=received, reissue_hours=config.rules.reissue_hours)
    return [p.path for p in placed.placed]
