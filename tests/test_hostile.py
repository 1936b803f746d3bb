"""Hostile and broken submissions (tests/hostile.py): each gets exactly one clear verdict through
`sancha ingest --json`, the batch goes on, text stays verbatim everywhere, nothing escapes.

The batch runs as a real subprocess with a memory cap and a timeout, so a reader that aborts
the process or runs away shows up as a failure instead of taking pytest down.
"""

from __future__ import annotations

import io
import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import hostile
import openpyxl
import pytest
from builders import data_row, make_config, submission_rows, xlsx_bytes
from docx import Document
from python_calamine import CalamineWorkbook

from pipeline.ledger.ledger import Ledger
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
MEMORY_CAP = 3 << 29  # 1.5 GB of address space for `sancha ingest` and its workers: every case must fit


def drop(ws: Workspace, case: hostile.Case) -> Path:
    folder = ws.inbox / case.folder if case.folder else ws.inbox
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.filename
    path.write_bytes(case.data)
    return path


def sancha(ws: Workspace, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m pipeline.cli -C ws …` in a subprocess, its address space capped."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=cap)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def errors(result: dict) -> list[dict]:
    return [i for i in result["issues"] if i["severity"] == "error"]


def test_every_case_gets_one_verdict_in_one_batch(workspace, tmp_path):
    cases = [build() for build in hostile.CASES]
    valid = xlsx_bytes(submission_rows(data_row(1, problem="正常文件：政府采购验收不及时")))
    paths = {drop(workspace, case): case for case in cases}
    (workspace.inbox / "区财政局_正常.xlsx").write_bytes(valid)
    for name, size in (("区财政局_300MB.xlsx", 300 << 20), ("区财政局_3GB.xlsx", 3 << 30)):
        with open(workspace.inbox / name, "wb") as fh:  # sparse: no disk used, never read by sancha
            fh.truncate(size)
    huge = 2
    before = files_under(tmp_path)

    done = sancha(workspace, "ingest", "--json", "--as-of", "2026-11-20")

    assert done.returncode == 1, done.stderr  # some files rejected, none crashed the batch
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr
    results = json.loads(done.stdout)["files"]
    by_path = {r["path"]: r for r in results}
    assert len(results) == len(cases) + 1 + huge == len(by_path)
    assert by_path["inbox/区财政局_正常.xlsx"]["accepted"]
    for name in ("区财政局_300MB.xlsx", "区财政局_3GB.xlsx"):
        assert {i["code"] for i in errors(by_path[f"inbox/{name}"])} == {"file-too-large"}
    for path, case in paths.items():
        result = by_path[path.relative_to(workspace.root).as_posix()]
        found = errors(result)
        if case.warning:
            assert case.warning in {i["code"] for i in result["issues"]}, case.name
        if case.code is None:
            assert result["accepted"] and not found, (case.name, found)
            continue
        assert not result["accepted"] and not result["duplicate"], case.name
        assert {i["code"] for i in found} == {case.code}, (case.name, found)
        assert all(CJK.search(i["message"]) and i["hint"] for i in found), case.name
        if case.cells:
            assert sorted(i["cell"] for i in found) == sorted(case.cells), case.name

    with Ledger.open(workspace.db_path) as ledger:
        journal = ledger.files()
        assert ledger.integrity_problems() == []
    assert len(journal) == len(results) and {f.state for f in journal} == {"done"}
    assert len({f.sha256 for f in journal}) == len(journal)
    assert sum(p.stat().st_size for p in workspace.archive.rglob("*") if p.is_file()) < 100 << 20  # none archived
    assert not files_under(workspace.inbox)
    receipts = list(workspace.outbox.rglob("回执_*.txt"))
    assert len(receipts) == len(results)
    # Everything written lies under outbox/ or data/, in folders named after registered units.
    written = files_under(tmp_path) - before
    allowed = {workspace.outbox, workspace.data}
    assert all(any(d in p.parents for d in allowed) for p in written), sorted(written)
    assert {p.parent.name for p in receipts} <= {*make_config().unit_names, "未识别单位"}
    unknown = [p.read_text(encoding="utf-8-sig") for p in (workspace.outbox / "未识别单位").glob("回执_*.txt")]
    assert len(unknown) == 2 and all("unknown-submitter" not in t and "不是已登记的单位" in t for t in unknown)
    # A file that cannot be read is answered in its unit's folder, named by the file name.
    assert len(list((workspace.outbox / "区财政局").glob("回执_*_区财政局_加密_*.txt"))) == 1


@pytest.mark.parametrize("build", hostile.CASES, ids=lambda b: b.__name__)
def test_each_case_alone_beside_a_good_file_gets_one_verdict(workspace, build):
    case = build()
    drop(workspace, case)
    (workspace.inbox / "区财政局_正常.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1, problem="正常"))))
    done = sancha(workspace, "ingest", "--json", "--as-of", "2026-11-20")
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr, done.stderr
    results = {Path(r["path"]).name: r for r in json.loads(done.stdout)["files"]}
    assert len(results) == 2 and results["区财政局_正常.xlsx"]["accepted"]
    found = {i["code"] for i in errors(results[case.filename])}
    assert found == ({case.code} if case.code else set()), (case.name, found)
    assert not files_under(workspace.inbox)


def test_formula_and_error_cells_are_named_and_the_hint_asks_for_a_resave(workspace, cli):
    for case in (hostile.formula_without_value(), hostile.error_cells()):
        drop(workspace, case)
    results = {Path(r["path"]).name: r for r in cli.json("ingest", "--json")["files"]}
    formula = errors(results["区财政局_公式.xlsx"])
    assert [(i["code"], i["cell"]) for i in formula] == [("formula-no-value", "D4"), ("formula-no-value", "F5")]
    assert "另存" not in formula[0]["hint"] and "保存" in formula[0]["hint"] and "WPS" in formula[0]["hint"]
    error = {i["cell"]: i["message"] for i in errors(results["区财政局_错误值.xlsx"])}
    assert "#REF!" in error["F4"] and "#N/A" in error["G5"] and "#VALUE!" in error["D6"]


def test_formula_and_error_cells_in_optional_columns_are_named_too(workspace, cli):
    # HEADER columns: L 完成日期, M 备注, J 整改进展 — none of them required, none may read as blank.
    data = hostile._formula_book({"M4": '=CONCATENATE("备","注")'}, {"L5": "#VALUE!", "J6": "#DIV/0!"})
    drop(workspace, hostile.Case("optional", "区财政局_可选列.xlsx", data, "error-cell"))
    (result,) = cli.json("ingest", "--json")["files"]
    assert not result["accepted"]
    assert sorted((i["code"], i["cell"]) for i in errors(result)) == [
        ("error-cell", "J6"), ("error-cell", "L5"), ("formula-no-value", "M4")]


def test_an_empty_formula_result_or_a_blank_cell_stays_empty_required(workspace, cli):
    data = hostile._formula_book({}, {})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.active["D4"] = None
    out = io.BytesIO()
    wb.save(out)
    drop(workspace, hostile.Case("blank", "区财政局_空格.xlsx", out.getvalue(), "empty-required"))
    (result,) = cli.json("ingest", "--json")["files"]
    assert [(i["code"], i["cell"]) for i in errors(result)] == [("empty-required", "D4")]


def test_a_lead_unit_merged_over_three_rows_belongs_to_each(workspace, cli):
    drop(workspace, hostile.merged_lead_unit())
    (result,) = cli.json("ingest", "--json", "--as-of", "2026-11-20")["files"]
    assert result["accepted"] and len(result["added"]) == 3
    items = cli.json("export", "--format", "json", "--as-of", "2026-11-20")
    assert {(i["unit"], i["deadline"]) for i in items} == {("区财政局", "2026-12-31")}


def test_hidden_rows_and_columns_are_read_like_the_others(workspace, cli):
    drop(workspace, hostile.hidden_rows_and_columns())
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["accepted"] and len(result["added"]) == 3
    assert {i["problem"] for i in cli.json("export")} == {f"隐藏{k}：问题" for k in (1, 2, 3)}


def calamine_cells(path: Path) -> list:
    book = CalamineWorkbook.from_path(str(path))
    return [v for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row]


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_tricky_text_is_verbatim_in_ledger_exports_and_every_document(workspace, cli, tmp_path):
    case = hostile.tricky_text()
    data = xlsx_bytes(submission_rows(
        data_row(1, problem=hostile.xlsx_safe(hostile.TRICKY_PROBLEM), measures=hostile.TRICKY_MEASURES,
                 progress=hostile.TRICKY_PROGRESS, remark=hostile.xlsx_safe(hostile.TRICKY_REMARK),
                 deadline="2026-10-09", source="审计")))
    drop(workspace, hostile.Case(case.name, case.filename, data, None))
    assert cli("templates")[0] == 0
    (result,) = cli.json("ingest", "--json", "--as-of", "2026-10-01")["files"]
    assert result["accepted"], result["issues"]
    (item,) = cli.json("export", "--as-of", "2026-11-30")
    expected = {"problem": hostile.TRICKY_PROBLEM, "measures": hostile.TRICKY_MEASURES,
                "progress": hostile.TRICKY_PROGRESS, "remark": hostile.TRICKY_REMARK}
    assert {k: item[k] for k in expected} == expected

    # Every xlsx we write: the text comes back whole, and every such cell is a text cell.
    exported = tmp_path / "台帐.xlsx"
    assert cli("export", "--format", "xlsx", "-o", exported, "--as-of", "2026-11-30")[0] == 0
    assert cli("weekly", "--as-of", "2026-11-30")[0] == 0
    workbooks = [exported, *workspace.outbox.glob("*/*三单工作台帐.xlsx"), *workspace.outbox.glob("*/*反馈表.xlsx")]
    assert len(workbooks) >= 3
    for book in workbooks:
        values = calamine_cells(book)
        if book.name.endswith("反馈表.xlsx") and "区财政局" not in str(book):
            continue
        for text in (hostile.TRICKY_PROBLEM, hostile.TRICKY_MEASURES, hostile.TRICKY_PROGRESS):
            assert text in values, (book.name, text[:10])
        cells = [c for ws in openpyxl.load_workbook(book).worksheets for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
        assert cells and all(c.data_type == "s" for c in cells), book.name

    # Every Word file: verbatim but for the characters XML 1.0 cannot hold.
    assert cli("report", "--source", "审计", "--as-of", "2026-11-30")[0] == 0
    documents = [*workspace.outbox.glob("*/*督查通报*.docx"), *workspace.outbox.glob("*/*督办通知单.docx"),
                 *workspace.outbox.glob("专题报告_*.docx")]
    assert len(documents) == 3
    texts = {doc.name: docx_text(doc) for doc in documents}
    for name, text in texts.items():
        assert hostile.XML_ILLEGAL.sub("", hostile.TRICKY_PROBLEM) in text, name


@pytest.mark.parametrize("name", ["../../x", "/etc/cron.d", 'a\\b:c*?"<>|', "..", "."])
def test_unit_folders_stay_inside_the_outbox(tmp_path, name):
    ws = Workspace(tmp_path)
    folder = ws.unit_outbox(name).resolve()
    assert folder.parent == ws.outbox.resolve() and folder.name not in ("", ".", "..")


def test_neither_reader_expands_entities():
    """The DTD check in read.py comes first; behind it, calamine and openpyxl refuse on their own."""
    case = hostile.xml_bomb_in_sheet()
    with pytest.raises(Exception, match="entity"):
        CalamineWorkbook.from_filelike(io.BytesIO(case.data)).get_sheet_by_index(0).to_python()
    assert openpyxl.xml.DEFUSEDXML
    with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl's version makes of it, it refuses
        openpyxl.load_workbook(io.BytesIO(case.data))
