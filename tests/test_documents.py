"""Document contexts and the rendered Word files, read back with python-docx."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from builders import make_config, sancha_toml
from docfixtures import AS_OF, FORMULA, NASTY, ledger, with_problem
from docx import Document
from docx.oxml.ns import qn

from pipeline.config import Fonts, parse_config
from pipeline.deadlines.states import unit_summary
from pipeline.output.documents import contexts, render, wording
from pipeline.output.documents.docx_layout import text_em
from pipeline.output.documents.templates import CIRCULAR, NOTICE, REPORT, REPORT_FEEDBACK, build_template

WJ = "\u2060"  # the word joiner that keeps an id on one line


def text_of(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Every paragraph's text (the body's, the text box's — where the 版记 is — in order) and the
    table rows (cell texts, a cell's paragraphs joined by newlines) of a .docx."""
    doc = Document(io.BytesIO(data))
    body = doc.element.body
    paragraphs = []
    marks = {qn("w:br"): "\n", qn("w:tab"): "\t"}
    for p in body.iter(qn("w:p")):
        if any(a.tag == qn("w:tbl") for a in p.iterancestors()) or p.find(".//" + qn("w:p")) is not None:
            continue  # table cells are in rows; a paragraph anchoring the 版记's box has the box's own
        text = "".join(marks.get(el.tag, el.text or "") for el in p.iter(qn("w:t"), qn("w:br"), qn("w:tab")))
        paragraphs.append(text.replace(WJ, ""))
    rows = [[c.text.replace(WJ, "") for c in r.cells] for t in doc.tables for r in t.rows]
    return paragraphs, rows


def circular(items=None, states=None, number=12, **kw) -> dict:
    base_items, base_states, _ = ledger()
    items, states = items or base_items, states or base_states
    return contexts.circular_context(make_config(), items, states, unit_summary(items, states), AS_OF, number, **kw)


def test_chinese_dates_and_numbers():
    assert contexts.cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert contexts.cn_date(date(2027, 1, 6), provisional=True) == "2027年1月6日（暂定）"
    assert contexts.doc_number("观政办", 2026, 12) == "观政办〔2026〕12号"
    assert contexts.doc_number("督办", 2026, None) == "督办〔2026〕　　号"  # a preview: the number left blank
    assert contexts.period(2026, 5) == "2026年第5期"
    assert contexts.week_key(date(2026, 11, 30)) == "2026-W49"
    assert contexts.week_key(date(2027, 1, 1)) == "2026-W53"
    assert contexts.percent(2 / 3) == "66.7%" and contexts.percent(None) == "—"
    # tables write a date of the document's year without the year, as the report column does
    assert contexts.table_date(date(2026, 10, 15), 2026) == "10月15日"
    assert contexts.table_date(date(2027, 1, 8), 2026, provisional=True) == "2027年1月8日（暂定）"


def test_circular_context_commends_and_criticises():
    ctx = circular()
    assert ctx["doc_number"] == "观政办〔2026〕12号" and ctx["period"] == "2026年第12期"
    assert ctx["commended"] == "区财政局" and ctx["commended_count"] == 1
    assert [c["unit"] for c in ctx["criticised"]] == ["区住房城乡建设局"]
    assert "逾期超过10个工作日" in ctx["criticised"][0]["reason"] and "未报送" in ctx["criticised"][0]["reason"]
    assert ctx["criticised"][0]["items"] == ["2026-0003"]
    assert [r["id"] for r in ctx["key_items"]] == ["2026-0003"]
    assert [r["id"] for r in ctx["lookback_items"]] == ["2026-0001"]
    assert next(u["unit"] for u in ctx["units"]) == "区财政局" and ctx["units"][0]["completion_rate"] == "100.0%"
    assert {u["unit"]: u["appraisal"] for u in ctx["units"]}["区住房城乡建设局"] == "批评"
    assert ctx["overview"]["total"] == 8 and ctx["overview"]["overdue"] == 2 and ctx["overview"]["overdue_rate"] == "25.0%"
    assert ctx["cc"] == "区纪委监委、区委办"
    assert [a["title"] for a in ctx["attachments"]] == ["各单位整改落实情况排名表", "重点督查事项清单", "“回头看”事项清单"]
    assert [p["no"] for p in ctx["problems"]] == ["（一）", "（二）", "（三）", "（四）"][:len(ctx["problems"])]


