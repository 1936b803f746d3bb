"""The Word templates, built reproducibly from code (layout in docx_layout.py, GB/T 9704-2012).

`build_template(name) -> bytes` gives byte-identical output on every run (fixed zip
timestamps), so the shipped `templates/*.docx` can be checked against this builder. The office
may edit its workspace copies in Word — the fixed sentences (下一步, 办理要求, 特此报告 …) live here,
in the templates, for that reason; `write_default_templates(dir, force)` restores them.

The documents:
- 督查通报 — red 发文机关标志, 发文字号, a body of one to three pages (总体情况 with an assessment,
  表扬和批评, 存在问题, 下一步工作), 附件说明, signature; then the lists as 附件, each on a new
  page; the 版记 at the foot of the last page.
- 督办通知单 — numbered, the unit's red items, 办理要求, 抄送 its 分管领导, a tear-off 签收回执.
- 专题报告 — to 区人民政府: 一、基本情况 二、存在问题 三、下一步工作建议, 特此报告, tables in 附件.
- 专题报告反馈 — the unit's part of a 专题报告, to that unit.
- 临期提醒单, 督办告诫单 (with its 签收回执) — the ladder's steps before and after the 督办通知单;
- 问责建议清单, 需上级协调事项清单 — lists for the district's leaders (deadlines.ladder);
- 考核结果通报 — the evaluation of a period (deadlines.scoring): ranking, commended, criticised.

docxtpl rules kept here: every tag sits in one run, table rows repeat with `{%tr for … %}` /
`{%tr endfor %}` rows of their own, conditional blocks use `{%p … %}` paragraphs of their own.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from docx.shared import Pt

from pipeline.config import Fonts
from pipeline.output.documents import docx_layout as L
from pipeline.output.documents.docx_layout import Column

CIRCULAR = "督查通报.docx"
NOTICE = "督办通知单.docx"
REPORT = "专题报告.docx"
REPORT_FEEDBACK = "专题报告反馈.docx"
REMINDER = "临期提醒单.docx"
WARNING = "督办告诫单.docx"
ACCOUNTABILITY = "问责建议清单.docx"
ESCALATIONS = "需上级协调事项清单.docx"
SCORES = "考核结果通报.docx"
ASSIGNMENT = "交办单.docx"  # issue 17: a problem list's problems assigned to their lead unit

# Content widths in ems: digits are half an em in 仿宋_GB2312, and Word and LibreOffice add about a
# quarter em between Chinese characters and digits (autospace; LibreOffice ignores the switch).
DATE_EMS = 5  # 12月31日 (4 ems and 4 gaps; a date of another year takes two lines)
OVERDUE_EMS = 7.6  # 逾期31个工作日 (6 ems, 2 gaps), 2027年1月8日 (6 ems, 4 gaps)
ID_EMS = 4.8  # 2026-0001

# -- tables ------------------------------------------------------------------------------------

RANKING = [
    Column("排名", "u.rank", 2),
    Column("单位", "u.unit", flex=1),
    Column("问题数", "u.total", 2),
    Column("已完成", "u.done", 2),
    Column("按期完成", "u.done_on_time", 2),
    Column("逾期", "u.overdue", 2),
    Column("未报送", "u.report_missing", 2),
    Column("完成率", "u.completion_rate", 3.5),
    Column("通报", "u.appraisal", 2),
]
ID = Column("编号", "r.id", ID_EMS)
UNIT = Column("责任单位", "r.unit", 5)
PROBLEM = Column("整改问题", "r.problem", flex=1)
PROBLEM_NAMED = Column("整改问题", "r.problem_named", flex=1)  # the problem（责任人：…）


REPORT_ALWAYS, REPORT_IF_MISSING, REPORT_APART = "always", "missing", "apart"


def _deadline_cell(table, col: int, report: str) -> None:
    """整改时限, then 逾期N个工作日 when overdue, then the report's standing — always, or only when
    missing (the 重点督查 list), or not here (a 报送情况 column of its own) — one cell, so the
    problem column keeps the width."""
    cell = table.rows[2].cells[col]
    first = cell.paragraphs[0]
    lines = ["{%p if r.late_workdays %}", "逾期{{ r.overdue_workdays }}个工作日", "{%p endif %}"]
    if report == REPORT_ALWAYS:
        lines += ["{{ r.report }}"]
    elif report == REPORT_IF_MISSING:
        lines += ["{%p if r.report_missing %}", "{{ r.report }}", "{%p endif %}"]
    for text in lines:
        p = cell.add_paragraph(text, style=first.style)
        p.alignment = first.alignment


def _problem_notes(table, col: int) -> None:
    """Under the problem (issue 17): the milestones missed (滞后), and 责任人未明确."""
    cell = table.rows[2].cells[col]
    first = cell.paragraphs[0]
    for text in ("{%p if r.missed %}", "滞后：{{ r.missed }}", "{%p endif %}",
                 "{%p if r.owner_missing %}", "（责任人未明确）", "{%p endif %}"):
        p = cell.add_paragraph(text, style=first.style)
        p.alignment = first.alignment


def _report_cell(table, col: int) -> None:
    """报送情况: the date the report is due by (报送期限), then the report's standing — which
    says that date itself while the report is still to come (待报送（M月D日前）)."""
    cell = table.rows[2].cells[col]
    first = cell.paragraphs[0]
    first.runs[0].text = "{{ r.report_due }}前"
    first.insert_paragraph_before("{%p if not r.report_pending %}", style=first.style)
    cell.add_paragraph("{%p endif %}", style=first.style)
    cell.add_paragraph("{{ r.report }}", style=first.style).alignment = first.alignment


def _item_table(doc, columns: list[Column], loop: str, *, deadline_col: int | None = None,
                report: str = REPORT_ALWAYS) -> None:
    L.table(doc, columns, loop, left_align=("r.problem", "r.problem_named"))
    if deadline_col is not None:
        _deadline_cell(doc.tables[-1], deadline_col, report)


def _key_table(doc, loop: str = "r in key_items") -> None:
    """重点督查: the problem followed by its 责任领导 and 责任人 (when the rules name persons)."""
    _item_table(doc, [ID, UNIT, PROBLEM_NAMED, Column("整改时限", "r.deadline", OVERDUE_EMS)], loop, deadline_col=3,
                report=REPORT_IF_MISSING)


def _persons_line(table, col: int) -> None:
    """The item's 责任领导 and 责任人 under its unit (when the rules name persons)."""
    cell = table.rows[2].cells[col]
    first = cell.paragraphs[0]
    for text in ("{%p if r.persons %}", "{{ r.persons }}", "{%p endif %}"):
        cell.add_paragraph(text, style=first.style).alignment = first.alignment


