"""The Word templates: reproducible, shipped as built, GB/T 9704-2012 layout, docxtpl-ready."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from builders import make_config
from docfixtures import AS_OF, ledger
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.output.documents import contexts, render
from pipeline.output.documents.templates import (
    BUILDERS,
    CIRCULAR,
    NOTICE,
    REPORT,
    build_template,
    write_default_templates,
)

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def sample_contexts() -> dict[str, dict]:
    cfg = make_config()
    items, states, summaries = ledger()
    audit = [i for i in items if i.source == "审计"]
    from pipeline.deadlines.states import unit_summary

    return {
        CIRCULAR: contexts.circular_context(cfg, items, states, summaries, AS_OF, 12),
        NOTICE: contexts.notice_context(cfg, "区住房城乡建设局", items, states, AS_OF, date(2026, 12, 3)),
        REPORT: contexts.report_context(cfg, "审计", audit, states, unit_summary(audit, states), AS_OF),
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
    ctx = sample_contexts()[name]
    assert render.undeclared_variables(built[name]) <= set(ctx)


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
        assert footer.paragraphs[0].runs[0].font.size == Pt(14)
        assert footer.paragraphs[0].runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.tables
    for table in doc.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_circular_has_red_masthead_and_rule(built):
    doc = Document(io.BytesIO(built[CIRCULAR]))
    masthead = next(p for p in doc.paragraphs if p.text == "{{ masthead }}")
    assert str(masthead.style.font.color.rgb) == "FF0000"
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
    assert code == 0 and out.count("已写入") == 3
