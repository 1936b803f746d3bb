from datetime import date, datetime

import pytest
from builders import make_config

from pipeline import model
from pipeline.intake.normalize import (
    Deadline,
    Unreadable,
    clean_text,
    parse_date,
    parse_deadline,
    parse_item_id,
    parse_status,
)
from pipeline.intake.units import UnitDirectory, split_units
from pipeline.model import problem_key

REPORTED = date(2026, 11, 20)


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(2026, 12, 31), date(2026, 12, 31)),
        (datetime(2026, 12, 31, 0, 0), date(2026, 12, 31)),
        (46387, date(2026, 12, 31)),
        (46387.0, date(2026, 12, 31)),
        ("46387", date(2026, 12, 31)),
        (20261231, date(2026, 12, 31)),
        ("2026-12-31", date(2026, 12, 31)),
        ("2026/12/31", date(2026, 12, 31)),
        ("2026.12.31", date(2026, 12, 31)),
        ("2026-12-31 00:00:00", date(2026, 12, 31)),
        ("2026年12月31日", date(2026, 12, 31)),
        ("2026年12月31号", date(2026, 12, 31)),
        ("２０２６年１２月３１日", date(2026, 12, 31)),
        ("２０２６－１２－３１", date(2026, 12, 31)),
        ("2026年12月底", date(2026, 12, 31)),
        ("2027年2月底", date(2027, 2, 28)),
        ("2026年底", date(2026, 12, 31)),
        ("2026年年底", date(2026, 12, 31)),
        ("2026年底前", date(2026, 12, 31)),
        ("年底前", date(2026, 12, 31)),
        ("年底", date(2026, 12, 31)),
        ("12月15日前", date(2026, 12, 15)),
        ("12月15日之前", date(2026, 12, 15)),
        ("12月15日", date(2026, 12, 15)),
        ("12月底前", date(2026, 12, 31)),
        (" 2026年12月31日前\u3000", date(2026, 12, 31)),
        ("立行立改", REPORTED),
    ],
)
def test_deadline_forms(value, expected):
    assert parse_deadline(value, REPORTED) == Deadline(expected)


@pytest.mark.parametrize("value", ["长期坚持", "持续推进", "长期", "持续整改", " 长期坚持 "])
def test_ongoing(value):
    assert parse_deadline(value, REPORTED) == Deadline(None, ongoing=True)


def test_year_comes_from_context():
    assert parse_deadline("12月15日前", date(2027, 3, 5)).date == date(2027, 12, 15)
    assert parse_deadline("年底前", date(2027, 1, 5)).date == date(2027, 12, 31)


@pytest.mark.parametrize("value", ["2026.13.01", "2026-02-30", "下月", "尽快", 2026, True, 5.5, "13月底"])
def test_unreadable_deadlines(value):
    with pytest.raises(Unreadable) as e:
        parse_deadline(value, REPORTED)
    assert e.value.hint


def test_done_dates_are_plain_dates_only():
    assert parse_date("") is None
    assert parse_date("2026/11/25") == date(2026, 11, 25)
    assert parse_date(datetime(2026, 11, 12, 9, 30)) == date(2026, 11, 12)
    for value in ["立行立改", "年底前", "2026年12月底"]:
        with pytest.raises(Unreadable):
            parse_date(value)


@pytest.mark.parametrize(
    "words, status",
    [
        (["已完成", "已整改", "完成整改", "已办结"], model.STATUS_DONE),
        (["推进中", "正在推进", "正在整改", "部分整改", "序时推进", "基本完成"], model.STATUS_IN_PROGRESS),
        (["未启动", "未整改", "尚未开展"], model.STATUS_NOT_STARTED),
        (["长期坚持", "持续整改"], model.STATUS_ONGOING),
        (["需上级协调", "无法完成"], model.STATUS_NEEDS_HELP),
    ],
)
def test_statuses(words, status):
    assert {parse_status(w) for w in words} == {status}
    assert parse_status(f" {words[0]}\n") == status


def test_blank_and_unknown_statuses():
    assert parse_status("") is None and parse_status("  ") is None
    with pytest.raises(Unreadable) as unknown:
        parse_status("差不多了")
    with pytest.raises(Unreadable) as closed:
        parse_status("已销号")
    assert unknown.value.hint != closed.value.hint