def _optional(doc, key: str, build: Callable[[], None], none_text: str = "无。") -> None:
    L.para(doc, f"{{%p if {key} %}}")
    build()
    L.para(doc, "{%p else %}")
    L.para(doc, none_text)
    L.para(doc, "{%p endif %}")


# -- pieces shared by the documents --------------------------------------------------------------


def _head(doc) -> None:
    """发文机关标志, 发文字号 over the red rule, the title two lines below, one blank line."""
    L.masthead(doc, "{{r masthead_rich }}")
    L.doc_number_rule(doc, "{{ doc_number }}")
    p = L.para(doc, "{{ title }}", L.TITLE)
    p.paragraph_format.space_before = L.LINE_PITCH * 2
    L.blank(doc)


def _run_in(doc, fonts: Fonts, heading: str, text: str) -> None:
    """（一）Heading. text — the heading in 楷体, run in with its paragraph (two runs)."""
    p = L.para(doc, heading, L.BODY)
    L.set_face(p.runs[0]._r, fonts.kaiti)
    p.add_run(text)


def _problems(doc, fonts: Fonts, none_text: str) -> None:
    """存在问题: one paragraph per problem the figures show (`problems` in the context)."""
    L.para(doc, "{%p for p in problems %}")
    _run_in(doc, fonts, "{{ p.no }}{{ p.heading }}", "{{ p.text }}")
    L.para(doc, "{%p else %}")
    L.para(doc, none_text)
    L.para(doc, "{%p endfor %}")


def _annex_note(doc) -> None:
    """附件说明 under the body: 附件：1. … then the others aligned under the first number."""
    L.blank(doc)
    L.para(doc, "{%p for a in attachments %}", L.ANNEX_NOTE)
    L.para(doc, "{{ a.lead }}{{ a.n }}.{{ a.title }}", L.ANNEX_NOTE)
    L.para(doc, "{%p endfor %}", L.ANNEX_NOTE)


