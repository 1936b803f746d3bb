"""A huge sheet is streamed (read a slice of rows at a time, checked, merged and stored a chunk at
a time) with exactly the outcome of reading it whole.

Here every xlsx counts as huge (`read.STREAM_MIN_BYTES` = 0), slices are a few rows and chunks
two rows, so that every file crosses many slice and chunk boundaries; the same files are then
read whole, and readings, ledgers and receipts are compared.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from datetime import date
from pathlib import Path

import hostile
import pytest
from builders import (
    CONFIG_TOML,
    HEADER,
    data_row,
    excel_like,
    make_config,
    make_item,
    sample_bytes,
    submission_rows,
    xlsx_bytes,
    xlsx_package,
)
from python_calamine import CalamineWorkbook

from pipeline.intake import parse, read, xlsx_stream
from pipeline.intake.cells import EmptyCell, cell_name, empty_cell_causes
from pipeline.intake.parse import parse_submission
from pipeline.intake.read import read_workbook
from pipeline.intake.xlsx_stream import NotStreamable, SlicedWorkbook
from pipeline.ledger import ahead
from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.ledger import Ledger
from pipeline.output import receipts
from pipeline.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not an installed package
from benchmarks import generate

CONFIG = make_config()
RECEIVED = date(2026, 11, 28)
DAY = date(2026, 11, 20)


def streamed(monkeypatch) -> list:
    """Every xlsx read as a huge one: sliced every row or two, checked and stored two rows at a
    time. Returns the list that counts the slices read."""
    monkeypatch.setattr(read, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(xlsx_stream, "SLICE_BYTES", 700)
    monkeypatch.setattr(parse, "CHUNK_ROWS", 2)
    slices: list[int] = []
    read_slice = SlicedWorkbook._read_slice

    def counted(book, *a):
        slices.append(1)
        return read_slice(book, *a)

    monkeypatch.setattr(SlicedWorkbook, "_read_slice", counted)
    return slices


def many(n: int, **fields) -> list[list]:
    return [data_row(k, problem=f"问题{k}：政府采购项目验收不及时", **fields) for k in range(1, n + 1)]


def _footer_dated(rows: list[list]) -> list[list]:
    """No 填报日期 above the table; it stands in the footer (立行立改 counts from it)."""
    return [*submission_rows(*rows, report_date=""), ["填报日期：2026年11月18日"]]


def corpus() -> dict[str, bytes]:
    """Submissions of every kind that matters for reading: the samples, the hostile corpus's
    workbooks, longer tables crossing many slices and chunks, Excel-like copies of them (shared
    strings, Chinese built-in date formats) and files from the benchmark generator."""
    files = {name: sample_bytes(name) for name in
             ("区财政局_三单_2026年第四季度督查.xlsx", "区住建局_整改进展.xlsx", "菱湖街道_三单清单.xlsx")}
    for case in (hostile.formula_without_value, hostile.error_cells, hostile.merged_lead_unit,
                 hostile.hidden_rows_and_columns, hostile.tricky_text, hostile.header_without_rows,
                 hostile.submitter_path_traversal, hostile.et_workbook):
        c = case()
        files[c.filename] = c.data
    long = many(12)
    long[4] = data_row(5, problem="合并：资金拨付滞后", deadline="立行立改")
    long[5] = data_row(6, problem="合并：台账不完整", lead_unit="", deadline="")
    long[6] = data_row(7, problem="合并：会议纪要未归档", lead_unit="", deadline="")
    files["区财政局_长表.xlsx"] = xlsx_bytes(_footer_dated(long), merged=("G8:G10", "F8:F10", "A1:M1"))
    late = many(11)
    late.append(data_row(12, problem="问题3：政府采购项目验收不及时", deadline="2026.13.01"))  # a duplicate and a bad date, last
    files["区财政局_末行有错.xlsx"] = xlsx_bytes(submission_rows(*late))
    files["区财政局_日期.xlsx"] = xlsx_bytes(submission_rows(*(
        data_row(k, problem=f"日期{k}", deadline=date(2026, 12, k), done_on=date(2026, 11, k) if k % 2 else "",
                 status="已完成" if k % 2 else "推进中") for k in range(1, 8))))
    files["区财政局_编号为序号.xlsx"] = xlsx_bytes(submission_rows(
        *(data_row(k, item_id=str(k), problem=f"序号{k}") for k in range(1, 6)), header=["", *HEADER[1:]]))
    files["无单位_三单.xlsx"] = xlsx_bytes(submission_rows(*many(5), unit=""))  # the lead units name the submitter
    for name in list(files):
        files["excel_" + name] = excel_like(files[name])
    files["区财政局_手写.xlsx"] = constructs()
    return files


def constructs() -> bytes:
    """A hand-written 三单 sheet with what calamine interprets: rich text and phonetic runs in
    shared strings, inline strings, Chinese built-in (31, 57) and custom date formats, a
    1904-free serial date, numbers, booleans, a formula with its cached text, an error cell and
    a formula without its value in an optional column, a merged title and a dated footer."""
    styles = ('<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
              '</numFmts><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="31"/>'
              '<xf numFmtId="57"/><xf numFmtId="164"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
              '</cellStyles>')
    texts = ["重大决策部署落实“三查三单”整改台账", "填报单位：区财政局", *HEADER, "督查", "建立台账", "区财政局", "推进中"]
    shared = [f"<t>{t}</t>" for t in texts] + [
        '<r><t>富文本</t></r><r><rPr><b/></rPr><t>问题</t></r><rPh sb="0" eb="1"><t>フ</t></rPh>',
        '<t xml:space="preserve"> 张明 </t>']
    s = {text: n for n, text in enumerate(texts)}
    head = "".join(f'<c r="{cell_name(2, c)}" t="s"><v>{s[h]}</v></c>' for c, h in enumerate(HEADER))
    rows = [f'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
            f'<row r="3">{head}</row>']
    deadlines = [' s="1"><v>46387</v>', ' s="2"><v>46380</v>', ' s="3"><v>46300</v>', '><v>46387</v>',
                 ' t="inlineStr"><is><t>2026年12月底</t></is>', ' t="str"><f>"年底前"</f><v>年底前</v>']
    for k, deadline in enumerate(deadlines, 1):
        r = k + 3
        problem = f'<c r="D{r}" t="s"><v>{len(texts)}</v></c>' if k == 1 else \
            f'<c r="D{r}" t="inlineStr"><is><t>内联问题{k}</t></is></c>'
        remark = {2: '<c r="M{r}" t="b"><v>1</v></c>', 3: '<c r="M{r}" t="e"><v>#N/A</v></c>',
                  4: '<c r="M{r}"><f>A1</f></c>', 5: '<c r="M{r}"><v>3.5</v></c>'}.get(k, "").format(r=r)
        rows.append(f'<row r="{r}"><c r="A{r}"><f>ROW()-3</f><v>{k}</v></c><c r="C{r}" t="s"><v>{s["督查"]}</v></c>'
                    f'{problem}<c r="E{r}" t="s"><v>{s["建立台账"]}</v></c><c r="F{r}"{deadline}</c>'
                    f'<c r="G{r}" t="s"><v>{s["区财政局"]}</v></c><c r="I{r}" t="s"><v>{len(texts) + 1}</v></c>'
                    f'<c r="K{r}" t="s"><v>{s["推进中"]}</v></c>{remark}</row>')
    rows.append('<row r="12"><c r="A12" t="inlineStr"><is><t>填表人：张明</t></is></c>'
                '<c r="D12" t="inlineStr"><is><t>填报日期：2026年11月19日</t></is></c></row>')
    return xlsx_package("".join(rows), styles=styles, shared=shared, merged=("A1:M1",))


def test_the_sliced_reader_gives_calamines_values_and_the_causes_of_empty_cells(monkeypatch):
    slices = streamed(monkeypatch)
    files = corpus()
    for name, data in files.items():
        whole = CalamineWorkbook.from_filelike(io.BytesIO(data))
        book = SlicedWorkbook(data)
        for sheet in whole.sheet_names:
            expected = whole.get_sheet_by_name(sheet)
            rows = list(book.rows(sheet))
            assert _trimmed(rows) == _trimmed(expected.to_python(skip_empty_area=False)), (name, sheet)
            assert [[type(v) for v in r] for r in _trimmed(rows)] == \
                [[type(v) for v in r] for r in _trimmed(expected.to_python(skip_empty_area=False))], (name, sheet)
            assert book.merged(sheet) == tuple((a, b, c, d) for (a, b), (c, d) in expected.merged_cell_ranges or ())
            empty = {cell_name(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v == ""}
            marked = {cell_name(r, c): v.cause for r, row in enumerate(rows) for c, v in enumerate(row)
                      if isinstance(v, EmptyCell)}
            assert marked == empty_cell_causes(data, sheet, empty), (name, sheet)
    assert len(slices) > 5 * len(files)  # a slice every row or two


def _trimmed(rows: list[list]) -> list[list]:
    """Rows without trailing blanks ('' or EmptyCell, as str) and trailing empty rows."""
    out = [[str(v) if isinstance(v, EmptyCell) else v for v in row] for row in rows]
    for row in out:
        while row and row[-1] == "":
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def test_a_streamed_file_reads_and_checks_as_a_whole_one(monkeypatch):
    files = corpus()
    whole = {name: parse_submission(data, name, CONFIG, received=RECEIVED) for name, data in files.items()}
    slices = streamed(monkeypatch)
    for name, data in files.items():
        sheets, _ = read_workbook(data, name, CONFIG.limits)
        assert all(s.streamed for s in sheets), name
        assert parse_submission(data, name, CONFIG, received=RECEIVED) == whole[name], name
    assert len(slices) > 10 * len(files)
    assert [f.code for f in whole["区财政局_末行有错.xlsx"].findings] == ["duplicate-problem", "bad-deadline"]
    assert whole["区财政局_手写.xlsx"].report_date == date(2026, 11, 19)
    assert [f.code for f in whole["区财政局_手写.xlsx"].findings] == ["error-cell", "formula-no-value"]


def test_too_many_findings_are_capped_the_same_way(monkeypatch):
    config = make_config(max_findings=5)
    data = xlsx_bytes(submission_rows(*(data_row(k, problem=f"问题{k}", lead_unit="区公安分局") for k in range(1, 15))))
    whole = parse_submission(data, "x.xlsx", config, received=RECEIVED)
    streamed(monkeypatch)
    assert parse_submission(data, "x.xlsx", config, received=RECEIVED) == whole
    assert [f.code for f in whole.findings][-1] == "too-many-findings"


def test_a_workbook_the_slices_cannot_read_exactly_is_read_whole(monkeypatch):
    data = xlsx_bytes(submission_rows(*many(6)))
    whole = parse_submission(data, "x.xlsx", CONFIG, received=RECEIVED)
    without_r = hostile._patch(data, "xl/worksheets/sheet1.xml", lambda b: b.replace(b'<row r="6">', b"<row>"))
    streamed(monkeypatch)
    with pytest.raises(NotStreamable):
        list(SlicedWorkbook(without_r).rows("Sheet1"))
    assert parse_submission(without_r, "x.xlsx", CONFIG, received=RECEIVED) == whole


def ledger_dump(ws: Workspace) -> dict:
    """Items, their events and the files journal without clock times, and every receipt's text."""
    clock = {"updated_at", "processed_at", "at"}
    conn = sqlite3.connect(ws.db_path)
    out: dict[str, object] = {}
    for table in ("items", "events", "files"):
        cur = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
        names = [d[0] for d in cur.description]
        out[table] = [{k: v for k, v in zip(names, row, strict=False) if k not in clock} for row in cur]
    conn.close()
    out["receipts"] = {p.relative_to(ws.outbox).as_posix(): p.read_bytes()
                       for p in sorted(ws.outbox.rglob("回执_*.txt"))}
    return out