def test_clean_text_trims_only():
    assert clean_text("\u3000 A&B<二期>\n第二行 \t") == "A&B<二期>\n第二行"
    assert clean_text("=HYPERLINK(\"http://x\",\"y\")") == "=HYPERLINK(\"http://x\",\"y\")"
    assert clean_text("（一）全角，标点") == "（一）全角，标点"
    assert clean_text(1.0) == "1"
    assert clean_text(2.5) == "2.5"
    assert clean_text(date(2026, 12, 31)) == "2026-12-31"
    assert clean_text(None) == ""


def test_problem_key_ignores_spacing_punctuation_and_width():
    a = problem_key("政府采购项目验收不及时，部分项目超过合同约定期限30日以上")
    assert problem_key(" 政府采购项目 验收不及时,部分项目超过合同约定期限３０日以上。\n") == a
    assert problem_key("ABC问题") == problem_key("abc 问题")
    assert problem_key("另一个问题") != a


@pytest.mark.parametrize("value, expected", [("2026-0001", "2026-0001"), ("２０２６－０００１", "2026-0001"), (" 2026—00012 ", "2026-00012"), ("1", None), ("2026-1", None), ("26-0001", None)])
def test_item_ids(value, expected):
    assert parse_item_id(value) == expected


def test_split_units():
    assert split_units("区审计局、区发展改革委") == ["区审计局", "区发展改革委"]
    assert split_units(" 区财政局，区审计局;区城管局 / 区民政局　区教育局,,") == ["区财政局", "区审计局", "区城管局", "区民政局", "区教育局"]
    assert split_units("") == []


def test_unit_directory():
    units = UnitDirectory(make_config())
    assert units.resolve("区财政局") == "区财政局"
    assert units.resolve("财政局") == "区财政局"
    assert units.resolve("区住建局") == "区住房城乡建设局"
    assert units.resolve(" 区 财政局 ") == "区财政局"
    assert units.resolve("区财政厅") is None
    assert units.resolve("督查室") is None and units.is_office("督查室")
    assert units.canonical("督　查　室") == units.canonical("督查室") == "大观区人民政府办公室"
    assert units.canonical(" 财政局") == "区财政局" and units.canonical("区财政厅") is None
    assert units.group(" 各预算单位") == "各预算单位"
    assert units.suggest("区财正局")[0] == "区财政局"
    assert units.suggest("完全无关的名字") == []


@pytest.mark.parametrize(
    ("text", "submitted", "expected"),
    [
        ("1月15日前", date(2026, 11, 20), date(2027, 1, 15)),  # next January, not last
        ("12月15日前", date(2026, 11, 20), date(2026, 12, 15)),
        ("12月15日前", date(2027, 1, 5), date(2026, 12, 15)),  # a late report: the December just past
        ("3月底前", date(2026, 11, 20), date(2027, 3, 31)),
        ("11月底", date(2026, 11, 20), date(2026, 11, 30)),
    ],
)
def test_a_deadline_without_a_year_is_read_forward_from_the_submission(text, submitted, expected):
    assert parse_deadline(text, submitted).date == expected


def test_fast_nfkc_is_the_full_algorithm():
    import random
    import unicodedata

    from pipeline.model import nfkc

    tricky = ["区财政局（二期）：采购验收不及时，整改！", "Ａ\u0301", "\u0301Ａ", "ｅ\u0308ｆ", "ﾃﾞｰﾀ", "①②㈠™℃㎡",
              "\u3000全角空格\u3000", "ＡＢＣ１２３", "한글", "e\u0301", "ｶﾞ", "Ａ\u0327\u0301", "，\u0301", "＜二期＞＆"]
    alphabet = [chr(c) for c in (*range(0x20, 0x7F), *range(0xFF01, 0xFF5F), 0x3000, 0x3001, 0x3002, 0x201C, 0x201D,
                                 0x0301, 0x0308, 0x0327, 0x3099, 0x309A, 0xFF76, 0xFF9E, 0x2460, 0x2122, 0x4E00, 0x533A)]
    rnd = random.Random(6)
    samples = tricky + ["".join(rnd.choices(alphabet, k=rnd.randint(0, 12))) for _ in range(20000)]
    assert [nfkc(s) for s in samples] == [unicodedata.normalize("NFKC", s) for s in samples]
