"""GB/T 9704-2012 page, styles and building blocks for the Word templates (python-docx).

`templates.py` says what each document contains; this module says how it is laid out:

- A4, margins top 37 / bottom 35 / left 28 / right 26 mm: a 156 × 225 mm text block.
- A line grid of 22 lines (28.95 pt pitch); 28 characters a line: 3号 (16 pt) characters are
  condensed by 0.25 pt (28 × 15.75 pt = 441 pt of the block's 442.2 pt). A character grid
  (docGrid linesAndChars) would do the same in Word, but LibreOffice gives every 16 pt character
  two cells of a 15.8 pt grid (14 characters a line), so the spacing is set on the text instead.
- 正文 3号 仿宋_GB2312, title 2号 方正小标宋简体, 一、 黑体, （一） 楷体_GB2312 (the faces come from
  `[fonts]`); headings and table captions keep with what follows; page numbers `— N —` 4号 宋体.
- 发文机关标志 red, its characters' top 35 mm below the block's top (an exact line as tall as its
  size puts the glyphs' top at the line's top; measured in LibreOffice).
- 附件: each on a new page, "附件N" in 黑体 top left, its title on the third line; tables in 小四
  (12 pt) without grid snapping, columns as wide as their content needs (the problem column takes
  the rest), rows that may break across pages, header rows repeated.
- 版记 (抄送, 印发): a text box anchored to the foot of the last page, rules 156 mm wide (thick
  first and last, thin between); when the page is full it moves to a page of its own.
- The package holds a theme and a font table naming the configured faces only (python-docx's
  default names Calibri, Cambria and ＭＳ 明朝, which WPS lists as missing fonts), and only the
  styles used.

Every paragraph text is one run, so a docxtpl tag written here stays whole.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from pipeline.config import Fonts

SONGTI = "宋体"  # page numbers (GB/T 9704 §7.5)

BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
SMALL_PT = 14  # 4号: page numbers, 版记
TABLE_PT = 12  # 小四: 附件 tables
TABLE_LINE = Pt(14)  # exact line height of table text (no grid snapping)
MASTHEAD_PT = 30  # 发文机关标志 of a name that fits; contexts.masthead_pt shrinks longer ones
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
CONDENSE_TWIPS = -5  # −0.25 pt between 3号 characters: 28 a line
TEXT_WIDTH_MM = 156
TEXT_HEIGHT_MM = 225
MASTHEAD_TOP_MM = 35  # GB/T 9704 §7.2.2
CELL_MARGIN_MM = 1.0  # left and right, inside table cells
RED = RGBColor(0xFF, 0x00, 0x00)

# Style names: templates.py and fonts.py find the faces' roles by them.
BODY = "公文正文"
ADDRESSEE = "主送"
TITLE = "公文标题"
HEADING1 = "一级标题"
HEADING2 = "二级标题"
MASTHEAD = "发文机关标志"
DOC_NUMBER = "发文字号"
SIGNATURE = "落款"
ANNEX_NOTE = "附件说明"
ANNEX_LABEL = "附件标识"
ANNEX_TITLE = "附件标题"
TABLE_TEXT = "表格文字"
TABLE_HEAD = "表格标题行"
IMPRINT = "版记"
PAGE_NUMBER = "页码"
ROLE_STYLES = {"body": BODY, "title": TITLE, "heiti": HEADING1, "kaiti": HEADING2}


# -- measuring text ----------------------------------------------------------------------------


def text_em(text: str) -> float:
    """Width of text in ems: a Chinese character or full-width mark 1, a digit or letter ½."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def column_mm(chars: float, pt: float = TABLE_PT) -> float:
    """The width a column needs for `chars` ems of text at `pt`, cell margins included."""
    return chars * pt * 25.4 / 72 + 2 * CELL_MARGIN_MM + 0.6


@dataclass(frozen=True)
class Column:
    """A table column: header, the cell's expression, and how wide its content is.

    `chars`: the ems its widest usual value needs on one line (the header always fits on one
    line); `flex`: a share of the width left over (the problem column), 0 for a fixed column.
    """

    header: str
    expr: str
    chars: float = 0
    flex: int = 0