def _annex_note_line(doc, text: str) -> None:
    """A line under an 附件's title saying what the list holds (4号, centred)."""
    p = L.para(doc, text, L.DOC_NUMBER)
    p.runs[0].font.size = Pt(L.SMALL_PT)
    L.keep_with_next(p)


def _signed(doc) -> None:
    L.blank(doc, 2, L.SIGNATURE)
    L.signature(doc, "{{ signature }}", "{{ issued_on }}")


def _provisional_note(doc) -> None:
    L.para(doc, "{%p if provisional %}")
    L.para(doc, "（注：标注“暂定”的日期按暂定工作日历推算，国务院公布节假日安排后以正式日历为准。）")
    L.para(doc, "{%p endif %}")


# -- the documents -------------------------------------------------------------------------------


def build_circular(fonts: Fonts):
    doc = L.new_document(fonts)
    _head(doc)
    L.para(doc, "{{ addressee }}", L.ADDRESSEE)
    L.para(doc, "现将全区“三查三单”整改落实情况通报如下。")
    L.para(doc, "一、总体情况", L.HEADING1)
    L.para(doc, (
        "截至{{ as_of }}，“三查三单”工作台帐共登记整改问题{{ overview.total }}个，涉及{{ overview.units }}个单位。"
        "其中，已完成{{ overview.done }}个（按期完成{{ overview.done_on_time }}个），"
        "完成率{{ overview.completion_rate }}；逾期未完成{{ overview.overdue }}个，占{{ overview.overdue_rate }}；"
        "逾期未报送整改情况{{ overview.report_missing }}个；临期{{ overview.due_soon }}个，"
        "{% if overview.behind %}未按时间节点推进（滞后）{{ overview.behind }}个，{% endif %}"
        "{% if overview.measures_missing %}未报送整改措施{{ overview.measures_missing }}个，{% endif %}"
        "长期坚持{{ overview.ongoing }}个。各单位整改落实情况排名见附件{{ annex.ranking }}。"
        "{% if inspection_reports %}检查报告报送情况：{{ inspection_reports }}。{% endif %}"
    ))
    L.para(doc, "{%p if period_text %}")
    L.para(doc, "{{ period_text }}")
    L.para(doc, "{%p endif %}")
    L.para(doc, "从督查情况看，{{ assessment }}")
    _provisional_note(doc)

    L.para(doc, "二、表扬和批评", L.HEADING1)
    L.para(doc, "（一）通报表扬", L.HEADING2)
    L.para(doc, "{%p if commended_count %}")
    L.para(doc, "{{ commended_names }}已到期的整改问题全部按期完成，并按时报送整改情况，予以通报表扬。")
    L.para(doc, "{%p else %}")
    L.para(doc, "本期无通报表扬的单位。")
    L.para(doc, "{%p endif %}")
    L.para(doc, "（二）通报批评", L.HEADING2)
    L.para(doc, "{%p if criticised_listed %}")
    L.para(doc, "以下单位有整改问题逾期超过{{ key_overdue_workdays }}个工作日仍未完成"
                "或逾期未报送整改情况，予以通报批评：")
    L.para(doc, "{%p for c in criticised_listed %}")
    L.para(doc, "{{ c.no }}.{{ c.unit }}：{{ c.reason }}（{{ c.item_text }}{{ c.persons_text }}）。")
    L.para(doc, "{%p endfor %}")
    L.para(doc, "{%p elif criticised %}")
    L.para(doc, "{{ criticised_names }}等{{ criticised_count }}个单位有整改问题"
                "逾期超过{{ key_overdue_workdays }}个工作日仍未完成或逾期未报送整改情况，予以通报批评"
                "（名单见附件{{ annex.ranking }}，问题见附件{{ annex.key_items }}）。")
    L.para(doc, "{%p else %}")
    L.para(doc, "本期无通报批评的单位。")
    L.para(doc, "{%p endif %}")

    L.para(doc, "{%p if escalated_count %}")
    L.para(doc, "另有{{ escalated_count }}个整改问题超出单位职责、需上级协调解决（{{ escalated_units }}），"
                "已书面报送，列入需上级协调事项清单，暂不计入逾期。")
    L.para(doc, "{%p endif %}")
    L.para(doc, "三、存在问题", L.HEADING1)
    _problems(doc, fonts, "本期督查未发现突出问题。")

    L.para(doc, "四、下一步工作", L.HEADING1)
    for heading, text in [
        ("（一）压实整改责任。", "各单位要对照附件逐项落实整改措施和责任人。被通报批评的单位和有重点督查事项的单位，"
         "要于收到本通报后{{ reply_workdays }}个工作日内，以单位名义书面报送整改进展和逾期原因，并加盖单位公章。"),
        ("（二）按时报送整改情况。", "整改时限届满后{{ report_workdays }}个工作日内报送整改情况；"
         "确需延期的，须在时限届满前书面申请。"),
        ("（三）强化跟踪督办。", "督查室将对重点督查事项实行预警督办、跟踪到底，对已办结事项开展“回头看”，"
         "对整改到位的事项予以销号；对整改不力的，提请有关部门问责。督查结果纳入年度目标绩效考核。"),
    ]:
        _run_in(doc, fonts, heading, text)
    _annex_note(doc)
    _signed(doc)

    L.annex_page(doc, "附件{{ annex.ranking }}", "各单位整改落实情况排名表")
    L.table(doc, RANKING, "u in units")
    L.annex_page(doc, "附件{{ annex.key_items }}", "重点督查事项清单")
    _annex_note_line(doc, "（逾期超过{{ key_overdue_workdays }}个工作日或逾期未报送的问题，"
                          "共{{ overview.key_supervision }}个）")
    _optional(doc, "key_items", lambda: _key_table(doc))
    L.annex_page(doc, "附件{{ annex.lookback }}", "“回头看”事项清单")
    _annex_note_line(doc, "（已办结满{{ lookback_days }}日、尚未“回头看”的问题，共{{ overview.lookback }}个）")
    _optional(doc, "lookback_items", lambda: _lookback_table(doc))
    L.imprint(doc, "{{ office_name }}\t{{ issued_on }}印发", cc="抄送：{{ cc }}。", cc_if="has_cc")
    return doc


