"""The Word templates, built reproducibly from code to GB/T 9704-2012 (党政机关公文格式).

`build_template(name) -> bytes` gives byte-identical output on every run (fixed zip
timestamps), so the shipped `templates/*.docx` can be checked against this builder. The office
may edit its workspace copies in Word; `write_default_templates(dir, force)` restores them.

Layout: A4; margins top 37 / bottom 35 / left 28 / right 26 mm (text block 156 × 225 mm);
body 3号 (16 pt) 仿宋_GB2312 at a fixed 28.95 pt line pitch (22 lines a page); title 2号
(22 pt) 方正小标宋简体; 一、 headings 黑体, （一） headings 楷体_GB2312; page numbers
`— N —` in 4号 (14 pt) 宋体, odd pages right and even pages left, one character in;
抄送 / 印发 lines in 4号 仿宋. Tables repeat their header row on every page (w:tblHeader).

docxtpl rules kept here: every tag sits in one run (each paragraph below is written as one
run), table rows repeat with `{%tr for … %}` / `{%tr endfor %}` rows of their own, and
conditional blocks use `{%p … %}` paragraphs of their own.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

CIRCULAR = "督查通报.docx"
NOTICE = "督办通知单.docx"
REPORT = "专题报告.docx"

FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"

BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
SMALL_PT = 14  # 4号: page numbers, 抄送/印发
TABLE_PT = 12  # 小4号: tables, so a row of figures fits the 156 mm block
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
TEXT_WIDTH_MM = 156
RED = RGBColor(0xFF, 0x00, 0x00)

_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# -- low-level formatting helpers ------------------------------------------------------------


def _fonts(rpr_owner, name: str) -> None:
    """Name one font for every script slot (the reader's Word supplies it)."""
    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), name)


def _style(doc, name: str, font: str, size: float, *, base: str | None = "Normal", bold: bool = False,
           align=None, first_indent_chars: float = 0, exact: bool = True, color=None, outline: int | None = None,
           space_before: float = 0):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = doc.styles[base]
    style.quick_style = True
    _fonts(style.element, font)
    style.font.size = Pt(size)
    style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color
    pf = style.paragraph_format
    pf.space_before = Pt(space_before)
    pf.space_after = Pt(0)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = LINE_PITCH
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.first_line_indent = Pt(size * first_indent_chars)
    pf.left_indent = Pt(0)
    if align is not None:
        pf.alignment = align
    if outline is not None:
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        style.element.get_or_add_pPr().append(lvl)
    return style


def _border(paragraph, side: str, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size_eighths))
    el.set(qn("w:space"), str(space))
    el.set(qn("w:color"), color)
    bdr.append(el)


def _page_number(paragraph) -> None:
    """`— N —` with a PAGE field, 4号 宋体."""

    def run(text: str | None = None, fld: str | None = None, instr: str | None = None):
        r = paragraph.add_run(text or "")
        _fonts(r._r, SONGTI)
        r.font.size = Pt(SMALL_PT)
        if fld:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), fld)
            r._r.append(el)
        if instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            r._r.append(el)

    run("— ")
    run(fld="begin")
    run(instr=" PAGE ")
    run(fld="separate")
    run("1")
    run(fld="end")
    run(" —")


def _footer(paragraph, odd: bool) -> None:
    paragraph.style = "页码"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        paragraph.paragraph_format.right_indent = Pt(SMALL_PT)
    else:
        paragraph.paragraph_format.left_indent = Pt(SMALL_PT)
    _page_number(paragraph)


