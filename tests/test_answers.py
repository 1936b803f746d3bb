"""Answers reach the unit and a unit can act on them: a receipt lands in the folder of the unit
that sent the file whatever its fate, a rejected file sent again after the office fixed
sancha.toml is processed again, names pasted with invisible characters are the registered ones,
and the CSV export never hands a spreadsheet a formula."""

from __future__ import annotations

import csv
import io

import pytest
from builders import CONFIG_TOML, data_row, submission_rows, xlsx_bytes


def drop(ws, name: str, data: bytes, folder: str | None = None):
    where = ws.inbox / folder if folder else ws.inbox
    where.mkdir(parents=True, exist_ok=True)
    (where / name).write_bytes(data)


def receipts(ws) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in ws.outbox.rglob("回执_*.txt"):
        found.setdefault(p.parent.name, []).append(p.name)
    return found


@pytest.mark.parametrize("unit, data", [
    ("区某某局", None),  # a 填报单位 that is no registered unit
    ("区审计局", None),  # another unit's name
    (None, b"not a workbook at all"),  # unreadable: no 填报单位 to read
])
def test_a_file_from_a_unit_folder_is_answered_in_that_units_folder_whatever_its_fate(workspace, cli, unit, data):
    drop(workspace, "三单.xlsx", data or xlsx_bytes(submission_rows(data_row(1), unit=unit)), folder="区财政局")
    (result,) = cli.json("ingest", "--json")["files"]
    assert not result["accepted"]
    assert receipts(workspace) == {"区财政局": [f"回执_{result_day(workspace)}_三单_1.txt"]}


def result_day(ws) -> str:
    from datetime import date

    return f"{date.today():%Y%m%d}"


@pytest.mark.parametrize("line", [
    "填报单位：区财政局，填报日期：2026年11月5日",
    "填报单位：区财政局；填报日期：2026年11月5日",
    "填报单位：区财政局, 填报日期：2026年11月5日",
    "填报单位：区财政局　　填报日期：2026年11月5日",
])
def test_meta_fields_in_one_cell_are_read_whatever_separates_them(workspace, cli, line):
    rows = submission_rows(data_row(1, deadline="2026-12-31"), unit="", report_date="")
    rows.insert(1, [line])
    drop(workspace, "三单.xlsx", xlsx_bytes(rows))
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["accepted"] and result["unit"] == "区财政局", result["issues"]


def test_a_rejected_file_sent_again_after_the_office_fixed_the_config_is_accepted(workspace, cli):
    data = xlsx_bytes(submission_rows(data_row(1, lead_unit="区文旅局"), unit="区文旅局"))
    drop(workspace, "文旅.xlsx", data)
    (first,) = cli.json("ingest", "--json")["files"]
    assert not first["accepted"] and "unknown-submitter" in {i["code"] for i in first["issues"]}
    workspace.config_path.write_text(CONFIG_TOML + '\n[[units]]\nname = "区文旅局"\n', encoding="utf-8")
    drop(workspace, "文旅.xlsx", data)  # the very same bytes
    (again,) = cli.json("ingest", "--json")["files"]
    assert again["accepted"] and not again["duplicate"] and len(again["added"]) == 1
    drop(workspace, "文旅_再次.xlsx", data)  # once accepted, the same bytes are a duplicate
    (third,) = cli.json("ingest", "--json")["files"]
    assert third["duplicate"] and not third["added"]
    from pipeline.ledger.ledger import Ledger

    with Ledger.open(workspace.db_path) as ledger:
        assert ledger.integrity_problems() == []
        assert [f.verdict for f in ledger.files()] == ["rejected", "accepted", "duplicate"]


def test_the_same_rejected_bytes_twice_are_each_answered(workspace, cli):
    data = xlsx_bytes(submission_rows(data_row(1, deadline="2026.13.01")))
    drop(workspace, "a.xlsx", data)
    drop(workspace, "b.xlsx", data)
    results = cli.json("ingest", "--json")["files"]
    assert [r["accepted"] or r["duplicate"] for r in results] == [False, False]
    assert {i["code"] for r in results for i in r["issues"]} == {"bad-deadline"}


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\u202e", "\ufeff"]


@pytest.mark.parametrize("mark", [*INVISIBLE, "\u00a0", "\u3000"], ids=lambda m: f"U+{ord(m):04X}")
def test_a_unit_name_with_an_invisible_character_or_odd_space_is_the_registered_one(workspace, cli, mark):
    name = f"区财{mark}政局"
    joined = mark if mark in INVISIBLE else ""  # a space between co-units separates them
    rows = submission_rows(data_row(1, lead_unit=name, co_units=f"区住房{joined}城乡建设局"), unit=name)
    drop(workspace, "三单.xlsx", xlsx_bytes(rows), folder=f"区财政{mark}局")
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["accepted"] and result["unit"] == "区财政局", result["issues"]
    (item,) = cli.json("export")
    assert item["unit"] == "区财政局" and item["co_units"] == ["区住房城乡建设局"]


def test_a_status_with_a_zero_width_space_is_read_and_the_text_stays_verbatim(workspace, cli):
    problem = "采购\u200b验收\u202e不及时"
    drop(workspace, "三单.xlsx", xlsx_bytes(submission_rows(data_row(1, problem=problem, status="推进\u200b中"))))
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["accepted"], result["issues"]
    (item,) = cli.json("export")
    assert item["problem"] == problem and item["status"] == "推进中"


def test_the_csv_export_escapes_text_a_spreadsheet_would_take_for_a_formula(workspace, cli, tmp_path):
    texts = {"problem": '=HYPERLINK("http://x","点我")', "measures": "+1 加强", "progress": "-2 待复查",
             "remark": "@SUM(A1)"}
    drop(workspace, "三单.xlsx", xlsx_bytes(submission_rows(data_row(1, **texts))))
    assert cli.json("ingest", "--json")["files"][0]["accepted"]
    out = tmp_path / "台帐.csv"
    assert cli("export", "--format", "csv", "-o", out)[0] == 0
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    assert {key: row[key] for key in texts} == {key: "'" + text for key, text in texts.items()}
    assert row["id"] == "2026-0001" and row["owner"] == "张明"


def test_tab_and_carriage_return_first_are_escaped_too_and_other_text_is_not():
    from pipeline.output.export import to_csv

    recs = [{"a": "\t=1", "b": "\r=1", "c": "普通 = 文字", "d": -3, "e": ["=x", "y"]}]
    (row,) = csv.DictReader(io.StringIO(to_csv(recs).decode("utf-8-sig")))
    assert row == {"a": "'\t=1", "b": "'\r=1", "c": "普通 = 文字", "d": "-3", "e": "'=x、y"}