def _evidence_cell(table, col: int) -> None:
    """Under the 完成日期: 报送已完成但未附佐证材料, where the office requires 佐证材料 and there is none."""
    cell = table.rows[2].cells[col]
    first = cell.paragraphs[0]
    for text in ("{%p if r.evidence_mark %}", "{{ r.evidence_mark }}", "{%p endif %}"):
        cell.add_paragraph(text, style=first.style).alignment = first.alignment


def _lookback_table(doc) -> None:
    _item_table(doc, [ID, UNIT, PROBLEM, Column("完成日期", "r.done_on", OVERDUE_EMS)], "r in lookback_items")
    _evidence_cell(doc.tables[-1], 3)


def build_notice(fonts: Fonts):
    doc = L.new_document(fonts)
    L.para(doc, "{{ title }}", L.TITLE)
    p = L.para(doc, "{{ notice_number }}", L.DOC_NUMBER)
    p.paragraph_format.space_before = Pt(L.LINE_PITCH.pt * 0.5)
    L.blank(doc)
    L.para(doc, "{{ unit }}：", L.ADDRESSEE)
    L.para(doc, (
        "截至{{ as_of }}，你单位在“三查三单”工作台帐中有{{ count }}个整改问题需要督办"
        "（逾期未完成{{ overdue_count }}个，逾期未报送整改情况{{ missing_count }}个"
        "{% if measures_missing_count %}，未报送整改措施{{ measures_missing_count }}个{% endif %}"
        "{% if behind_count %}，未按时间节点推进{{ behind_count }}个{% endif %}），具体如下："
    ))
    _item_table(doc, [ID, PROBLEM, Column("整改时限", "r.deadline", OVERDUE_EMS),
                      Column("报送情况", "r.report", 5.5)], "r in items", deadline_col=2, report=REPORT_APART)
    _report_cell(doc.tables[-1], 3)
    _problem_notes(doc.tables[-1], 1)
    L.para(doc, "{%p if no_evidence_items %}")
    L.para(doc, "另有{{ no_evidence_count }}个问题报送已完成但未附佐证材料，请一并报送佐证材料（文件名以编号开头，"
                "如“编号_整改照片.jpg”，放入你单位的收件文件夹）：")
    _item_table(doc, [ID, PROBLEM, Column("完成日期", "r.done_on", OVERDUE_EMS)], "r in no_evidence_items")
    _evidence_cell(doc.tables[-1], 2)
    L.para(doc, "{%p endif %}")
    L.para(doc, "办理要求", L.HEADING1)
    L.para(doc, "1.请于{{ reply_by }}前，以单位名义将上述问题的整改进展、逾期原因和下一步措施书面报送督查室，"
                "并加盖单位公章。")
    L.para(doc, "2.确因客观原因不能如期完成的，须说明原因，提出完成时限和保障措施。")
    L.para(doc, "3.逾期仍未整改或未报送的，列入重点督查并在督查通报中予以通报批评。")
    _provisional_note(doc)
    L.para(doc, "{%p if contact_line %}")
    L.para(doc, "{{ contact_line }}")
    L.para(doc, "{%p endif %}")
    _signed(doc)
    _cc_leader(doc)

    _receipt(doc)
    return doc


