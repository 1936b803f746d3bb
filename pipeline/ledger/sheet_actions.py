"""The office's action sheet applied: each row of 督查室操作 (intake/action_sheet.py) through the
same office-action function the command line and the web desk call, with the same checks. A row
that is refused (or cannot be read) is listed with its reason and changes nothing; the others are
applied, each in its own savepoint. What each row did becomes a finding of the file's receipt
(`action-done`, `action-refused`), so that the receipt names every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.config import Config
from pipeline.intake import action_sheet as sheet
from pipeline.intake.action_sheet import ActionRow, ActionSheet
from pipeline.intake.findings import ACTION_DONE, ACTION_REFUSED, ACTION_SHEET_HEADER
from pipeline.ledger import actions
from pipeline.ledger.actions import ActionError, ActionResult
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.timeline import LOOKBACK_FAILED, LOOKBACK_PASSED
from pipeline.model import Finding

# The command line's words in the library's refusals, as the sheet names them.
SHEET_WORDS = (("（--note）", "（说明栏）"), ("（--to）", "（新时限栏）"), ("--to 只用于反弹", "新时限只用于反弹"),
               ("并用 --note 写明理由", "并写明理由"),
               ("请加 --late", "请在督查台帐网页中勾选“逾期后批准”或用 sancha extend --late 登记"),
               ("请加 --force", "请在督查台帐网页中勾选“强制销号”或用 sancha close --force 登记"))


@dataclass(frozen=True)
class SheetOutcome:
    applied: tuple[str, ...]  # ids of the items acted on, in row order (once each)
    findings: tuple[Finding, ...]  # one per row (action-done / action-refused), or the header's

    @property
    def refused(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


def apply_sheet(ledger: Ledger, config: Config, found: ActionSheet, *, operator: str, received: date) -> SheetOutcome:
    """Apply every row of the sheet (dates blank: the day received, which is also "today" for the
    checks); a row refused leaves nothing behind."""
    if found.missing:
        return SheetOutcome((), tuple(ACTION_SHEET_HEADER.at(found.name, where.split("!")[-1], column=column)
                                      for column, where in found.missing))
    applied: list[str] = []
    findings: list[Finding] = []
    for row in found.rows:
        cell = row.cell.split("!")[-1]
        try:
            if row.error:
                raise ActionError(row.error)
            result = _apply(ledger, config, row, operator, received)
        except ActionError as e:
            findings.append(ACTION_REFUSED.at(found.name, cell, row=row.row, item=row.item_id or "",
                                              operation=row.operation or "操作",
                                              reason=actions.reword(str(e), SHEET_WORDS)))
            continue
        if row.item_id not in applied:
            applied.append(result.event.item_id)
        text = " ".join(line.strip() for line in result.lines)
        findings.append(ACTION_DONE.at(found.name, cell, row=row.row, text=f"{row.operation}：{text}"))
    return SheetOutcome(tuple(applied), tuple(findings))


def _apply(ledger: Ledger, config: Config, row: ActionRow, operator: str, today: date) -> ActionResult:
    assert row.item_id is not None
    item_id, on, note, to = row.item_id, row.on or today, row.note, row.to
    if row.operation == sheet.CLOSE:
        return actions.close(ledger, item_id, note=note or None, on=on, operator=operator, today=today,
                             requires_evidence=config.rules.close_requires_evidence)
    if row.operation in (sheet.PASSED, sheet.FAILED):
        failed = row.operation == sheet.FAILED
        return actions.lookback(ledger, item_id, result=LOOKBACK_FAILED if failed else LOOKBACK_PASSED,
                                to=to if failed else None, note=note or None, on=on, operator=operator, today=today)
    if row.operation == sheet.VOID:
        return actions.void(ledger, item_id, note=note, on=on, operator=operator, today=today)
    if row.operation == sheet.REASSIGN:
        return actions.reassign(ledger, config, item_id, to=row.unit, note=note, on=on, operator=operator,
                                today=today)
    assert to is not None  # read_row: 延期 and 重开 without 新时限 are errors
    if row.operation == sheet.EXTEND:
        return actions.extend(ledger, item_id, to=to, note=note, on=on, operator=operator, today=today)
    return actions.reopen(ledger, item_id, to=to, note=note, on=on, operator=operator, today=today)
