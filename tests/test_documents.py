"""Document contexts and the rendered Word files, read back with python-docx."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import jinja2
import pytest
from builders import make_config
from docfixtures import AS_OF, FORMULA, NASTY, ledger, with_problem
from docx import Document

from pipeline.deadlines.states import unit_summary
from pipeline.output.documents import contexts, render
from pipeline.output.documents.templates import CIRCULAR, NOTICE, REPORT, build_template


def text_of(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Paragraph texts and table rows (cell texts) of a .docx."""
    doc = Document(io.BytesIO(data))
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    return [p.text for p in doc.paragraphs], rows


def test_chinese_dates_and_numbers():
    assert contexts.cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert contexts.cn_date(date(2027, 1, 6), provisional=True) == "2027年1月6日（暂定）"
    assert contexts.doc_number("观政办", 2026, 12) == "观政办〔2026〕12号"
    assert contexts.week_key(date(2026, 11, 30)) == "2026-W49"
    assert contexts.week_key(date(2027, 1, 1)) == "2026-W53"
    assert contexts.percent(2 / 3) == "66.7%" and contexts.percent(None) == "—"


def test_circular_context_commends_and_criticises():
    items, states, summaries = ledger()
    ctx = contexts.circular_context(make_config(), items, states, summaries, AS_OF, 12)
    assert ctx["doc_number"] == "观政办〔2026〕12号"
    assert ctx["commended"] == "区财政局"
    assert [c["unit"] for c in ctx["criticised"]] == ["区住房城乡建设局"]
    assert "逾期超过10个工作日" in ctx["criticised"][0]["reason"] and "未报送" in ctx["criticised"][0]["reason"]
    assert [r["id"] for r in ctx["key_items"]] == ["2026-0003"]
    assert [r["id"] for r in ctx["lookback_items"]] == ["2026-0001"]
    assert next(u["unit"] for u in ctx["units"]) == "区财政局" and ctx["units"][0]["completion_rate"] == "100.0%"
    assert ctx["overview"]["total"] == 8 and ctx["overview"]["overdue"] == 2
    assert ctx["provisional"] and ctx["cc"] == "区纪委监委、区委办"


def test_appraisal_rules_are_configurable():
    items, states, _ = ledger()
    strict = contexts.AppraisalRules(commend_min_due=3, criticise_overdue_workdays=40, criticise_report_missing=False)
    commended, criticised = contexts.appraise(items, states, AS_OF, strict)
    assert commended == [] and criticised == []
    lenient = contexts.AppraisalRules(criticise_overdue_workdays=5)
    _, criticised = contexts.appraise(items, states, AS_OF, lenient)
    assert "2项整改问题逾期超过5个工作日" in criticised[0]["reason"]


def test_circular_renders_figures_names_and_user_text_verbatim():
    items, states, summaries = ledger()
    ctx = contexts.circular_context(make_config(), items, states, summaries, AS_OF, 12)
    paragraphs, rows = text_of(render.render_docx(build_template(CIRCULAR), ctx))
    body = "\n".join(paragraphs)
    for expected in ("大观区人民政府办公室文件", "观政办〔2026〕12号", "关于2026年第49周“三查三单”整改落实情况的通报",
                     "共登记整改问题8个", "区财政局。", "区住房城乡建设局：", "抄送：区纪委监委、区委办。",
                     "2026年11月30日印发", "暂定"):
        assert expected in body, expected
    assert ["1", "区财政局", "2", "2", "2", "0", "0", "100.0%"] in rows
    key_row = next(r for r in rows if r[0] == "2026-0003")
    assert key_row[2] == f"老旧小区改造{NASTY}" and key_row[4] == "32"
    assert paragraphs[-1].endswith("印发")  # the 版记 closes the document