def _receipt(doc) -> None:
    """The tear-off 签收回执 of a notice (unit, 签收人, date; the 公章 asked in the body)."""
    cut = L.para(doc, "（请沿此线剪下，签收后交回督查室）", L.DOC_NUMBER)
    cut.paragraph_format.space_before = Pt(L.LINE_PITCH.pt * 0.5)
    cut.runs[0].font.size = Pt(L.SMALL_PT)
    L.border(cut, "top", 4, space=4, val="dashed")
    L.keep_with_next(cut)
    L.para(doc, "签收回执", L.ANNEX_TITLE)
    L.form(doc, [["通知单编号", "{{ notice_number }}", "签收单位", "{{ unit }}"],
                 ["签收人", "", "联系电话", ""],
                 ["签收日期", "　　年　　月　　日", "备注", ""]], (29, 49, 24, 54))


def _unit_notice_head(doc, addressee: str = "{{ unit }}：") -> None:
    L.para(doc, "{{ title }}", L.TITLE)
    p = L.para(doc, "{{ notice_number }}", L.DOC_NUMBER)
    p.paragraph_format.space_before = Pt(L.LINE_PITCH.pt * 0.5)
    L.blank(doc)
    L.para(doc, addressee, L.ADDRESSEE)


def _contact(doc) -> None:
    L.para(doc, "{%p if contact_line %}")
    L.para(doc, "{{ contact_line }}")
    L.para(doc, "{%p endif %}")


def _cc_leader(doc) -> None:
    L.para(doc, "{%p if leader %}")
    cc = L.para(doc, "抄送：{{ leader }}。", L.IMPRINT)
    cc.paragraph_format.space_before = Pt(L.LINE_PITCH.pt * 0.5)
    cc.paragraph_format.left_indent = Pt(L.SMALL_PT)
    L.border(cc, "top", L.THICK_RULE)
    L.border(cc, "bottom", L.THICK_RULE)
    L.para(doc, "{%p endif %}")


def build_reminder(fonts: Fonts):
    doc = L.new_document(fonts)
    _unit_notice_head(doc)
    L.para(doc, "截至{{ as_of }}，你单位在“三查三单”工作台帐中有{{ count }}个整改问题将在"
                "{{ due_soon_workdays }}个工作日内到期，具体如下：")
    _item_table(doc, [ID, PROBLEM, Column("整改时限", "r.deadline", DATE_EMS), Column("责任人", "r.owner", 4)],
                "r in items")
    L.para(doc, "请你单位对照整改时限抓紧推进，确保按期整改到位，并于整改时限届满后{{ report_workdays }}个工作日内"
                "书面报送整改情况。确因客观原因不能按期完成的，须在时限届满前书面申请延期。")
    _provisional_note(doc)
    _contact(doc)
    _signed(doc)
    return doc


def build_warning(fonts: Fonts):
    doc = L.new_document(fonts)
    _unit_notice_head(doc)
    L.para(doc, "截至{{ as_of }}，你单位有{{ count }}个整改问题经督办后仍未整改到位或未按期回复，现予告诫：")
    _item_table(doc, [ID, PROBLEM, Column("整改时限", "r.deadline", OVERDUE_EMS),
                      Column("告诫原因", "r.reason", 7)], "r in items", deadline_col=2, report=REPORT_IF_MISSING)
    L.para(doc, "办理要求", L.HEADING1)
    L.para(doc, "1.请于{{ reply_by }}前，由单位主要负责人签字并加盖单位公章，书面说明未整改到位、未按期回复的原因，"
                "提出整改措施和完成时限。")
    L.para(doc, "2.告诫后{{ accountability_workdays }}个工作日内仍未整改到位的，列入问责建议清单，"
                "报区领导和纪检监察机关。")
    _provisional_note(doc)
    _contact(doc)
    _signed(doc)
    _cc_leader(doc)
    _receipt(doc)
    return doc


