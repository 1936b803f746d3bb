"""Fixtures built in code: submissions (workbooks and CSV files as bytes), the test
configuration (`sancha_toml`, `make_config`) and ledger items (`make_item`).

    xlsx_bytes(rows, sheet="Sheet1", merged=("A2:B2",), extra_sheets={"填表说明": [["…"]]})
    csv_bytes(rows, "gbk")
    submission_rows(data_row(problem="…"), data_row(seq=2, deadline="年底前"))

Cell values are written as given: every str stays text (never a formula), a `date` becomes a
date cell, an int such as 46387 a number in a General cell (an Excel serial date).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import openpyxl
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.config import Config, parse_config
from pipeline.model import STATUS_IN_PROGRESS, Item
from pipeline.workspace import Workspace

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"

# The canonical fill-in header (DOMAIN.md), in the template's order.
HEADER = ["序号", "编号", "问题来源", "整改问题", "整改措施", "整改时限", "牵头责任单位", "配合责任单位", "责任人", "整改进展", "完成情况", "完成日期", "备注"]
FIELDS = ["seq", "item_id", "source", "problem", "measures", "deadline", "lead_unit", "co_units", "owner", "progress", "status", "done_on", "remark"]

# The test workspace's units, as (name, aliases), in sancha.toml's order.
UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("区财政局", ("财政局", "区财政")),
    ("区住房城乡建设局", ("区住建局", "住建局")),
    ("菱湖街道", ("菱湖街道办事处",)),
    ("区审计局", ("审计局",)),
    ("区发展改革委", ("区发改委",)),
    ("区生态环境分局", ()),
    ("区民政局", ()),
    ("区城管局", ()),
    ("区政府办公室", ()),
    ("海口镇", ()),
)


def sancha_toml(units=UNITS, *, holidays=("2027-01-01",)) -> str:
    """The one test configuration: 大观区's office and `units`; [calendar] holidays as given
    (none: no [calendar] at all). Tests add sections by appending to it."""
    lines = [
        "[office]",
        'name = "大观区人民政府办公室"',
        'doc_prefix = "观政办"',
        'cc = ["区纪委监委", "区委办"]',
        'aliases = ["区委区政府督查室", "督查室"]',
        'contact = "区委区政府督查室，联系电话：0556-5502678"',
        "",
        "[groups]",
        'phrases = ["各乡镇街道", "各预算单位", "区直各部门"]',
    ]
    for name, aliases in units:
        lines += ["", "[[units]]", f'name = "{name}"']
        if aliases:
            lines.append("aliases = [" + ", ".join(f'"{a}"' for a in aliases) + "]")
    if holidays:
        lines += ["", "[calendar]", "holidays = [" + ", ".join(f'"{d}"' for d in holidays) + "]"]
    return "\n".join(lines) + "\n"


CONFIG_TOML = sancha_toml()


def make_config(**limits) -> Config:
    """The test configuration; keyword arguments override [limits] (max_findings=5, …)."""
    extra = "".join(f"{k} = {v!r}\n" for k, v in limits.items())
    return parse_config(CONFIG_TOML + (f"\n[limits]\n{extra}" if extra else ""))


def make_workspace(root: Path, toml: str = CONFIG_TOML) -> Workspace:
    """A workspace at `root` (created) with `toml` as its sancha.toml and its folders made."""
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace(root)
    ws.config_path.write_text(toml, encoding="utf-8")
    ws.ensure()
    return ws


def make_item(item_id="2026-0001", unit="区财政局", deadline: date | None = date(2026, 11, 30),
              status: str | None = STATUS_IN_PROGRESS, **fields) -> Item:
    """One ledger item, every field settable by keyword; `deadline_text` and `ongoing` follow
    the deadline unless given (no deadline: 长期坚持)."""
    values: dict = dict(
        id=item_id, unit=unit, co_units=(), source="巡查", problem="问题", measures="措施",
        deadline=deadline, deadline_text=deadline.isoformat() if deadline else "长期坚持", ongoing=deadline is None,
        owner=None, progress=None, status=status, done_on=None, remark=None,
        created_on=date(2026, 9, 1), updated_at="2026-09-01T09:00:00",
    )
    values.update(fields)
    return Item(**values)


def data_row(seq=1, **fields) -> list:
    """One row in HEADER order; unspecified fields get a valid 区财政局 item."""
    values = {
        "seq": seq,
        "item_id": "",
        "source": "督查",
        "problem": f"问题{seq}：政府采购项目验收不及时",
        "measures": "建立验收台账，逐项督促验收",
        "deadline": "2026-12-31",
        "lead_unit": "区财政局",
        "co_units": "",
        "owner": "张明",
        "progress": "",
        "status": "推进中",
        "done_on": "",
        "remark": "",
    }
    unknown = set(fields) - set(values)
    if unknown:
        raise KeyError(f"unknown fields {unknown}")
    values.update(fields)
    return [values[f] for f in FIELDS]


def submission_rows(*rows, unit="区财政局", report_date="2026年11月20日", title=True, header=HEADER) -> list[list]:
    """A typical submission: title row, meta line, header, the data rows, a blank row, a footer."""
    out: list[list] = []
    if title:
        out.append(["重大决策部署落实“三查三单”整改台账"])
    meta = [f"填报单位：{unit}" if unit else "", "", "", "", f"填报日期：{report_date}" if report_date else ""]
    if any(meta):
        out.append(meta)
    out.append(list(header))
    out.extend(rows or [data_row()])
    out.append([])
    out.append(["填表人：张明", "", "", "审核人：刘伟", "", "", "联系电话：0556-5500000"])
    return out


def xlsx_bytes(
    rows: list[list],
    *,
    sheet: str = "Sheet1",
    merged=(),
    extra_sheets: dict[str, list[list]] | None = None,
    hidden_columns=(),
    hidden_sheets=(),
) -> bytes:
    """An .xlsx whose data sheet holds `rows` from A1. `merged` are ranges like "A2:B2";
    `extra_sheets` come before the data sheet, as a 填表说明 sheet does in real templates."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, extra in (extra_sheets or {}).items():
        _fill(wb.create_sheet(name), extra)
    ws = wb.create_sheet(sheet)
    _fill(ws, rows)
    for ref in merged:
        ws.merge_cells(ref)
    for letter in hidden_columns:
        ws.column_dimensions[letter].hidden = True
    for name in hidden_sheets:
        wb[name].sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill(ws, rows: list[list]) -> None:
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is None or value == "":
                continue
            cell = ws.cell(r, c)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # text stays text, even "=HYPERLINK(…)"
            else:
                cell.value = value
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """CSV text; encoding "utf-8-sig" gives a BOM, "gbk" what WPS writes on Chinese Windows."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def encrypted_xlsx_bytes(rows: list[list], password: str = "123456") -> bytes:
    """The same workbook with an opening password (an OLE file with EncryptionInfo)."""
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes(rows))).encrypt(password, out)
    return out.getvalue()


def xls_bytes() -> bytes:
    """A small legacy .xls (海口镇, the seed's two-row grouped header, a date cell, 2027年3月底)."""
    return (DATA / "grouped_header.xls").read_bytes()


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# -- workbooks as Excel and WPS write them, and hand-made ones ---------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_INLINE_CELL = re.compile(rb'(<c\b[^>]*?)\st="inlineStr"([^>]*)><is>(.*?)</is></c>', re.S)


def excel_like(data: bytes, date_format: int = 31) -> bytes:
    """The workbook as Excel and WPS store it: every text in the shared-string table (openpyxl
    writes inline strings) and date cells in a built-in Chinese date format (31 is
    yyyy"年"m"月"d"日"; 27–36 and 50–58 are such ids, which openpyxl cannot write)."""
    strings: dict[bytes, int] = {}

    def shared(m: re.Match) -> bytes:
        index = strings.setdefault(m[3], len(strings))
        return m[1] + b' t="s"' + m[2] + b"><v>%d</v></c>" % index

    parts = _members(data)
    for name in [n for n in parts if n.startswith("xl/worksheets/")]:
        parts[name] = _INLINE_CELL.sub(shared, parts[name])
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'.encode()
        + b"".join(b"<si>" + s + b"</si>" for s in strings) + b"</sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["xl/styles.xml"] = re.sub(rb'(<xf\b[^>]*numFmtId=")1[46][0-9]"', rb'\g<1>%d"' % date_format,
                                    parts["xl/styles.xml"])
    return _package(parts)