def _new_document():
    doc = Document()
    # docDefaults: explicit fonts instead of theme fonts (a theme font would win over ours).
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr.find(qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), FANGSONG)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")

    normal = doc.styles["Normal"]
    _fonts(normal.element, FANGSONG)
    normal.font.size = Pt(BODY_PT)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE_PITCH
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.widow_control = False

    _style(doc, "正文", FANGSONG, BODY_PT, first_indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(doc, "主送", FANGSONG, BODY_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, "公文标题", XIAOBIAOSONG, TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, outline=0)
    _style(doc, "一级标题", HEITI, BODY_PT, first_indent_chars=2, outline=1)
    _style(doc, "二级标题", KAITI, BODY_PT, first_indent_chars=2, outline=2)
    _style(doc, "发文机关标志", XIAOBIAOSONG, 30, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False, color=RED)
    _style(doc, "发文字号", FANGSONG, BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "落款", FANGSONG, BODY_PT, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _style(doc, "版记", FANGSONG, SMALL_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, "表格文字", FANGSONG, TABLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    _style(doc, "页码", SONGTI, SMALL_PT, exact=False)

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(25)  # the page number's line sits about 7 mm below the block
    grid = section._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))

    doc.settings.odd_and_even_pages_header_footer = True
    _footer(section.footer.paragraphs[0], odd=True)
    _footer(section.even_page_footer.paragraphs[0], odd=False)

    doc.core_properties.author = "sancha"
    doc.core_properties.last_modified_by = "sancha"
    return doc


def _p(doc, text: str, style: str = "正文"):
    """One paragraph, one run: docxtpl tags stay whole."""
    p = doc.add_paragraph(style=style)
    if text:
        p.add_run(text)
    return p


def _blank(doc, n: int = 1) -> None:
    for _ in range(n):
        doc.add_paragraph(style="主送")


def _table(doc, columns: Sequence[tuple[str, str, float]], loop: str) -> None:
    """A table with a repeating header row and one `{%tr for %}` data row.

    columns: (header, cell expression, width in mm); loop: e.g. "u in units".
    """
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header, for_row, data, end_row = table.rows
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    cant_split = OxmlElement("w:cantSplit")
    data._tr.get_or_add_trPr().append(cant_split)
    for i, (title, expr, width) in enumerate(columns):
        table.columns[i].width = Mm(width)  # the grid: LibreOffice and WPS lay out by it
        for row in table.rows:
            row.cells[i].width = Mm(width)
        cell = header.cells[i]
        p = cell.paragraphs[0]
        p.style = doc.styles["表格文字"]
        run = p.add_run(title)
        _fonts(run._r, HEITI)
        p = data.cells[i].paragraphs[0]
        p.style = doc.styles["表格文字"]
        p.add_run(f"{{{{ {expr} }}}}")
    for row, tag in ((for_row, f"{{%tr for {loop} %}}"), (end_row, "{%tr endfor %}")):
        p = row.cells[0].paragraphs[0]
        p.style = doc.styles["表格文字"]
        p.add_run(tag)


def _signature(doc) -> None:
    _blank(doc, 2)
    for text in ("{{ signature }}", "{{ issued_on }}"):
        p = _p(doc, text, "落款")
        p.paragraph_format.right_indent = Pt(BODY_PT * 4)  # 右空四字


def _imprint(doc) -> None:
    """版记: 抄送 and 印发 lines in 4号 仿宋 between rules, at the end."""
    _blank(doc, 2)
    _p(doc, "{%p if has_cc %}", "版记")
    cc = _p(doc, "抄送：{{ cc }}。", "版记")
    cc.paragraph_format.left_indent = Pt(SMALL_PT)
    cc.paragraph_format.right_indent = Pt(SMALL_PT)
    _border(cc, "top", 8)
    _p(doc, "{%p endif %}", "版记")
    issued = _p(doc, "{{ office_name }}\t{{ issued_on }}印发", "版记")
    issued.paragraph_format.left_indent = Pt(SMALL_PT)
    issued.paragraph_format.right_indent = Pt(SMALL_PT)
    issued.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - Pt(2 * SMALL_PT), WD_TAB_ALIGNMENT.RIGHT)
    _border(issued, "top", 4)
    _border(issued, "bottom", 8)


_UNIT_TABLE = [
    ("排名", "u.rank", 14),
    ("单位", "u.unit", 38),
    ("问题数", "u.total", 16),
    ("已完成", "u.done", 16),
    ("按期完成", "u.done_on_time", 18),
    ("逾期", "u.overdue", 14),
    ("未按时报送", "u.report_missing", 20),
    ("完成率", "u.completion_rate", 20),
]