def build_accountability(fonts: Fonts):
    doc = L.new_document(fonts)
    _unit_notice_head(doc, "{{ addressee }}")
    L.para(doc, "截至{{ as_of }}，以下{{ units_count }}个单位的{{ count }}个整改问题经督办、告诫后"
                "{{ warn_workdays }}个工作日仍未整改到位，建议依规依纪启动约谈或问责程序：")
    _item_table(doc, [ID, UNIT, PROBLEM, Column("责任领导", "r.leader", 4), Column("责任人", "r.owner", 4),
                      Column("督办经过", "r.history", 9)], "r in items")
    _provisional_note(doc)
    _signed(doc)
    L.imprint(doc, "{{ office_name }}\t{{ issued_on }}印发", cc="抄送：{{ cc }}。", cc_if="has_cc")
    return doc


def build_escalations(fonts: Fonts):
    doc = L.new_document(fonts)
    L.para(doc, "{{ title }}", L.TITLE)
    L.blank(doc)
    L.para(doc, "{{ addressee }}", L.ADDRESSEE)
    L.para(doc, "截至{{ as_of }}，{{ units_count }}个单位的{{ count }}个整改问题超出本单位职责、需上级协调解决，"
                "已按程序书面报送，具体如下：")
    _item_table(doc, [ID, UNIT, PROBLEM, Column("需协调事项", "r.reason", 9), Column("上报情况", "r.escalated", 6)],
                "r in items")
    _persons_line(doc.tables[-1], 1)
    _signed(doc)
    L.imprint(doc, "{{ office_name }}\t{{ issued_on }}印发", cc="抄送：{{ cc }}。", cc_if="has_cc")
    return doc


def build_scores(fonts: Fonts):
    doc = L.new_document(fonts)
    _head(doc)
    L.para(doc, "{{ addressee }}", L.ADDRESSEE)
    L.para(doc, "根据“三查三单”制度，督查结果作为年度工作考评的重要依据。现将{{ period_title }}"
                "（{{ period_from }}至{{ period_to }}）各单位整改落实考核结果通报如下。")
    L.para(doc, "一、考核结果", L.HEADING1)
    L.para(doc, "各单位以{{ base }}分为基础，按期完成、通报表扬加分，逾期未完成、逾期未报送、督办未按期回复、"
                "督办告诫、问责建议、通报批评扣分。参加考核的{{ count }}个单位平均得分{{ average }}分，"
                "得分和排名见附件，每一分的依据见考核得分表明细。")
    L.para(doc, "二、表扬和批评", L.HEADING1)
    L.para(doc, "{%p if commended %}")
    L.para(doc, "{{ commended }}得分位居前列，予以通报表扬。")
    L.para(doc, "{%p else %}")
    L.para(doc, "本期无通报表扬的单位。")
    L.para(doc, "{%p endif %}")
    L.para(doc, "{%p if criticised %}")
    L.para(doc, "以下单位得分低于{{ criticise_below }}分，予以通报批评：")
    L.para(doc, "{%p for c in criticised %}")
    L.para(doc, "{{ c.no }}.{{ c.unit }}（{{ c.score }}分）：{{ c.reason }}{{ c.persons_text }}。")
    L.para(doc, "{%p endfor %}")
    L.para(doc, "{%p else %}")
    L.para(doc, "本期无通报批评的单位。")
    L.para(doc, "{%p endif %}")
    L.para(doc, "被通报批评的单位要认真查找原因，于收到本通报后{{ reply_workdays }}个工作日内书面报送整改措施。")
    L.blank(doc)
    L.para(doc, "附件：各单位考核得分排名表", L.ANNEX_NOTE)
    _signed(doc)
    L.annex_page(doc, "附件", "各单位考核得分排名表")
    L.table(doc, [Column("排名", "u.rank", 2), Column("单位", "u.unit", flex=1), Column("得分", "u.score", 3),
                  Column("按期完成", "u.done_on_time", 2), Column("逾期", "u.overdue", 2),
                  Column("未报送", "u.report_missing", 2), Column("迟报", "u.report_late", 2),
                  Column("未回复", "u.notice_unanswered", 2), Column("告诫", "u.warning", 2),
                  Column("问责", "u.accountability", 2)], "u in units")
    L.imprint(doc, "{{ office_name }}\t{{ issued_on }}印发", cc="抄送：{{ cc }}。", cc_if="has_cc")
    return doc