def test_the_provisional_note_only_when_a_printed_date_is_provisional():
    items, states, _ = ledger()
    # items 0006 and 0008 are counted on the provisional 2027 calendar, but the circular prints
    # neither: no note
    assert any(s.provisional for s in states.values()) and not circular()["provisional"]
    paragraphs, _ = text_of(render.render_docx(build_template(CIRCULAR), circular()))
    assert not any("暂定" in p for p in paragraphs)
    # the overdue count of a listed item is provisional: printed with its mark, and the note
    marked = {**states, "2026-0003": replace(states["2026-0003"], provisional=True)}
    ctx = circular(items, marked)
    assert ctx["provisional"]
    paragraphs, rows = text_of(render.render_docx(build_template(CIRCULAR), ctx))
    assert any(p.startswith("（注：标注“暂定”的日期") for p in paragraphs)
    assert any("逾期32（暂定）个工作日" in c for r in rows for c in r)


def test_circular_renders_figures_names_and_user_text_verbatim():
    paragraphs, rows = text_of(render.render_docx(build_template(CIRCULAR), circular()))
    body = "\n".join(paragraphs)
    for expected in ("大观区人民政府办公室文件", "观政办〔2026〕12号", "关于“三查三单”整改落实情况的通报\n（2026年第12期）",
                     "共登记整改问题8个", "占25.0%", "从督查情况看，", "区财政局已到期的整改问题全部按期完成",
                     "1.区住房城乡建设局：", "（编号2026-0003，责任人：张三）", "三、存在问题", "四、下一步工作",
                     "（三）强化跟踪督办。督查室将", "附件：1.各单位整改落实情况排名表", "　　　2.重点督查事项清单",
                     "抄送：区纪委监委、区委办。", "大观区人民政府办公室\t2026年11月30日印发"):
        assert expected in body, expected
    assert ["1", "区财政局", "2", "2", "2", "0", "0", "100.0%", "表扬"] in rows
    key_row = next(r for r in rows if r[0] == "2026-0003")
    # the 重点督查 list names the 责任人 under the unit (issue 18)
    assert key_row[1:] == ["区住房城乡建设局", f"老旧小区改造{NASTY}（责任人：张三）", "10月15日\n逾期32个工作日\n逾期未报送"]
    # 附件 come after the signature, the 版记 last of all
    assert body.index("\t2026年11月30日") < body.index("附件1\n") < body.index("附件3\n") < body.index("抄送")
    assert [p for p in paragraphs if p][-1].endswith("印发")


def test_many_criticised_units_are_named_in_one_sentence_and_listed_in_the_ranking():
    items, states, _ = ledger()
    late = [replace(items[2], id=f"2026-01{n:02d}", unit=unit) for n, unit in
            enumerate(["区财政局", "区住房城乡建设局", "菱湖街道", "区审计局"])]
    more_states = {**states, **{i.id: states["2026-0003"] for i in late}}
    ctx = circular([*items, *late], more_states)
    assert ctx["criticised_count"] == 4 and ctx["criticised_listed"] == []
    paragraphs, rows = text_of(render.render_docx(build_template(CIRCULAR), ctx))
    sentence = next(p for p in paragraphs if "予以通报批评（名单见附件1" in p)
    assert sentence.startswith("区住房城乡建设局（2个问题）、") and "等4个单位" in sentence
    assert sum(1 for r in rows if r[-1] == "批评") == 4


def test_empty_lists_say_none():
    items, states, _ = ledger()
    calm = {k: replace(s, key_supervision=False, lookback_due=False, report_missing=False, overdue_workdays=0)
            for k, s in states.items()}
    paragraphs, rows = text_of(render.render_docx(build_template(CIRCULAR), circular(items, calm, 1)))
    assert paragraphs.count("无。") == 2  # 重点督查, 回头看
    assert "本期无通报批评的单位。" in paragraphs
    assert not any(r[0].startswith("2026-") for r in rows)


def test_every_item_is_listed_however_many():
    items, states, _ = ledger()
    many = [replace(items[2], id=f"2026-{n:04d}") for n in range(100, 400)]
    all_states = {**states, **{i.id: states["2026-0003"] for i in many}}
    ctx = circular([*items, *many], all_states)
    assert len(ctx["key_items"]) == 301 and ctx["key_items_more"] == 0
    _, rows = text_of(render.render_docx(build_template(CIRCULAR), ctx))
    assert {r[0] for r in rows if r[0].startswith("2026-0")} >= {i.id for i in many}