_KEY_TABLE = [
    ("编号", "r.id", 26),
    ("责任单位", "r.unit", 28),
    ("整改问题", "r.problem", 42),
    ("整改时限", "r.deadline", 24),
    ("逾期工作日", "r.overdue_workdays", 18),
    ("报送情况", "r.report", 18),
]

_LOOKBACK_TABLE = [
    ("编号", "r.id", 26),
    ("责任单位", "r.unit", 30),
    ("整改问题", "r.problem", 66),
    ("完成日期", "r.done_on", 34),
]


def _optional_table(doc, key: str, columns, none_text: str = "无。", more: str | None = None) -> None:
    """The table, or `none_text` when the list is empty; `more` names a count of rows left out."""
    _p(doc, f"{{%p if {key} %}}")
    _table(doc, columns, f"r in {key}")
    if more:
        _p(doc, f"{{%p if {more} %}}")
        _p(doc, f"另有{{{{ {more} }}}}项未列出，详见三单工作台帐。")
        _p(doc, "{%p endif %}")
    _p(doc, "{%p else %}")
    _p(doc, none_text)
    _p(doc, "{%p endif %}")


def build_circular():
    """督查通报: red 发文机关标志, 发文字号 over a red rule, figures, ranking, 表扬/批评, lists."""
    doc = _new_document()
    p = _p(doc, "{{ masthead }}", "发文机关标志")
    p.paragraph_format.space_before = Mm(35 - 25)  # GB: 35 mm from the block top; Word adds its own leading
    p = _p(doc, "{{ doc_number }}", "发文字号")
    p.paragraph_format.space_before = LINE_PITCH * 2  # 发文机关标志下空二行
    _border(p, "bottom", 12, "FF0000", space=11)  # red separator ≈ 4 mm below 发文字号
    p = _p(doc, "{{ title }}", "公文标题")
    p.paragraph_format.space_before = LINE_PITCH * 2  # 分隔线下空二行
    _blank(doc)
    _p(doc, "{{ addressee }}", "主送")
    _p(doc, (
        "截至{{ as_of }}，“三查三单”工作台帐共登记整改问题{{ overview.total }}个，涉及{{ overview.units }}个单位。"
        "已完成{{ overview.done }}个，其中按期完成{{ overview.done_on_time }}个，完成率{{ overview.completion_rate }}；"
        "逾期未完成{{ overview.overdue }}个，逾期未报送整改情况{{ overview.report_missing }}个；"
        "临期{{ overview.due_soon }}个，长期坚持{{ overview.ongoing }}个。现将有关情况通报如下："
    ))
    _p(doc, "{%p if provisional %}")
    _p(doc, "（注：标注“暂定”的日期按暂定工作日历推算，国务院公布节假日安排后以正式日历为准。）")
    _p(doc, "{%p endif %}")
    _p(doc, "一、各单位整改落实情况", "一级标题")
    _p(doc, "各单位整改落实情况按完成率排名如下：")
    _table(doc, _UNIT_TABLE, "u in units")
    _p(doc, "二、表扬和批评", "一级标题")
    _p(doc, "（一）予以表扬的单位", "二级标题")
    _p(doc, "{{ commended }}。")
    _p(doc, "（二）予以批评的单位", "二级标题")
    _p(doc, "{%p for c in criticised %}")
    _p(doc, "{{ c.unit }}：{{ c.reason }}。")
    _p(doc, "{%p else %}")
    _p(doc, "无。")
    _p(doc, "{%p endfor %}")
    _p(doc, "三、重点督查事项", "一级标题")
    _p(doc, "以下事项逾期超过{{ key_overdue_workdays }}个工作日或逾期未报送整改情况，列入重点督查：")
    _optional_table(doc, "key_items", _KEY_TABLE, more="key_items_more")
    _p(doc, "四、“回头看”事项", "一级标题")
    _p(doc, "以下事项已办结，列入本期“回头看”，请责任单位巩固整改成效：")
    _optional_table(doc, "lookback_items", _LOOKBACK_TABLE, more="lookback_items_more")
    _p(doc, "五、有关要求", "一级标题")
    _p(doc, (
        "请被批评单位和列入重点督查事项的单位于收到本通报后{{ reply_workdays }}个工作日内，"
        "将整改进展和逾期原因书面报送{{ office_name }}。各单位要严格按照整改时限推进整改，"
        "整改时限届满后3个工作日内报送整改情况。"
    ))
    _signature(doc)
    _imprint(doc)
    return doc


