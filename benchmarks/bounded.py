"""The bounded readers at the default limits: the worst file that still passes every check, read
in a parse worker as ingest reads it. Reported: wall time and the worker's peak RSS.

    python benchmarks/bounded.py

Files (built in code): an .xlsx of two sheets of A1…E1000000 (the workbook limit, 10 million
cells, each sheet at the sheet limit), an .ods of two such tables, an .xls of three sheets of
65,536 × 50 cells (9.8 million) and a CSV of 5 million cells. Measure once: the machine is shared.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import hostile
from builders import data_row, make_config, submission_rows, xlsx_bytes

from pipeline.intake import isolation
from pipeline.intake.isolation import Reader


def worker_peak_mb() -> int:
    """The idle worker's peak resident memory (Linux: VmHWM)."""
    (worker,) = isolation._idle
    for line in Path(f"/proc/{worker.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def cases() -> dict[str, bytes]:
    sheet = (b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="1000000">'
             b'<c r="E1000000" t="inlineStr"><is><t>y</t></is></c></row></sheetData>')
    two = hostile._with_sheet_data(xlsx_bytes(submission_rows(data_row(1))), sheet)
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(two)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    row = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string" '
           'table:number-columns-repeated="5"><text:p>x</text:p></table:table-cell></table:table-row>')
    return {
        "xlsx 1 sheet × 5,000,000 cells": two,
        "ods 2 tables × 5,000,000 cells":
            hostile.ods_bytes(body=row + '</table:table><table:table table:name="T">' + row),
        "xls 3 sheets × 65,536 × 50": hostile.biff_xls({f"S{k}": [(0, 0, "x"), (65535, 49, "y")] for k in range(3)}),
        "csv 1,000,000 × 5": b"a,b,c,d,e\n" * 1_000_000,
    }


def main() -> None:
    config = make_config()
    reader = Reader(config)
    for name, data in cases().items():
        isolation._close_all()  # a fresh worker for each file: its peak is this file's
        reader.parse(xlsx_bytes(submission_rows(data_row(1))), "warm.xlsx", None, date(2026, 11, 20))
        suffix = "." + name.split()[0]
        started = time.perf_counter()
        result = reader.parse(data, f"worst{suffix}", None, date(2026, 11, 20))
        seconds = time.perf_counter() - started
        peak = worker_peak_mb()
        codes = [f.code for f in getattr(result, "findings", ())]
        print(f"{name:36s} {len(data) / 1024:8.0f} KB  {seconds:6.2f} s  worker peak RSS {peak} MB  {codes}")


if __name__ == "__main__":
    main()