def fit_columns(columns: list[Column], total_mm: float = TEXT_WIDTH_MM) -> list[float]:
    """Widths in mm: each fixed column as wide as its header and content need, the flexible
    ones sharing what is left by weight. Raises ValueError when the fixed ones do not fit."""
    fixed = [column_mm(max(text_em(c.header), c.chars)) for c in columns]
    flex_total = sum(c.flex for c in columns)
    left = total_mm - sum(w for w, c in zip(fixed, columns, strict=True) if not c.flex)
    if flex_total == 0:
        scale = total_mm / sum(fixed)
        return [round(w * scale, 1) for w in fixed]
    if left < sum(w for w, c in zip(fixed, columns, strict=True) if c.flex):
        raise ValueError("columns do not fit the text block")
    return [round(left * c.flex / flex_total, 1) if c.flex else round(w, 1)
            for w, c in zip(fixed, columns, strict=True)]


# -- formatting helpers -----------------------------------------------------------------------

def _names(text: str) -> list[str]:
    return text.split()


# Schema order of the children we set (Word refuses a file whose elements are out of order).
_PPR = _names(
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
    "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
    "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange "
)
_RPR = _names(
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
    "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
    "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath "
)
_TBLPR = _names(
    "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook "
)


def _child(parent, tag: str, order: list[str]):
    """The child `w:tag` of `parent`, created in its schema place if missing."""
    el = parent.find(qn(f"w:{tag}"))
    if el is not None:
        return el
    el = OxmlElement(f"w:{tag}")
    later = order[order.index(tag) + 1:]
    for n, child in enumerate(parent):
        if child.tag in {qn(f"w:{t}") for t in later}:
            parent.insert(n, el)
            return el
    parent.append(el)
    return el


def set_face(owner, name: str) -> None:
    """Name one face for every script slot of a style or run (no theme fonts)."""
    rpr = owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), name)


def _ppr_flag(ppr, tag: str, value: str | None = None) -> None:
    el = _child(ppr, tag, _PPR)
    if value is not None:
        el.set(qn("w:val"), value)


def _condense(rpr_owner, twips: int) -> None:
    _child(rpr_owner.get_or_add_rPr(), "spacing", _RPR).set(qn("w:val"), str(twips))


def border(paragraph_or_ppr, side: str, eighths: int, color: str = "000000", space: int = 1,
           val: str = "single") -> None:
    ppr = paragraph_or_ppr._p.get_or_add_pPr() if hasattr(paragraph_or_ppr, "_p") else paragraph_or_ppr
    bdr = _child(ppr, "pBdr", _PPR)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), val)
    el.set(qn("w:sz"), str(eighths))
    el.set(qn("w:space"), str(space))
    el.set(qn("w:color"), color)
    bdr.append(el)


def _style(doc, name: str, face: str, size: float, *, first_indent: float = 0, align=None,
           line=LINE_PITCH, keep_next: bool = False, color=None, outline: int | None = None,
           condense: bool = False, snap: bool = True, page_break: bool = False):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    set_face(style.element, face)
    style.font.size = Pt(size)
    if color is not None:
        style.font.color.rgb = color
    if condense:
        _condense(style.element, CONDENSE_TWIPS)
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = line
    pf.first_line_indent = Pt(size * first_indent)
    pf.left_indent = Pt(0)
    pf.keep_with_next = keep_next
    pf.page_break_before = page_break
    pf.widow_control = True
    if align is not None:
        pf.alignment = align
    ppr = style.element.get_or_add_pPr()
    if not snap:
        _ppr_flag(ppr, "snapToGrid", "0")
    if outline is not None:
        _ppr_flag(ppr, "outlineLvl", str(outline))
    return style


