"""Issue 17, points 4–6: sources as categories, deadlines and statuses as real 整改台账 write
them — table-driven, every form the issue lists."""

from __future__ import annotations

from datetime import date

import pytest
from builders import data_row, make_config, sancha_toml, submission_rows, xlsx_bytes

from pipeline.config import ConfigError, parse_config
from pipeline.intake.normalize import Unreadable, milestone_parts, parse_deadline, parse_status, status_words
from pipeline.intake.parse import parse_submission
from pipeline.intake.sources import SourceDirectory
from pipeline.model import (
    STATUS_DONE,
    STATUS_IN_PROGRESS,
    STATUS_NEEDS_HELP,
    STATUS_NOT_STARTED,
    STATUS_ONGOING,
    Milestone,
)

FILED = date(2026, 11, 5)
D = date


@pytest.mark.parametrize("text, deadline, ongoing", [
    ("2026年12月底前完成", D(2026, 12, 31), False),
    ("2026年12月31日前完成", D(2026, 12, 31), False),
    ("2026年12月31日之前", D(2026, 12, 31), False),
    ("2026-12-31前", D(2026, 12, 31), False),
    ("年底前完成", D(2026, 12, 31), False),
    ("12月15日之前", D(2026, 12, 15), False),
    ("常态化", None, True),
    ("常态长效", None, True),
    ("长期坚持", None, True),
    ("持续推进", None, True),
    ("2026年第四季度", D(2026, 12, 31), False),
    ("四季度末", D(2026, 12, 31), False),
    ("2026年Q4", D(2026, 12, 31), False),
    ("2027年第一季度前完成", D(2027, 3, 31), False),
    ("2026年12月中旬", D(2026, 12, 20), False),
    ("12月上旬", D(2026, 12, 10), False),
    ("2026年12月下旬", D(2026, 12, 31), False),
    ("2027年2月下旬前", D(2027, 2, 28), False),
    ("2026年12月", D(2026, 12, 31), False),
])
def test_every_deadline_form_of_the_issue(text, deadline, ongoing):
    read = parse_deadline(text, FILED)
    assert (read.date, read.ongoing) == (deadline, ongoing)


def test_a_month_alone_is_its_last_day_and_says_so():
    assert parse_deadline("2026年12月", FILED).month_only
    assert not parse_deadline("2026年12月底", FILED).month_only


def test_immediately_and_then_ongoing_is_due_the_day_filed_then_ongoing():
    read = parse_deadline("立行立改并长期坚持", FILED)
    assert read.date is None and read.ongoing
    assert read.milestones == (Milestone(FILED, "立行立改"),)


def test_a_staged_deadline_becomes_milestones_and_the_final_deadline():
    read = parse_deadline("2026年12月底前取得阶段性成效，2027年6月底前全面完成", FILED)
    assert read.date == D(2027, 6, 30) and not read.ongoing
    assert read.milestones == (Milestone(D(2026, 12, 31), "2026年12月底前取得阶段性成效"),)
    three = parse_deadline("12月15日前制定方案；2027年3月底前完成主体工程；2027年6月底前全面完成", FILED)
    assert [m.due for m in three.milestones] == [D(2026, 12, 15), D(2027, 3, 31)] and three.date == D(2027, 6, 30)
    then_ongoing = parse_deadline("2026年12月底前完成整治，并长期坚持", FILED)
    assert then_ongoing.ongoing and then_ongoing.milestones == (Milestone(D(2026, 12, 31), "2026年12月底前完成整治"),)


def test_a_time_node_column_lists_its_steps_and_the_ones_marked_done():
    steps = milestone_parts("2026年11月底前完成排查（11月3日完成）\n2026年12月20日前完成整改", FILED)
    assert steps == (Milestone(D(2026, 11, 30), "2026年11月底前完成排查", D(2026, 11, 3)),
                     Milestone(D(2026, 12, 20), "2026年12月20日前完成整改"))


@pytest.mark.parametrize("text", ["尽快", "下一步", "2026年13月", "2026-02-30前", "适时完成，长期", "待定"])
def test_what_is_still_no_deadline(text):
    with pytest.raises(Unreadable):
        parse_deadline(text, FILED)


@pytest.mark.parametrize("word, status", [
    ("未开工", STATUS_NOT_STARTED), ("暂未启动", STATUS_NOT_STARTED), ("尚未开工", STATUS_NOT_STARTED),
    ("部分完成", STATUS_IN_PROGRESS), ("正在实施", STATUS_IN_PROGRESS), ("已启动", STATUS_IN_PROGRESS),
    ("有序推进", STATUS_IN_PROGRESS), ("已整改到位", STATUS_DONE), ("办结", STATUS_DONE), ("已落实", STATUS_DONE),
    ("常态化推进", STATUS_ONGOING), ("常态长效", STATUS_ONGOING), ("需要协调", STATUS_NEEDS_HELP),
])
def test_every_status_word_of_the_issue(word, status):
    assert parse_status(word) == status