def xlsx_package(sheet_data: str, *, styles: str = "", shared: Sequence[str] = (), merged: tuple[str, ...] = (),
                 date1904: bool = False, sheet: str = "三单") -> bytes:
    """A minimal xlsx written by hand: `sheet_data` is the inner XML of <sheetData> (rows with
    r= and cells as Excel writes them), `styles` the inner XML of <styleSheet>, `shared` the
    inner XML of each shared string's <si>, `merged` ranges like "A1:M1"."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    merge = (f'<mergeCells count="{len(merged)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merged)
             + "</mergeCells>") if merged else ""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '</Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{rels}">'
        + ('<workbookPr date1904="1"/>' if date1904 else "")
        + f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rels}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{rels}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": f'<styleSheet xmlns="{_MAIN}">{styles}</styleSheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}">' + "".join(f"<si>{s}</si>" for s in shared) + "</sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{sheet_data}</sheetData>{merge}</worksheet>',
    }
    return _package({name: text.encode("utf-8") for name, text in parts.items()})


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _package(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def drop_file(ws: Workspace, unit: str, name: str, rows: list[list], day: date) -> None:
    """A unit's submission of `rows` dated `day`, dropped in its inbox folder and ingested that
    day; every file must be accepted."""
    from pipeline.ledger.ingest import ingest_inbox

    folder = ws.inbox / unit
    folder.mkdir(parents=True, exist_ok=True)
    report_date = f"{day.year}年{day.month}月{day.day}日"
    (folder / name).write_bytes(xlsx_bytes(submission_rows(*rows, unit=unit, report_date=report_date)))
    results = ingest_inbox(ws, received=day)
    assert all(r.verdict == "accepted" for r in results), [r.findings for r in results]