def _page_number(paragraph) -> None:
    """`— N —` with a PAGE field."""

    def run(text: str = "", fld: str | None = None, instr: str | None = None):
        r = paragraph.add_run(text)
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
    """Odd pages right, even pages left, one character in (GB/T 9704 §7.5)."""
    paragraph.style = PAGE_NUMBER
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        paragraph.paragraph_format.right_indent = Pt(SMALL_PT)
    else:
        paragraph.paragraph_format.left_indent = Pt(SMALL_PT)
    _page_number(paragraph)


_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_KEEP_STYLES = {"Normal", "Default Paragraph Font", "Normal Table", "No List", "Table Grid", BODY, ADDRESSEE, TITLE,
                HEADING1, HEADING2, MASTHEAD, DOC_NUMBER, SIGNATURE, ANNEX_NOTE, ANNEX_LABEL, ANNEX_TITLE, TABLE_TEXT,
                TABLE_HEAD, IMPRINT, PAGE_NUMBER}


def _prune_styles(doc) -> None:
    """Only the styles the documents use: python-docx's default set names theme fonts."""
    keep = _KEEP_STYLES
    root = doc.styles.element
    for el in list(root.findall(qn("w:style"))):
        name = el.find(qn("w:name"))
        if name is None or name.get(qn("w:val")) not in keep:
            root.remove(el)
    latent = root.find(qn("w:latentStyles"))
    if latent is not None:
        root.remove(latent)
    for rfonts in root.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)


def _drop_extras(doc) -> None:
    """No stylesWithEffects, numbering, custom XML, thumbnail or math font (Cambria Math) from
    python-docx's default package; the East Asian theme language Chinese."""
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype in (_STYLES_WITH_EFFECTS, RT.CUSTOM_XML, RT.NUMBERING):
            del part.rels[rid]
    settings = doc.settings.element
    for tag in ("m:mathPr", "w:savePreviewPicture", "w:rsids"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    package = part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rid]


def new_document(fonts: Fonts):
    """An empty A4 document with the GB/T 9704 page, footers and styles."""
    doc = Document()
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr.find(qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(slot), fonts.body)
    for tag in ("sz", "szCs"):
        _child(rpr, tag, _RPR).set(qn("w:val"), str(BODY_PT * 2))
    lang = rpr.find(qn("w:lang"))  # Latin text English (digits and ids break as words), Chinese for the rest
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")

    normal = doc.styles["Normal"]
    set_face(normal.element, fonts.body)
    normal.font.size = Pt(BODY_PT)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE_PITCH
    pf.space_before = pf.space_after = Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.widow_control = True

    J, C, L = WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
    _style(doc, BODY, fonts.body, BODY_PT, first_indent=2, align=J, condense=True)
    _style(doc, ADDRESSEE, fonts.body, BODY_PT, align=J, condense=True, keep_next=True)
    _style(doc, TITLE, fonts.title, TITLE_PT, align=C, outline=0, keep_next=True)
    _style(doc, HEADING1, fonts.heiti, BODY_PT, first_indent=2, outline=1, keep_next=True, condense=True)
    _style(doc, HEADING2, fonts.kaiti, BODY_PT, first_indent=2, outline=2, keep_next=True, condense=True)
    _style(doc, MASTHEAD, fonts.title, MASTHEAD_PT, align=C, line=Pt(MASTHEAD_PT), color=RED, snap=False)
    _style(doc, DOC_NUMBER, fonts.body, BODY_PT, align=C)
    _style(doc, SIGNATURE, fonts.body, BODY_PT, align=L, keep_next=True)
    _style(doc, ANNEX_NOTE, fonts.body, BODY_PT, first_indent=2, align=L, keep_next=True, condense=True)
    _style(doc, ANNEX_LABEL, fonts.heiti, BODY_PT, align=L, keep_next=True, page_break=True)
    _style(doc, ANNEX_TITLE, fonts.title, TITLE_PT, align=C, keep_next=True)
    _style(doc, TABLE_TEXT, fonts.body, TABLE_PT, align=C, line=TABLE_LINE, snap=False)
    _style(doc, TABLE_HEAD, fonts.heiti, TABLE_PT, align=C, line=TABLE_LINE, snap=False, keep_next=True)
    _style(doc, IMPRINT, fonts.body, SMALL_PT, align=L, snap=False)
    _style(doc, PAGE_NUMBER, SONGTI, SMALL_PT, line=Pt(SMALL_PT * 1.2), snap=False)

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(25)  # the page number's line about 7 mm below the block
    grid = section._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))

    doc.settings.odd_and_even_pages_header_footer = True
    _footer(section.footer.paragraphs[0], odd=True)
    _footer(section.even_page_footer.paragraphs[0], odd=False)
    doc.core_properties.author = "sancha"
    doc.core_properties.last_modified_by = "sancha"
    return doc