def test_statuses_config_adds_synonyms_and_the_hint_lists_the_words():
    config = parse_config(sancha_toml() + '\n[statuses]\n"已完成" = ["已销项"]\n"推进中" = ["加紧推进中"]\n')
    words = status_words(config.statuses)
    assert parse_status("已销项", words) == STATUS_DONE and parse_status("加紧推进中", words) == STATUS_IN_PROGRESS
    with pytest.raises(Unreadable) as e:
        parse_status("差不多了", words)
    assert "已销项" in e.value.hint and "已整改到位" in e.value.hint and "未开工" in e.value.hint
    with pytest.raises(ConfigError, match="已销号"):
        parse_config(sancha_toml() + '\n[statuses]\n"已销号" = ["销了"]\n')


@pytest.mark.parametrize("source, category", [
    ("审计", "审计整改"), ("审计整改", "审计整改"), ("2026年审计发现问题", "审计整改"), ("区长批示", "领导批示"),
    ("人大代表建议", "人大建议"), ("政协委员提案", "政协提案"), ("政府工作报告", "政府工作报告"), ("督查", "督查"),
    ("专项督查", "督查"), ("巡查", "巡查"), ("第三方评估", "第三方评估"), ("重点项目", "重大项目"),
    ("重大决策部署", "重大决策部署"), ("考察", "考察"), ("群众来信", "其他"),
])
def test_sources_are_read_as_categories(source, category):
    assert SourceDirectory().category(source)[0] == category


def test_sources_config_extends_the_synonyms():
    config = parse_config(sancha_toml() + '\n[sources]\n"审计整改" = ["经责审计回头看"]\n"领导批示" = ["群众来信"]\n')
    assert SourceDirectory(dict(config.sources)).category("群众来信") == ("领导批示", True)
    with pytest.raises(ConfigError, match="不是可用的类别"):
        parse_config(sancha_toml() + '\n[sources]\n"信访" = ["群众来信"]\n')


def test_an_unknown_source_is_kept_verbatim_as_other_with_a_warning():
    rows = submission_rows(data_row(source="群众来信"), data_row(seq=2, source="区长批示"))
    sub = parse_submission(xlsx_bytes(rows), "a.xlsx", make_config(), received=FILED)
    assert sub.ok
    assert [(r.source, r.source_category) for r in sub.rows] == [("群众来信", "其他"), ("区长批示", "领导批示")]
    [warning] = [f for f in sub.findings if f.code == "unknown-source"]
    assert warning.cell == "C4" and warning.severity == "warning" and "审计整改" in (warning.hint or "")


def test_month_only_deadline_is_a_warning_naming_the_day_taken():
    sub = parse_submission(xlsx_bytes(submission_rows(data_row(deadline="2026年12月"))), "a.xlsx", make_config(),
                           received=FILED)
    assert sub.ok and sub.rows[0].deadline == D(2026, 12, 31)
    [warning] = [f for f in sub.findings if f.code == "month-only-deadline"]
    assert "2026年12月31日" in warning.message


def test_report_source_matches_the_category(workspace, cli):
    from pipeline.ledger.ingest import ingest_paths
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(source="审计整改"), data_row(seq=2, source="审计发现"), data_row(seq=3, source="督查"))))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), D(2026, 11, 20), workers=0)
    from pipeline.ledger.standing import load_standing
    assert [i.id for i in load_standing(workspace, D(2026, 11, 20), source="审计").items] == ["2026-0001", "2026-0002"]
    assert [i.id for i in load_standing(workspace, D(2026, 11, 20), source="督查").items] == ["2026-0003"]


def test_a_serial_number_in_a_general_cell_keeps_its_date_as_the_text():
    rows = submission_rows(data_row(deadline=46387), data_row(seq=2, deadline="46387"), data_row(seq=3, deadline=20261231))
    sub = parse_submission(xlsx_bytes(rows), "a.xlsx", make_config(), received=FILED)
    assert sub.ok
    assert [(r.deadline, r.deadline_text) for r in sub.rows] == [(D(2026, 12, 31), "2026-12-31")] * 3


def test_calendar_add_prints_the_nth_working_day_after_a_date(cli):
    assert cli("calendar", "--add", "2026-09-30", "5") == (0, "2026年9月30日后第 5 个工作日：2026年10月13日（2026-10-13，星期二）\n", "")
    code, out, _ = cli("calendar", "--add", "2027-12-28", "5")
    assert code == 0 and "2028年1月5日（暂定）" in out
    code, _, err = cli("calendar", "--add", "2026-13-01", "5")
    assert code == 2 and "不是日期" in err