def _report_tables(doc, annex: dict[str, str]) -> None:
    L.annex_page(doc, f"附件{annex['ranking']}", "各单位整改情况表")
    L.table(doc, RANKING[:-1], "u in units")
    L.annex_page(doc, f"附件{annex['key_items']}", "重点督查事项清单")
    _optional(doc, "key_items", lambda: _key_table(doc))
    L.annex_page(doc, f"附件{annex['items']}", "整改问题清单")
    _item_table(doc, [ID, UNIT, PROBLEM, Column("整改时限", "r.deadline", OVERDUE_EMS), Column("状态", "r.state", 4)],
                "r in items", deadline_col=3)


def build_report(fonts: Fonts):
    doc = L.new_document(fonts)
    _head(doc)
    L.para(doc, "{{ addressee }}", L.ADDRESSEE)
    L.para(doc, "根据“三查三单”制度要求，督查室对{{ source }}发现问题的整改落实情况进行了专项督查。"
                "现将有关情况报告如下：")
    L.para(doc, "一、基本情况", L.HEADING1)
    L.para(doc, (
        "截至{{ as_of }}，“三查三单”工作台帐中来源为“{{ source }}”的整改问题共{{ overview.total }}个，"
        "涉及{{ overview.units }}个单位。其中，已完成{{ overview.done }}个（按期完成{{ overview.done_on_time }}个），"
        "完成率{{ overview.completion_rate }}；逾期未完成{{ overview.overdue }}个，占{{ overview.overdue_rate }}；"
        "逾期未报送整改情况{{ overview.report_missing }}个；"
        "临期{{ overview.due_soon }}个，"
        "{% if overview.behind %}未按时间节点推进（滞后）{{ overview.behind }}个，{% endif %}"
        "长期坚持{{ overview.ongoing }}个。各单位整改情况见附件1，"
        "重点督查事项见附件2，全部问题见附件3。"
    ))
    L.para(doc, "从督查情况看，{{ assessment }}")
    _provisional_note(doc)
    L.para(doc, "二、存在问题", L.HEADING1)
    _problems(doc, fonts, "督查中未发现突出问题。")
    L.para(doc, "三、下一步工作建议", L.HEADING1)
    for heading, text in [
        ("（一）压实整改责任。", "建议责成有逾期问题的单位主要负责人亲自研究部署，逐项明确整改措施、完成时限和责任人，"
         "确保问题按期整改到位。"),
        ("（二）强化督查督办。", "督查室将对逾期和未报送的问题实行重点督查和预警督办，跟踪整改进展，"
         "整改到位一个、核查一个、销号一个；对已办结的问题适时开展“回头看”。"),
        ("（三）严格考核问责。", "建议将整改落实情况纳入年度目标绩效考核，"
         "对整改不力、敷衍整改的单位和责任人依规依纪问责。"),
    ]:
        _run_in(doc, fonts, heading, text)
    L.para(doc, "特此报告。")
    _annex_note(doc)
    _signed(doc)
    _report_tables(doc, {"ranking": "1", "key_items": "2", "items": "3"})
    L.imprint(doc, "{{ office_name }}\t{{ issued_on }}印发")
    return doc