def finish(doc) -> None:
    """Prune styles and parts before saving."""
    _prune_styles(doc)
    _drop_extras(doc)


# -- paragraphs ------------------------------------------------------------------------------


def para(doc_or_cell, text: str = "", style: str = BODY):
    """One paragraph, one run: docxtpl tags stay whole."""
    p = doc_or_cell.add_paragraph(style=style)
    if text:
        p.add_run(text)
    return p


def blank(doc, n: int = 1, style: str = ADDRESSEE) -> None:
    for _ in range(n):
        para(doc, "", style)


def keep_with_next(paragraph) -> None:
    paragraph.paragraph_format.keep_with_next = True


def masthead(doc, tag: str) -> None:
    """发文机关标志 `tag` (a RichText tag of the shrunk size), red, 35 mm below the block's top."""
    p = para(doc, tag, MASTHEAD)
    p.paragraph_format.space_before = Mm(MASTHEAD_TOP_MM)


def doc_number_rule(doc, tag: str) -> None:
    """发文字号 two lines below the 标志, over the red rule (≈ 4 mm below it)."""
    p = para(doc, tag, DOC_NUMBER)
    p.paragraph_format.space_before = LINE_PITCH * 2
    border(p, "bottom", 12, "FF0000", space=11)


def signature(doc, name_tag: str, date_tag: str) -> None:
    """发文机关署名 centred over 成文日期, the date four characters in from the right (§7.3.5.1).

    A centre tab stop at the date's middle: "2026年11月30日" is about 7 ems, so the stop is
    4 + 3.5 ems from the right edge. Both stay with the paragraph before them."""
    stop = Mm(TEXT_WIDTH_MM) - Pt(BODY_PT * 7.5)
    for text in (f"\t{name_tag}", f"\t{date_tag}"):
        p = para(doc, text, SIGNATURE)
        p.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.CENTER)
    doc.paragraphs[-1].paragraph_format.keep_with_next = False


def annex_page(doc, label_tag: str, title: str) -> None:
    """附件N top left on a new page (黑体), its title centred on the third line (§7.3.7)."""
    para(doc, label_tag, ANNEX_LABEL)
    p = para(doc, title, ANNEX_TITLE)
    p.paragraph_format.space_before = LINE_PITCH
    p.paragraph_format.space_after = Pt(BODY_PT * 0.5)


# -- tables ----------------------------------------------------------------------------------


def _cell_margins(table) -> None:
    mar = _child(table._tbl.tblPr, "tblCellMar", _TBLPR)
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(CELL_MARGIN_MM / 25.4 * 1440)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)


def _no_wrap(cell) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    tcpr.append(OxmlElement("w:noWrap"))


def _vcenter(cell) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    v = OxmlElement("w:vAlign")
    v.set(qn("w:val"), "center")
    tcpr.append(v)