def test_notice_is_numbered_copied_to_the_leader_and_has_a_receipt():
    items, states, _ = ledger()
    items = with_problem(items, "2026-0004", FORMULA)
    cfg = parse_config(CONFIG_WITH_LEADER)
    ctx = contexts.notice_context(cfg, "区住房城乡建设局", items, states, AS_OF, date(2027, 1, 6),
                                  reply_by_provisional=True, number=7)
    assert ctx["notice_number"] == "督办〔2026〕7号" and ctx["leader"] == "张三副区长"
    paragraphs, rows = text_of(render.render_docx(build_template(NOTICE), ctx))
    body = "\n".join(paragraphs)
    assert "督办〔2026〕7号" in body and "区住房城乡建设局：" in body and "有2个整改问题需要督办" in body
    assert "请于2027年1月6日（暂定）前，以单位名义" in body and "并加盖单位公章" in body
    assert body.count("0556-5502678") == 1 and "联系人及电话：区委区政府督查室" not in body  # one contact line
    assert "抄送：张三副区长。" in body and "签收回执" in body
    assert rows[0] == ["编号", "整改问题", "整改时限", "报送情况"]
    assert rows[1] == ["2026-0003", f"老旧小区改造{NASTY}", "10月15日\n逾期32个工作日", "10月20日前\n逾期未报送"]
    # the report column names the day the report came (issue 16; it said 已报送 for anything not missing)
    assert rows[2] == ["2026-0004", FORMULA, "11月20日\n逾期6个工作日", "11月25日前\n已报送（11月23日）"]
    receipt = rows[-3:]
    assert receipt[0] == ["通知单编号", "督办〔2026〕7号", "签收单位", "区住房城乡建设局"]
    assert [r[0] for r in receipt] == ["通知单编号", "签收人", "签收日期"]
    assert contexts.red_units(items, states) == ["区住房城乡建设局"]


def test_a_notice_without_a_leader_has_no_copy_line():
    items, states, _ = ledger()
    ctx = contexts.notice_context(make_config(), "区住房城乡建设局", items, states, AS_OF, date(2026, 12, 3))
    paragraphs, _ = text_of(render.render_docx(build_template(NOTICE), ctx))
    assert not any(p.startswith("抄送") for p in paragraphs) and ctx["leader"] == ""


CONFIG_WITH_LEADER = sancha_toml().replace('name = "区住房城乡建设局"', 'name = "区住房城乡建设局"\nleader = "张三副区长"') \
    .replace('doc_prefix = "观政办"', 'doc_prefix = "观政办"\nleaders_title = "区政府"')


def test_special_report_to_the_government_with_its_tables_in_annexes():
    items, states, _ = ledger()
    audit = [i for i in items if i.source == "审计"]
    ctx = contexts.report_context(make_config(), "审计", audit, states, unit_summary(audit, states), AS_OF, number=3)
    assert ctx["doc_number"] == "观政办〔2026〕3号" and ctx["addressee"] == "区人民政府："
    paragraphs, rows = text_of(render.render_docx(build_template(REPORT), ctx))
    body = "\n".join(paragraphs)
    for expected in ("观政办〔2026〕3号", "关于审计发现问题整改落实情况的专题报告", "区人民政府：", "一、基本情况",
                     "二、存在问题", "三、下一步工作建议", "特此报告。", "附件：1.各单位整改情况表", "附件3\n整改问题清单"):
        assert expected in body, expected
    assert body.index("特此报告。") < body.index("附件1\n")
    ids = [r[0] for r in rows if r[0].startswith("2026-")]
    assert sorted(set(ids)) == ["2026-0002", "2026-0004", "2026-0008"]
    assert any(r[0] == "2026-0002" and r[2].startswith(FORMULA) for r in rows)
    cfg = parse_config(CONFIG_WITH_LEADER)
    assert contexts.report_context(cfg, "审计", audit, states, [], AS_OF)["addressee"] == "区政府："