def build_notice():
    """督办通知单 to one unit: its overdue items and missing reports, and when to answer."""
    doc = _new_document()
    _p(doc, "{{ title }}", "公文标题")
    _p(doc, "{{ notice_number }}", "发文字号")
    _blank(doc)
    _p(doc, "{{ unit }}：", "主送")
    _p(doc, (
        "截至{{ as_of }}，你单位在“三查三单”工作台帐中有{{ count }}项整改问题需要督办"
        "（逾期未完成{{ overdue_count }}项，逾期未报送整改情况{{ missing_count }}项），具体如下："
    ))
    _table(doc, [
        ("编号", "r.id", 26),
        ("整改问题", "r.problem", 46),
        ("整改时限", "r.deadline", 24),
        ("报送期限", "r.report_due", 24),
        ("逾期工作日", "r.overdue_workdays", 18),
        ("整改情况", "r.report", 18),
    ], "r in items")
    _p(doc, (
        "请于{{ reply_by }}前将上述问题的整改进展、逾期原因和下一步措施书面报送{{ office_name }}。"
        "逾期仍未整改或未报送的，将列入重点督查并在督查通报中予以通报。"
    ))
    _p(doc, "{%p if contact %}")
    _p(doc, "联系人及电话：{{ contact }}")
    _p(doc, "{%p endif %}")
    _signature(doc)
    return doc


def build_report():
    """专题报告 on one source: figures, per-unit table, 重点督查, every item."""
    doc = _new_document()
    _p(doc, "{{ title }}", "公文标题")
    _blank(doc)
    _p(doc, (
        "截至{{ as_of }}，“三查三单”工作台帐中来源为“{{ source }}”的整改问题共{{ overview.total }}个，"
        "涉及{{ overview.units }}个单位。已完成{{ overview.done }}个，其中按期完成{{ overview.done_on_time }}个，"
        "完成率{{ overview.completion_rate }}；逾期未完成{{ overview.overdue }}个，"
        "逾期未报送整改情况{{ overview.report_missing }}个；临期{{ overview.due_soon }}个。"
    ))
    _p(doc, "一、各单位整改情况", "一级标题")
    _table(doc, _UNIT_TABLE, "u in units")
    _p(doc, "二、重点督查事项", "一级标题")
    _optional_table(doc, "key_items", _KEY_TABLE)
    _p(doc, "三、问题清单", "一级标题")
    _table(doc, [
        ("编号", "r.id", 26),
        ("责任单位", "r.unit", 26),
        ("整改问题", "r.problem", 44),
        ("整改时限", "r.deadline", 24),
        ("状态", "r.state", 18),
        ("逾期工作日", "r.overdue_workdays", 18),
    ], "r in items")
    _signature(doc)
    return doc


BUILDERS: dict[str, Callable] = {CIRCULAR: build_circular, NOTICE: build_notice, REPORT: build_report}


def _reproducible(data: bytes) -> bytes:
    """Re-zip with fixed timestamps and order, so the same code gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


@cache
def build_template(name: str) -> bytes:
    doc = BUILDERS[name]()
    buf = io.BytesIO()
    doc.save(buf)
    return _reproducible(buf.getvalue())


def write_default_templates(directory: Path, force: bool = False) -> list[Path]:
    """Write the default templates into `directory`; keep the office's edited copies unless force.

    Returns the paths written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in BUILDERS:
        path = directory / name
        if path.exists() and not force:
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(build_template(name))
        tmp.replace(path)
        written.append(path)
    return written