def table(doc, columns: list[Column], loop: str, *, left_align: tuple[str, ...] = ()) -> None:
    """A table with a repeating header row and one `{%tr for %}` data row.

    `loop`: e.g. "u in units"; `left_align`: expressions whose cells are left-aligned (text)."""
    widths = fit_columns(columns)
    t = doc.add_table(rows=4, cols=len(columns))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    _cell_margins(t)
    header, for_row, data, end_row = t.rows
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for i, (col, width) in enumerate(zip(columns, widths, strict=True)):
        t.columns[i].width = Mm(width)  # the grid: LibreOffice and WPS lay out by it
        for row in t.rows:
            row.cells[i].width = Mm(width)
        cell = header.cells[i]
        cell.paragraphs[0].style = doc.styles[TABLE_HEAD]
        cell.paragraphs[0].add_run(col.header)
        _no_wrap(cell)
        _vcenter(cell)
        cell = data.cells[i]
        p = cell.paragraphs[0]
        p.style = doc.styles[TABLE_TEXT]
        if col.expr in left_align:
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.add_run(f"{{{{ {col.expr} }}}}")
        _vcenter(cell)
    for row, tag in ((for_row, f"{{%tr for {loop} %}}"), (end_row, "{%tr endfor %}")):
        p = row.cells[0].paragraphs[0]
        p.style = doc.styles[TABLE_TEXT]
        p.add_run(tag)


def form(doc, rows: list[list[str]], widths_mm: tuple[float, ...]) -> None:
    """A form of label | value pairs in 4号, e.g. the 签收回执: each row a list of cells, labels at
    even places (黑体) and values at odd ones; rows are kept together and with the paragraph before."""
    t = doc.add_table(rows=len(rows), cols=len(widths_mm))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    _cell_margins(t)
    for i, width in enumerate(widths_mm):
        t.columns[i].width = Mm(width)
        for row in t.rows:
            row.cells[i].width = Mm(width)
    for n, (row, texts) in enumerate(zip(t.rows, rows, strict=True)):
        row.height = Pt(SMALL_PT * 2)
        _child(row._tr.get_or_add_trPr(), "cantSplit", ["cantSplit", "trHeight", "tblHeader"])
        for i, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            p = cell.paragraphs[0]
            p.style = doc.styles[TABLE_HEAD if i % 2 == 0 else TABLE_TEXT]
            p.paragraph_format.keep_with_next = n < len(rows) - 1
            p.add_run(text).font.size = Pt(SMALL_PT)
            _vcenter(cell)


# -- 版记 at the foot of the last page ----------------------------------------------------------

_WPS_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
           'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
           'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
           'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"')
_EMU_PER_MM = 36000
THICK_RULE, THIN_RULE = 8, 6  # eighths of a point: 0.35 mm and 0.25 mm (§7.4.1)


def _imprint_rule(eighths: int) -> str:
    """A rule across the box (an empty paragraph one point tall with a border: a paragraph's
    border spans its indents, so the text lines, indented one character, carry none)."""
    return (f'<w:p><w:pPr><w:pStyle w:val="{IMPRINT}"/><w:keepNext/><w:pBdr><w:bottom w:val="single" '
            f'w:sz="{eighths}" w:space="0" w:color="000000"/></w:pBdr><w:spacing w:before="0" w:after="0" '
            'w:line="20" w:lineRule="exact"/><w:ind w:left="0" w:right="0"/></w:pPr></w:p>')


