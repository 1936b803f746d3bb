"""The Word templates: reproducible, shipped as built, GB/T 9704-2012 layout, docxtpl-ready."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from builders import make_config
from docfixtures import AS_OF, ledger
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.config import Fonts
from pipeline.output.documents import contexts, render
from pipeline.output.documents import docx_layout as L
from pipeline.output.documents.templates import (
    ASSIGNMENT,
    BUILDERS,
    CIRCULAR,
    NOTICE,
    REPORT,
    REPORT_FEEDBACK,
    build_template,
    write_default_templates,
)

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def sample_contexts() -> dict[str, dict]:
    cfg = make_config()
    items, states, summaries = ledger()
    audit = [i for i in items if i.source == "审计"]
    from pipeline.deadlines.states import unit_summary

    report = contexts.report_context(cfg, "审计", audit, states, unit_summary(audit, states), AS_OF, number=3)
    return {
        CIRCULAR: contexts.circular_context(cfg, items, states, summaries, AS_OF, 12),
        NOTICE: contexts.notice_context(cfg, "区住房城乡建设局", items, states, AS_OF, date(2026, 12, 3)),
        REPORT: report,
        REPORT_FEEDBACK: contexts.report_feedback_context(report, "区财政局", audit, states, "2026年12月3日"),
        ASSIGNMENT: contexts.assignment_context(cfg, "区财政局", items[:2], AS_OF, date(2026, 12, 7), number=3,
                                                inspection="2026年第四季度重点工作巡查"),
        **ladder_samples(cfg, items, states),
    }


def ladder_samples(cfg, items, states) -> dict[str, dict]:
    from dataclasses import replace

    from pipeline.deadlines.ladder import LEVEL_NOTICE, Notice
    from pipeline.output.documents import ladder_contexts as lc
    from pipeline.output.documents.templates import ACCOUNTABILITY, ESCALATIONS, REMINDER, WARNING

    red = ["2026-0003", "2026-0004"]
    history = {i: [Notice("督办〔2026〕1号", "区住房城乡建设局", LEVEL_NOTICE, date(2026, 11, 16),
                          date(2026, 11, 19), "", (i,), False)] for i in red}
    waiting = [replace(items[5], status="需上级协调", progress="涉及市级审批")]
    from pipeline.deadlines.scoring import Line, Period, ScoreCard, UnitScore
    from pipeline.output.documents.templates import SCORES

    lines = (Line("区住房城乡建设局", "2026-0003", AS_OF, "report_missing", -2.0, "事件#1"),)
    card = ScoreCard(Period.of(2026, 4), 100, [UnitScore("区财政局", 103.0, 1, ()),
                                               UnitScore("区住房城乡建设局", 88.0, 2, lines)])
    return {
        SCORES: lc.score_context(cfg, card, {i.id: i for i in items}, AS_OF, number=4),
        REMINDER: lc.reminder_context(cfg, "菱湖街道", items, states, ["2026-0005"], AS_OF, number=2),
        WARNING: lc.warning_context(cfg, "区住房城乡建设局", items, states, red, history, AS_OF, date(2026, 12, 3),
                                    number=1),
        ACCOUNTABILITY: lc.accountability_context(cfg, items, states, red, history, AS_OF, number=1),
        ESCALATIONS: lc.escalations_context(cfg, waiting, {waiting[0].id: replace(states[waiting[0].id],
                                                                                  state="待上级协调")},
                                            {waiting[0].id: (AS_OF, "区人民政府", "")}, AS_OF),
    }


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return {name: build_template(name) for name in BUILDERS}


def test_build_is_reproducible(built):
    for name in BUILDERS:
        assert build_template(name) == built[name], name


def test_shipped_templates_are_the_builders_output(built):
    for name in BUILDERS:
        assert (REPO_TEMPLATES / name).read_bytes() == built[name], f"templates/{name} 已过期：运行 sancha templates --force 重建"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_variable_is_in_the_context(built, name):
    ctx = render.prepared(sample_contexts()[name])
    assert render.undeclared_variables(built[name]) <= set(ctx)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_template_renders_its_sample_strictly(built, name):
    render.render_docx(built[name], sample_contexts()[name], name=name)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_tag_sits_in_one_run(built, name):
    doc = Document(io.BytesIO(built[name]))
    paragraphs = list(doc.paragraphs) + [p for t in doc.tables for c in t._cells for p in c.paragraphs]
    for p in paragraphs:
        for run in p.runs:
            for open_, close in (("{{", "}}"), ("{%", "%}")):
                assert run.text.count(open_) == run.text.count(close), run.text


@pytest.mark.parametrize("name", list(BUILDERS))
def test_page_is_gb9704(built, name):
    doc = Document(io.BytesIO(built[name]))
    s = doc.sections[0]
    mm = lambda length: round(length.mm, 1)  # noqa: E731 - stored in twips
    assert (mm(s.page_width), mm(s.page_height)) == (210, 297)
    assert tuple(map(mm, (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin))) == (37, 35, 28, 26)
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    # 22 lines on the 225 mm text block
    assert int(Mm(225) / normal.paragraph_format.line_spacing) == 22
    fonts = {st: doc.styles[st].element.rPr.rFonts.get(qn("w:eastAsia")) for st in ("公文标题", "一级标题", "二级标题", "版记")}
    assert fonts == {"公文标题": "方正小标宋简体", "一级标题": "黑体", "二级标题": "楷体_GB2312", "版记": "仿宋_GB2312"}
    assert doc.styles["公文标题"].font.size == Pt(22)
    assert doc.styles["版记"].font.size == Pt(14)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_page_numbers_and_repeating_table_headers(built, name):
    doc = Document(io.BytesIO(built[name]))
    assert doc.settings.odd_and_even_pages_header_footer
    s = doc.sections[0]
    for footer in (s.footer, s.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and "— " in footer.paragraphs[0].text and " —" in footer.paragraphs[0].text
        style = footer.paragraphs[0].style
        assert style.font.size == Pt(14) and style.element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.tables
    for table in doc.tables:
        if len(table.rows) > 1 and "{%tr for" in table.rows[1].cells[0].text:  # the lists, not the 回执 form
            assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_circular_has_red_masthead_35_mm_below_the_block_top_and_a_red_rule(built):
    doc = Document(io.BytesIO(built[CIRCULAR]))
    masthead = next(p for p in doc.paragraphs if p.text == "{{r masthead_rich }}")
    assert str(masthead.style.font.color.rgb) == "FF0000"
    assert round(masthead.paragraph_format.space_before.mm) == 35
    # an exact line as tall as the characters: their top is the line's top (no leading above)
    assert masthead.style.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert masthead.style.paragraph_format.line_spacing == Pt(30) == masthead.style.font.size
    number = next(p for p in doc.paragraphs if p.text == "{{ doc_number }}")
    bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"


def test_write_default_templates_keeps_edits_unless_forced(tmp_path):
    assert {p.name for p in write_default_templates(tmp_path)} == set(BUILDERS)
    edited = tmp_path / CIRCULAR
    edited.write_bytes(b"edited")
    assert write_default_templates(tmp_path) == []
    assert edited.read_bytes() == b"edited"
    assert edited in write_default_templates(tmp_path, force=True)
    assert edited.read_bytes() == build_template(CIRCULAR)


def test_cli_templates_command(cli):
    code, out, _ = cli("templates")
    assert code == 0 and "督查通报.docx" in out
    code, out, _ = cli("templates")
    assert code == 0 and "已保留现有模板" in out
    code, out, _ = cli("templates", "--force")
    assert code == 0 and out.count("已写入") == len(BUILDERS)  # issue 17 added the 交办单, 18 five more


def _package(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels"))}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_package_names_the_configured_faces_only(built, name):
    """WPS lists every face of the font table and theme as missing when absent: python-docx's
    default names Calibri, Cambria, ＭＳ 明朝 and two dozen others."""
    faces = set()
    for xml in _package(built[name]).values():
        for rfonts in re.findall(r"<w:rFonts [^>]*>", xml):
            faces |= set(re.findall(r'="([^"]+)"', rfonts))
        faces |= set(re.findall(r'(?:typeface|m:val)="([^"]+)"', xml))
        faces |= set(re.findall(r'<w:font w:name="([^"]+)"', xml))
    assert faces == {"仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"}
    parts = set(_package(built[name]))
    assert not {p for p in parts if "stylesWithEffects" in p or "numbering" in p or "customXml" in p}


def test_templates_are_written_with_the_faces_configured(tmp_path):
    fonts = Fonts(body="方正仿宋_GBK", title="方正小标宋_GBK", heiti="方正黑体_GBK", kaiti="方正楷体_GBK")
    write_default_templates(tmp_path, fonts=fonts)
    xml = _package((tmp_path / CIRCULAR).read_bytes())
    assert '<w:font w:name="方正仿宋_GBK">' in xml["word/fontTable.xml"] and "仿宋_GB2312" not in xml["word/styles.xml"]
    assert 'typeface="方正小标宋_GBK"' in xml["word/theme/theme1.xml"]


_ORDER = {"pPr": L._PPR, "rPr": L._RPR, "tblPr": L._TBLPR}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_properties_are_in_schema_order(built, name):
    """Word refuses a document whose property elements are out of order (LibreOffice does not mind)."""
    from lxml import etree

    for part, xml in _package(built[name]).items():
        if not part.startswith("word/"):
            continue
        for tag, order in _ORDER.items():
            for el in etree.fromstring(xml.encode()).iter(qn(f"w:{tag}")):
                names = [etree.QName(c).localname for c in el if etree.QName(c).localname in order]
                assert names == sorted(names, key=order.index), (part, tag, names)


def test_a_line_holds_28_characters_and_a_page_22_lines(built):
    doc = Document(io.BytesIO(built[CIRCULAR]))
    grid = doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and int(grid.get(qn("w:linePitch"))) == 579
    body = doc.styles[L.BODY].element.rPr
    condensed = int(body.find(qn("w:spacing")).get(qn("w:val"))) / 20  # points between characters
    assert 28 * (16 + condensed) <= Mm(156).pt < 29 * (16 + condensed)


def test_headings_keep_with_what_follows_and_annexes_start_a_page(built):
    doc = Document(io.BytesIO(built[CIRCULAR]))
    for style in (L.HEADING1, L.HEADING2, L.TITLE, L.ANNEX_LABEL, L.ANNEX_TITLE, L.SIGNATURE):
        assert doc.styles[style].paragraph_format.keep_with_next, style
    labels = [p for p in doc.paragraphs if p.style.name == L.ANNEX_LABEL]
    assert [p.text for p in labels] == ["附件{{ annex.ranking }}", "附件{{ annex.key_items }}", "附件{{ annex.lookback }}"]
    assert doc.styles[L.ANNEX_LABEL].paragraph_format.page_break_before
    assert doc.styles[L.ANNEX_LABEL].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"


def test_annex_tables_fit_their_content_in_small_type_and_rows_may_break(built):
    doc = Document(io.BytesIO(built[CIRCULAR]))
    text = doc.styles[L.TABLE_TEXT]
    assert text.font.size == Pt(12)
    assert text.element.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"
    for table in (t for t in doc.tables if "{%tr for" in t.rows[1].cells[0].text):
        headers = [c.text for c in table.rows[0].cells]
        widths = [c.width for c in table.rows[0].cells]
        assert sum(w.mm for w in widths) == pytest.approx(156, abs=0.5)
        if "整改问题" in headers:
            assert widths[headers.index("整改问题")] == max(widths)
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            assert cell._tc.tcPr.find(qn("w:noWrap")) is not None  # a header never wraps …
            assert cell.width.pt - 2 * Mm(L.CELL_MARGIN_MM).pt >= L.text_em(header) * 12  # … and has room
        for row in table.rows:
            assert row._tr.trPr is None or row._tr.trPr.find(qn("w:cantSplit")) is None


def test_the_imprint_is_a_box_at_the_foot_of_the_last_page_as_wide_as_the_text(built):
    xml = _package(built[CIRCULAR])["word/document.xml"]
    box = xml[xml.rindex("<wp:anchor"):]
    assert '<wp:positionV relativeFrom="margin"><wp:align>bottom</wp:align>' in box
    assert f'cx="{156 * 36000}"' in box and "<wp:wrapTopAndBottom/>" in box
    assert "抄送：{{ cc }}。" in box and "印发" in box
    # thick first and last rules, thin between (without 抄送, 印发 between two thick ones)
    assert box.count('w:sz="8"') == 3 and box.count('w:sz="6"') == 1
    assert "{%p if has_cc %}" in box and "{%p else %}" in box
    assert xml.index("<wp:anchor") > xml.rindex("附件{{ annex.lookback }}")


def test_the_signature_is_centred_over_the_date_four_characters_from_the_right(built):
    doc = Document(io.BytesIO(built[CIRCULAR]))
    sig = [p for p in doc.paragraphs if p.style.name == L.SIGNATURE and p.text.strip()]
    assert [p.text for p in sig] == ["\t{{ signature }}", "\t{{ issued_on }}"]
    for p in sig:
        stop = p.paragraph_format.tab_stops[0]
        assert stop.alignment == 1 or str(stop.alignment).endswith("CENTER (1)")
        assert Mm(156).pt - stop.position.pt == pytest.approx(16 * 7.5, abs=0.5)
    assert sig[0].paragraph_format.keep_with_next is None or sig[0].style.paragraph_format.keep_with_next