def ingest_all(root: Path, config: str, batches: list[dict[str, bytes]], day: date, monkeypatch,
               streaming: bool) -> dict:
    """A new workspace at `root`; each batch of files ingested in turn; the ledger's dump."""
    ws = Workspace(root)
    root.mkdir()
    ws.config_path.write_text(config, encoding="utf-8")
    ws.ensure()
    with monkeypatch.context() as m:
        if streaming:
            streamed(m)
        for n, batch in enumerate(batches):
            paths = []
            for name, data in batch.items():
                path = ws.inbox / f"{n}_{name}"
                path.write_bytes(data)
                paths.append(path)
            ingest_paths(ws, paths, day, workers=0, isolated=False)  # read here, where the patches apply
    return ledger_dump(ws)


def test_a_streamed_file_enters_the_ledger_as_a_whole_one(tmp_path, monkeypatch):
    """New items, updates (by 编号 and by problem text, one item changed twice in one file),
    rejections by an error in the last chunk, and their receipts: the same ledger, row for row."""
    files = corpus()
    first = {"区财政局_长表.xlsx": files.pop("区财政局_长表.xlsx")}  # 2026-0001 … 2026-0012: 问题4 is 2026-0004
    update = many(12, progress="已完成验收", status="已完成", done_on=date(2026, 11, 15))
    # reworded with its 编号 (a text clearly another problem's would be an id-mismatch error)
    update[3] = data_row(4, item_id="2026-0004", problem="问题4：政府采购项目验收不及时的问题", progress="第二次")
    update.append(data_row(13, problem="问题4：政府采购项目验收不及时", progress="第三次"))  # 2026-0004 again, by its old text
    update.append(data_row(14, item_id="2026-9999", problem="新问题"))  # unknown 编号: rejected, late
    third = {"区财政局_更新.xlsx": xlsx_bytes(submission_rows(*update[:13])),
             "区财政局_更新有错.xlsx": xlsx_bytes(submission_rows(*update)),
             "区财政局_再次更新.xlsx": excel_like(xlsx_bytes(submission_rows(*many(12, progress="再次更新"))))}
    batches = [first, files, third]
    whole = ingest_all(tmp_path / "whole", CONFIG_TOML, batches, DAY, monkeypatch, streaming=False)
    assert ingest_all(tmp_path / "streamed", CONFIG_TOML, batches, DAY, monkeypatch, streaming=True) == whole
    rejected = {f["id"] for f in whole["files"] if f["verdict"] == "rejected"}
    assert not [e for e in whole["events"] if e["file_id"] in rejected]  # nothing of a rejected file, however late its error
    assert len(whole["items"]) == sum(len(json.loads(f["added"])) for f in whole["files"])
    verdicts = {f["name"]: f["verdict"] for f in whole["files"]}
    assert verdicts["2_区财政局_更新.xlsx"] == "accepted" and verdicts["2_区财政局_更新有错.xlsx"] == "rejected"
    assert [json.loads(e["new"]) for e in whole["events"] if e["item_id"] == "2026-0004" and e["field"] == "problem"] \
        == ["问题4：政府采购项目验收不及时的问题", "问题4：政府采购项目验收不及时"]