def _imprint_text(text: str, tab: bool) -> str:
    """One 版记 line in 4号, one character in from each side; 抄送 wraps under the first name."""
    indent = (f'<w:ind w:left="{SMALL_PT * 20}" w:right="{SMALL_PT * 20}"/>' if tab else
              f'<w:ind w:left="{SMALL_PT * 4 * 20}" w:right="{SMALL_PT * 20}" w:hanging="{SMALL_PT * 3 * 20}"/>')
    tabs = (f'<w:tabs><w:tab w:val="right" w:pos="{round(TEXT_WIDTH_MM / 25.4 * 1440) - SMALL_PT * 20}"/></w:tabs>'
            if tab else "")
    return (f'<w:p><w:pPr><w:pStyle w:val="{IMPRINT}"/><w:keepNext/>{tabs}<w:spacing w:before="0" w:after="0" '
            f'w:line="{round(LINE_PITCH.pt * 20)}" w:lineRule="exact"/>{indent}</w:pPr>'
            f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')


def _tag(text: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{IMPRINT}"/></w:pPr><w:r><w:t>{escape(text)}</w:t></w:r></w:p>'


def imprint(doc, issued: str, cc: str | None = None, cc_if: str = "", height_lines: int = 3) -> None:
    """版记: a text box bottom-aligned in the text block, full width, wrapping top and bottom:
    a thick rule, the 抄送 line (`cc`, shown only when the context's `cc_if` is true), a thin rule,
    the `issued` line (印发机关 and the date at a right tab), a thick rule; without 抄送 the 印发
    line sits between two thick rules. The box is `height_lines` body lines tall and grows with
    its text."""
    parts = [_imprint_rule(THICK_RULE)]
    if cc:
        parts = [_tag(f"{{%p if {cc_if} %}}"), _imprint_rule(THICK_RULE), _imprint_text(cc, tab=False),
                 _imprint_rule(THIN_RULE), _tag("{%p else %}"), _imprint_rule(THICK_RULE), _tag("{%p endif %}")]
    body = [*parts, _imprint_text(issued, tab=True), _imprint_rule(THICK_RULE)]
    cx = TEXT_WIDTH_MM * _EMU_PER_MM
    cy = round(height_lines * LINE_PITCH.pt / 72 * 25.4 * _EMU_PER_MM)
    xml = (
        f'<w:r {_WPS_NS}><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" behindDoc="0" '
        'locked="0" layoutInCell="1" allowOverlap="0"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>'
        '<wp:positionV relativeFrom="margin"><wp:align>bottom</wp:align></wp:positionV>'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapTopAndBottom/>'
        f'<wp:docPr id="1" name={quoteattr(IMPRINT)}/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
        f'<wps:txbx><w:txbxContent>{"".join(body)}</w:txbxContent></wps:txbx>'
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="b">'
        '<a:spAutoFit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>'
    )
    p = doc.add_paragraph(style=IMPRINT)
    p._p.append(parse_xml(xml))


# -- the package: theme and font table of the configured faces --------------------------------

_FONT_TABLE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">{}</w:fonts>')
_FONT = ('<w:font w:name={name}><w:charset w:val="86"/><w:family w:val="{family}"/>'
         '<w:pitch w:val="variable"/></w:font>')


def font_table_xml(faces: list[str]) -> bytes:
    """word/fontTable.xml naming `faces` (GB2312 charset)."""
    items = "".join(_FONT.format(name=quoteattr(f), family="modern" if "黑" in f else "roman") for f in faces)
    return _FONT_TABLE.format(items).encode("utf-8")


def theme_xml(original: bytes, fonts: Fonts) -> bytes:
    """The theme with its major (headings) and minor (body) fonts set to the configured faces and
    no per-script list (python-docx's default lists ＭＳ 明朝 and two dozen other faces)."""
    text = original.decode("utf-8")

    def scheme(kind: str, face: str) -> str:
        f = quoteattr(face)
        return f"<a:{kind}><a:latin typeface={f}/><a:ea typeface={f}/><a:cs typeface={f}/></a:{kind}>"

    text = re.sub(r"<a:majorFont>.*?</a:majorFont>", scheme("majorFont", fonts.title), text, flags=re.S)
    text = re.sub(r"<a:minorFont>.*?</a:minorFont>", scheme("minorFont", fonts.body), text, flags=re.S)
    return text.encode("utf-8")


def faces_of(fonts: Fonts) -> list[str]:
    return list(dict.fromkeys((fonts.body, fonts.title, fonts.heiti, fonts.kaiti, SONGTI)))


def finish_package(data: bytes, fonts: Fonts, date_time=(2026, 1, 1, 0, 0, 0)) -> bytes:
    """Re-zip with a font table and theme of the configured faces, fixed timestamps and order
    (the same code gives the same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "word/fontTable.xml":
                body = font_table_xml(faces_of(fonts))
            elif info.filename.startswith("word/theme/") and info.filename.endswith(".xml"):
                body = theme_xml(body, fonts)
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, body)
    return out.getvalue()
