"""Who submits a file: the 填报单位 line, else the inbox/<unit>/ folder, else a unit name at the
start of the file name, else the one lead unit of all its rows.

The folder and the 填报单位 line must agree, and every row's lead unit must be the submitter —
except when the office itself submits (any of its names), which may submit for any unit. A
`Submitter` follows one file: `named` before the rows, `check_rows` for each chunk of them,
`settle` after the last. Each returns the findings it has; pure but for what it remembers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from pipeline.intake import findings
from pipeline.intake.header import MetaValue
from pipeline.intake.normalize import clean_text, squeeze
from pipeline.intake.units import UnitDirectory
from pipeline.model import Finding, Row


class Submitter:
    """The submitting unit of one file, as far as it is known (`unit`, read at `cell`)."""

    def __init__(self, units: UnitDirectory, filename: str, folder_unit: str | None):
        self.units, self.filename, self.folder_unit = units, filename, folder_unit
        self.unit: str | None = None
        self.cell: str | None = None
        self.settled = False  # a source named the submitter (rightly or not): no later fallback
        self.leads: list[str] = []  # the rows' registered lead units, in order met, while only they can name it

    @property
    def current(self) -> str | None:
        """The submitter, or while only the rows can name it the first lead unit met (which is
        the file's unit whenever the file passes)."""
        return self.unit or (self.leads[0] if self.leads else None)

    def unread(self) -> None:
        """Who sent a file whose content cannot be read: its folder, else its file name, so that
        the receipt saying why reaches the unit's outbox."""
        self.unit = self.units.canonical(self.folder_unit) if self.folder_unit else self._in_filename()
        self.settled = True

    def named(self, meta: MetaValue | None, sheet: str) -> list[Finding]:
        """The submitter named before the rows: by the 填报单位 line (`meta`, on `sheet`), the
        folder or the file name; the findings about the line and the folder."""
        folder = self.units.canonical(self.folder_unit) if self.folder_unit else None
        if meta is not None:
            text = clean_text(meta.value)
            self.unit, self.cell, self.settled = self.units.canonical(text), meta.cell, True
            if self.unit is None:
                return [findings.UNKNOWN_SUBMITTER.at(sheet, meta.cell, text=text,
                                                      hint=self.units.did_you_mean(text))]
            if folder and folder != self.units.office_name and self.unit != folder:
                return [findings.SUBMITTER_MISMATCH.at(sheet, meta.cell, text=text, folder=self.folder_unit,
                                                       unit=self.unit, folder_unit=folder)]
            return []
        if self.folder_unit:
            self.unit, self.settled = folder, True
            return [] if folder else [findings.UNKNOWN_SUBMITTER.at(form="folder", folder=self.folder_unit)]
        self.unit = self._in_filename()
        return []

    def check_rows(self, rows: Iterable[Row]) -> list[Finding]:
        """Each row's registered lead unit against the submitter; while nothing else names the
        submitter, the lead units are kept to name it (`settle`)."""
        found = []
        for row in rows:
            if self.units.resolve(row.lead_unit) != row.lead_unit:
                continue  # not registered: reported as unknown-unit already
            if self.unit is None:
                if not self.settled and row.lead_unit not in self.leads:
                    self.leads.append(row.lead_unit)
            elif self.unit != self.units.office_name and row.lead_unit != self.unit:  # the office submits for any
                found.append(findings.LEAD_UNIT_MISMATCH.at(row.sheet, row.cells["lead_unit"], unit=row.lead_unit,
                                                            submitter=self.unit))
        return found

    def settle(self, sheet: str | None) -> list[Finding]:
        """After the last row: a submitter named by nothing but the rows is their one lead unit."""
        if self.unit is not None or self.settled:
            return []
        if len(self.leads) == 1:
            self.unit = self.leads[0]
            return []
        return [findings.UNKNOWN_SUBMITTER.at(sheet, form="undetermined")]

    def _in_filename(self) -> str | None:
        """区财政局_三单.xlsx → 区财政局: a unit name or alias at the start of the file name."""
        stem = squeeze(PurePath(self.filename).stem)
        for label in self.units.labels():
            if stem.startswith(label):
                return self.units.canonical(label)
        return None
