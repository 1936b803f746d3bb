"""Sentences that depend on the figures: titles broken into lines, the assessment (从督查情况看…),
the 存在问题 paragraphs, lists of names that stay short. Pure functions over plain values.

The fixed sentences of a document live in its Word template (an admin edits them there); what is
here changes with the ledger, so it cannot be fixed text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pipeline.output.documents.docx_layout import MASTHEAD_PT, TEXT_WIDTH_MM, TITLE_PT, text_em

CN_NUMERALS = "一二三四五六七八九十"
TITLE_EMS = math.floor(TEXT_WIDTH_MM / 25.4 * 72 / TITLE_PT)  # 20 characters of 2号 a line
UNNUMBERED = "　　"  # where the number goes on a document not yet numbered (a preview)


def cn_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一 (for （一） and 一、 up to 99)."""
    if n <= 10:
        return CN_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMERALS[ones - 1] if ones else "")


def masthead_pt(masthead: str) -> int:
    """发文机关标志 size: 30 pt, smaller for a long name so it stays on one line of the block
    (95 % of its width: GB/T 9704 §7.2.2 — 醒目、美观、庄重, never wider than the block)."""
    width_pt = TEXT_WIDTH_MM / 25.4 * 72 * 0.95
    return max(16, min(MASTHEAD_PT, math.floor(width_pt / max(text_em(masthead), 1))))


# Where a title may break, best first (词意完整: a line never ends inside a word such as 情况).
_BREAKS = [
    re.compile(r"(?=（)"),  # before a bracketed period: …的通报 / （2026年第5期）
    re.compile(r"(?<=[”》])"),  # after a quoted name
    re.compile(r"(?=整改落实)|(?=发现问题)"),
    re.compile(r"(?=的(?:通报|专题报告|反馈|报告)$)"),
    re.compile(r"(?<=关于)"),
]


def break_title(text: str, width: float = TITLE_EMS) -> str:
    """A title broken into lines of at most `width` ems at word boundaries, shaped as a
    trapezoid or a diamond (never two lines of equal length); lines joined by "\\n"."""
    if text_em(text) <= width:
        return text
    best: tuple | None = None
    for rank, pattern in enumerate(_BREAKS):
        for m in pattern.finditer(text):
            head, tail = text[:m.start()], text[m.start():]
            if not head or not tail or text_em(head) > width:
                continue
            balance = abs(text_em(head) - text_em(tail))
            score = (text_em(tail) > width, rank, balance == 0, balance)
            if best is None or score < best[0]:
                best = (score, head, tail)
    if best is None:  # no word boundary fits: the widest head that does
        cut = len(text)
        while text_em(text[:cut]) > width:
            cut -= 1
        best = ((), text[:cut], text[cut:])
    _, head, tail = best
    return head + "\n" + break_title(tail, width)


def name_list(names: Sequence[str], limit: int) -> str:
    """区财政局、区审计局 — or, past `limit`, the first `limit` and 等N个单位."""
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f"等{len(names)}个单位"


def percent_of(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def assessment(overview: dict, most_overdue: Sequence[tuple[str, int]]) -> str:
    """从督查情况看，… — the overall judgement from the share of overdue and unreported items,
    and where the overdue items are concentrated (`most_overdue`: (unit, overdue) worst first)."""
    total, overdue, missing = overview["total"], overview["overdue"], overview["report_missing"]
    if not total:
        return "台帐中暂无整改问题。"
    share = overdue / total
    if not overdue and not missing:
        text = "各单位整改工作推进有力，已到期的问题均已按期完成并按时报送整改情况。"
    elif share <= 0.1:
        text = ("整改工作总体推进有序，大部分问题能够按照时限要求整改到位，"
                "但仍有少数单位存在整改滞后、报送不及时的问题。")
    elif share <= 0.3:
        text = "整改工作总体有序推进，但进展不平衡，部分单位整改进度滞后、整改情况报送不及时的问题较为突出。"
    else:
        text = "整改工作进展缓慢，逾期未完成的问题占比较高，部分单位整改责任落实不到位，需要引起高度重视。"
    worst = [f"{unit}（{n}个）" for unit, n in most_overdue if n][:3]
    if worst:
        text += f"逾期问题较多的单位有{'、'.join(worst)}。"
    return text


def problems(figures: dict) -> list[dict]:
    """存在问题: a paragraph for each problem the figures show, numbered （一）（二）….

    `figures`: overdue, units_overdue, long_overdue, threshold, max_overdue, report_missing,
    units_missing, report_workdays, lookback, lookback_days, and worst_source (name, overdue,
    total) or None."""
    f = figures
    found: list[tuple[str, str]] = []
    if f["overdue"]:
        text = f"{f['units_overdue']}个单位有逾期未完成的问题，共{f['overdue']}个"
        if f["long_overdue"]:
            text += f"，其中逾期超过{f['threshold']}个工作日的{f['long_overdue']}个，最长逾期{f['max_overdue']}个工作日"
        found.append(("部分问题整改进度滞后。", text + "。"))
    if f["report_missing"]:
        found.append(("整改情况报送不及时。", (
            f"{f['report_missing']}个问题整改时限届满后{f['report_workdays']}个工作日内未报送整改情况，"
            f"涉及{f['units_missing']}个单位。")))
    source = f.get("worst_source")
    if source and source[1]:
        name, late, total = source
        found.append(("部分领域整改相对滞后。",
                      f"{name}类问题逾期比例最高，{total}个中逾期{late}个，占{percent_of(late, total)}。"))
    if f["lookback"]:
        found.append(("“回头看”不够及时。", f"{f['lookback']}个问题已办结满{f['lookback_days']}日，尚未开展“回头看”。"))
    return [{"no": f"（{cn_ordinal(n)}）", "heading": heading, "text": text}
            for n, (heading, text) in enumerate(found, 1)]


def attachments(titles: Sequence[str]) -> list[dict]:
    """附件说明 lines: 附件：1. 标题, then 2. 标题 … aligned under the first number."""
    return [{"n": n, "title": title, "lead": "附件：" if n == 1 else "　　　"} for n, title in enumerate(titles, 1)]


def contact_line(contact: str) -> str:
    """One contact line: the configured text as it is when it names itself (联系人…/联系电话…),
    else after 联系人及电话：."""
    contact = contact.strip()
    if not contact:
        return ""
    return contact if "联系" in contact else f"联系人及电话：{contact}"