def build_report_feedback(fonts: Fonts):
    doc = L.new_document(fonts)
    p = L.para(doc, "{{ title }}", L.TITLE)
    p.paragraph_format.space_before = L.LINE_PITCH
    L.blank(doc)
    L.para(doc, "{{ unit }}：", L.ADDRESSEE)
    L.para(doc, "根据“三查三单”制度要求，督查室对{{ source }}发现问题的整改落实情况进行了专项督查，"
                "并已向{{ leaders_title }}报告（{{ report_number }}）。现将涉及你单位的情况反馈如下。")
    L.para(doc, (
        "截至{{ as_of }}，你单位来源为“{{ source }}”的整改问题共{{ overview.total }}个，已完成{{ overview.done }}个，"
        "完成率{{ overview.completion_rate }}；逾期未完成{{ overview.overdue }}个，逾期未报送整改情况"
        "{{ overview.report_missing }}个。具体问题见附件。"
    ))
    L.para(doc, "{%p if red_count %}")
    L.para(doc, "请你单位对逾期和未报送整改情况的问题逐项查找原因，于{{ reply_by }}前以单位名义书面报送整改进展，"
                "并加盖单位公章。")
    L.para(doc, "{%p else %}")
    L.para(doc, "请你单位巩固整改成效，对尚未到期和长期坚持的问题持续推进，按时报送整改情况。")
    L.para(doc, "{%p endif %}")
    _provisional_note(doc)
    L.blank(doc)
    L.para(doc, "附件：整改问题清单", L.ANNEX_NOTE)
    _signed(doc)
    L.annex_page(doc, "附件", "整改问题清单")
    _item_table(doc, [ID, PROBLEM, Column("整改时限", "r.deadline", OVERDUE_EMS), Column("状态", "r.state", 4)],
                "r in items", deadline_col=2)
    return doc


def build_assignment(fonts: Fonts):
    """问题交办单: the problems a 问题清单 assigned to one lead unit, what to send back and by when."""
    doc = L.new_document(fonts)
    L.para(doc, "{{ title }}", L.TITLE)
    p = L.para(doc, "{{ assign_number }}", L.DOC_NUMBER)
    p.paragraph_format.space_before = Pt(L.LINE_PITCH.pt * 0.5)
    L.blank(doc)
    L.para(doc, "{{ unit }}：", L.ADDRESSEE)
    L.para(doc, "{{ opening }}现将{{ count }}个问题交由你单位牵头整改，具体如下：")
    L.table(doc, [ID, PROBLEM, Column("整改建议", "r.suggestion", 9), Column("配合责任单位", "r.co_units", 6)],
            "r in items", left_align=("r.problem", "r.suggestion"))
    L.para(doc, "办理要求", L.HEADING1)
    L.para(doc, "1.请于{{ measures_due }}前，对照上述问题逐项制定整改措施，明确整改时限、责任领导、责任人、"
                "整改目标和时间节点，填写随附的《整改措施清单》，放回共享文件夹的收件箱报送督查室。")
    L.para(doc, "2.整改措施要具体可行，整改时限写明具体日期；分阶段推进的，写明各阶段的时间节点。")
    L.para(doc, "3.逾期未报送整改措施的，列入督办通知单，并在督查通报中予以通报。")
    _provisional_note(doc)
    L.para(doc, "{%p if contact_line %}")
    L.para(doc, "{{ contact_line }}")
    L.para(doc, "{%p endif %}")
    _signed(doc)
    L.para(doc, "{%p if leader %}")
    cc = L.para(doc, "抄送：{{ leader }}。", L.IMPRINT)
    cc.paragraph_format.space_before = Pt(L.LINE_PITCH.pt * 0.5)
    cc.paragraph_format.left_indent = Pt(L.SMALL_PT)
    L.border(cc, "top", L.THICK_RULE)
    L.border(cc, "bottom", L.THICK_RULE)
    L.para(doc, "{%p endif %}")
    return doc


BUILDERS: dict[str, Callable] = {
    CIRCULAR: build_circular, NOTICE: build_notice, REPORT: build_report, REPORT_FEEDBACK: build_report_feedback,
    REMINDER: build_reminder, WARNING: build_warning, ACCOUNTABILITY: build_accountability,
    ESCALATIONS: build_escalations, SCORES: build_scores,
    ASSIGNMENT: build_assignment,
}
# Templates added after workspaces existed: a workspace without them gets the default (weekly).
LATER_TEMPLATES = (REMINDER, WARNING, ACCOUNTABILITY, ESCALATIONS, SCORES)


@cache
def build_template(name: str, fonts: Fonts = Fonts()) -> bytes:
    doc = BUILDERS[name](fonts)
    L.finish(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return L.finish_package(buf.getvalue(), fonts)


def write_default_templates(directory: Path, force: bool = False, fonts: Fonts = Fonts()) -> list[Path]:
    """Write the default templates (with the configured faces) into `directory`; keep the office's
    edited copies unless force. Returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in BUILDERS:
        path = directory / name
        if path.exists() and not force:
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(build_template(name, fonts))
        tmp.replace(path)
        written.append(path)
    return written