def test_generated_files_enter_the_ledger_the_same_way(tmp_path, monkeypatch):
    """The benchmark generator's layouts: grouped headers with merges, aliases, shuffled columns."""
    source = tmp_path / "gen"
    generate.generate(source, units=3, files=6, rows=9, seed=5)
    files = {p.name: p.read_bytes() for p in sorted((source / "inbox").rglob("*.xlsx"))}
    config = (source / "sancha.toml").read_text(encoding="utf-8")
    runs = [ingest_all(tmp_path / f"run{streaming}", config, [files], generate.DEFAULT_AS_OF, monkeypatch, streaming)
            for streaming in (False, True)]
    assert runs[1] == runs[0]
    assert {f["verdict"] for f in runs[0]["files"]} == {"accepted"}


def test_a_parse_worker_leaves_a_huge_file_to_the_ingesting_process(tmp_path, monkeypatch):
    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes(submission_rows(*many(3))))
    monkeypatch.setattr(ahead, "_worker", ahead._Worker(CONFIG, None))  # as a worker's initializer sets it
    assert ahead._parse_ahead(path, None, DAY) is not None
    monkeypatch.setattr(read, "STREAM_MIN_BYTES", 0)
    assert ahead._parse_ahead(path, None, DAY) is None


def test_a_long_receipt_is_written_in_pieces_with_its_items_read_back_in_batches(workspace):
    """A receipt of thousands of items (a huge accepted file) reads them back from the ledger a
    batch at a time and is written a piece at a time: the same bytes as the receipt text."""
    items = [make_item(f"2026-{n:04d}", "区财政局", date(2026, 12, 31) if n % 3 else None, None, source=None,
                       problem=f"问题{n}：" + "长" * (n % 50), deadline_text="年底前", created_on=DAY,
                       updated_at="2026-11-20T09:00:00") for n in range(1, 2601)]
    with Ledger.open(workspace.db_path) as ledger:
        with ledger.transaction():
            ledger.insert_items((i, f"k{i.id}") for i in items)
            record = ledger.record_file(sha256="0" * 64, name="大.xlsx", source_path="inbox/大.xlsx", unit="区财政局",
                                        received_on=DAY, verdict="accepted", duplicate_of=None, archive_path=None,
                                        added=[i.id for i in items[:2000]], updated=[i.id for i in items[2000:]],
                                        findings=[])
        path = receipts.write_receipt(workspace, ledger, record)
    expected = receipts.receipt_text(CONFIG.office_name, record, {i.id: i for i in items})
    assert path.read_bytes() == ("\ufeff" + expected).encode("utf-8")
    assert expected.count("\r\n  2026-") == 2600