def test_report_feedback_holds_that_units_items_only():
    items, states, _ = ledger()
    audit = [i for i in items if i.source == "审计"]
    report = contexts.report_context(make_config(), "审计", audit, states, unit_summary(audit, states), AS_OF, number=3)
    ctx = contexts.report_feedback_context(report, "区住房城乡建设局", audit, states, "2026年12月3日")
    assert [r["id"] for r in ctx["items"]] == ["2026-0004"] and ctx["red_count"] == 1
    paragraphs, rows = text_of(render.render_docx(build_template(REPORT_FEEDBACK), ctx))
    body = "\n".join(paragraphs)
    assert "区住房城乡建设局：" in body and "（观政办〔2026〕3号）" in body and "于2026年12月3日前" in body
    assert [r[0] for r in rows if r[0].startswith("2026-")] == ["2026-0004"]


def test_control_characters_do_not_break_the_document():
    items, states, _ = ledger()
    items = with_problem(items, "2026-0003", "换\x0b行\x01问题")
    ctx = contexts.notice_context(make_config(), "区住房城乡建设局", items, states, AS_OF, date(2026, 12, 3))
    _, rows = text_of(render.render_docx(build_template(NOTICE), ctx))
    assert rows[1][1] == "换行问题"


def _template(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_templates_run_sandboxed():
    with pytest.raises(render.TemplateError, match="不允许"):
        render.render_docx(_template("{{ x.__class__.__mro__ }}"), {"x": "s"}, name="督查通报.docx")


@pytest.mark.parametrize(("tag", "name", "nearest"), [
    ("{{ mastehad }}", "mastehad", "masthead"),
    ("共登记整改问题{{ overview.totl }}个", "totl", "total"),
    ("{{ unti }}：", "unti", "unit"),
    ("{% for c in criticised %}{{ c.reasn }}{% endfor %}", "reasn", "reason"),
])
def test_a_misspelt_field_is_an_error_naming_the_template_the_tag_and_the_nearest_name(tag, name, nearest):
    ctx = circular()
    ctx["unit"] = "区财政局"
    with pytest.raises(render.UnknownField) as e:
        render.render_docx(_template("前面一段", tag), ctx, name="督查通报.docx")
    message = str(e.value)
    assert "模板 督查通报.docx" in message and f"“{name}”" in message and f"是否应为“{nearest}”" in message
    assert re.search(r"\{[{%].*" + name, message)  # the tag itself is quoted


def test_a_syntax_error_names_the_template_and_the_paragraph():
    with pytest.raises(render.TemplateError) as e:
        render.render_docx(_template("第一段", "截至{{ as_of }，共{{ n }}个"), {"as_of": "x", "n": 1}, name="督办通知单.docx")
    message = str(e.value)
    assert "模板 督办通知单.docx 有语法错误" in message and "截至{{ as_of }，共" in message and "括号不成对" in message


def test_titles_break_between_words_and_long_office_names_shrink_to_one_line():
    title = wording.break_title("关于人大建议和政协提案发现问题整改落实情况的专题报告")
    lines = title.split("\n")
    assert all(text_em(line) <= 20 for line in lines) and len(lines) == 2
    assert not lines[0].endswith(("情", "整", "落")) and lines[1] != lines[0]
    assert wording.break_title("关于2026年第49周“三查三单”整改落实情况的通报") == "关于2026年第49周“三查三单”\n整改落实情况的通报"
    assert wording.masthead_pt("大观区人民政府办公室文件") == 30
    long_name = "安庆市大观区人民政府办公室文件"  # 15 characters at 30 pt would overrun the 156 mm block
    assert wording.masthead_pt(long_name) * text_em(long_name) <= 156 / 25.4 * 72


def test_a_document_names_the_faces_configured_whatever_its_template_says():
    fonts = Fonts(body="方正仿宋_GBK", title="方正小标宋_GBK", heiti="黑体", kaiti="方正楷体_GBK")
    data = render.render_docx(build_template(CIRCULAR), circular(), fonts=fonts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("word/") and n.endswith(".xml"))
    assert "仿宋_GB2312" not in xml and "方正小标宋简体" not in xml and "楷体_GB2312" not in xml
    assert 'w:eastAsia="方正仿宋_GBK"' in xml and 'typeface="方正小标宋_GBK"' in xml and 'w:eastAsia="方正楷体_GBK"' in xml


def test_missing_template_is_a_clear_error(tmp_path):
    with pytest.raises(render.DocumentError, match="sancha templates"):
        render.template_bytes(tmp_path, CIRCULAR)


def test_pdf_is_optional(monkeypatch, tmp_path):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    assert render.soffice() is None
    assert render.convert_to_pdf([tmp_path / "a.docx"]) == []