def test_empty_lists_say_none():
    items, states, summaries = ledger()
    calm = {k: replace(s, key_supervision=False, lookback_due=False, report_missing=False, overdue_workdays=0)
            for k, s in states.items()}
    ctx = contexts.circular_context(make_config(), items, calm, summaries, AS_OF, 1)
    paragraphs, rows = text_of(render.render_docx(build_template(CIRCULAR), ctx))
    assert paragraphs.count("无。") == 3  # criticised, 重点督查, 回头看
    assert not any(r[0].startswith("2026-") for r in rows)


def test_notice_lists_red_items_and_reply_date():
    items, states, _ = ledger()
    items = with_problem(items, "2026-0004", FORMULA)
    ctx = contexts.notice_context(make_config(), "区住房城乡建设局", items, states, AS_OF, date(2027, 1, 6),
                                  reply_by_provisional=True)
    paragraphs, rows = text_of(render.render_docx(build_template(NOTICE), ctx))
    body = "\n".join(paragraphs)
    assert "区住房城乡建设局：" in body and "有2项整改问题需要督办" in body
    assert "请于2027年1月6日（暂定）前" in body and "0556-5502678" in body
    assert rows[1] == ["2026-0003", f"老旧小区改造{NASTY}", "2026年10月15日", "2026年10月20日", "32", "逾期未报送"]
    assert rows[2] == ["2026-0004", FORMULA, "2026年11月20日", "2026年11月25日", "6", "已报送"]
    assert contexts.red_units(items, states) == ["区住房城乡建设局"]


def test_special_report_on_one_source():
    items, states, _ = ledger()
    audit = [i for i in items if i.source == "审计"]
    ctx = contexts.report_context(make_config(), "审计", audit, states, unit_summary(audit, states), AS_OF)
    paragraphs, rows = text_of(render.render_docx(build_template(REPORT), ctx))
    assert "关于审计发现问题整改落实情况的专题报告" in paragraphs
    ids = [r[0] for r in rows if r[0].startswith("2026-")]
    assert sorted(set(ids)) == ["2026-0002", "2026-0004", "2026-0008"]
    assert any(r[0] == "2026-0002" and r[2].startswith(FORMULA) for r in rows)


def test_control_characters_do_not_break_the_document():
    items, states, _ = ledger()
    items = with_problem(items, "2026-0003", "换\x0b行\x01问题")
    ctx = contexts.notice_context(make_config(), "区住房城乡建设局", items, states, AS_OF, date(2026, 12, 3))
    _, rows = text_of(render.render_docx(build_template(NOTICE), ctx))
    assert rows[1][1] == "换行问题"


def test_templates_run_sandboxed():
    from docx import Document as New

    doc = New()
    doc.add_paragraph("{{ x.__class__.__mro__ }}")
    buf = io.BytesIO()
    doc.save(buf)
    with pytest.raises(jinja2.exceptions.SecurityError):
        render.render_docx(buf.getvalue(), {"x": "s"})


def test_missing_template_is_a_clear_error(tmp_path):
    with pytest.raises(render.DocumentError, match="sancha templates"):
        render.template_bytes(tmp_path, CIRCULAR)


def test_pdf_is_optional(monkeypatch, tmp_path):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert render.soffice() is None
    assert render.convert_to_pdf([tmp_path / "a.docx"]) == []


def test_long_lists_are_capped_with_a_count():
    items, states, _summaries = ledger()
    many = {k: replace(s, key_supervision=True) for k, s in states.items()}
    ctx = contexts.circular_context(make_config(), items, many, unit_summary(items, many), AS_OF, 1, max_listed=3)
    assert len(ctx["key_items"]) == 3 and ctx["key_items_more"] == 5
    assert {"2026-0003", "2026-0004"} <= {r["id"] for r in ctx["key_items"]}  # the most overdue are listed
    paragraphs, _ = text_of(render.render_docx(build_template(CIRCULAR), ctx))
    assert "另有5项未列出，详见三单工作台帐。" in paragraphs
