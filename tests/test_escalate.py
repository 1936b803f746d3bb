"""需上级协调: a unit's request needs its reason; from that day the item waits for the higher
level (待上级协调) — not overdue, never criticised — until the office records the answer."""

from __future__ import annotations

from datetime import date

import pytest
from builders import data_row, make_config, submission_rows, xlsx_bytes

from pipeline.deadlines.states import standing
from pipeline.intake.parse import parse_submission
from pipeline.ledger import actions
from pipeline.ledger.actions import ActionError
from pipeline.ledger.ingest import ingest_paths
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.view import items_on
from pipeline.model import STATE_NEEDS_HELP, STATE_OVERDUE

D = date
TODAY = D(2026, 12, 31)


def _parse(*rows):
    return parse_submission(xlsx_bytes(submission_rows(*rows)), "a.xlsx", make_config(), received=D(2026, 11, 20))


def test_needs_help_without_a_reason_is_an_error_naming_the_status_cell():
    sub = _parse(data_row(1, status="需上级协调"))
    found = [f for f in sub.findings if f.code == "needs-help-without-reason"]
    assert len(found) == 1 and found[0].severity == "error" and found[0].cell == "K4"
    assert "整改进展" in found[0].message and "备注" in found[0].message
    for reason in ({"progress": "涉及市级审批权限，已书面请示"}, {"remark": "需区政府协调用地指标"}):
        ok = _parse(data_row(1, status="需上级协调", **reason))
        assert not [f for f in ok.findings if f.code == "needs-help-without-reason"]


@pytest.fixture
def ledger(workspace):
    """2026-0001 (deadline 11-30) reported 需上级协调 with its reason on 11-25; 2026-0002 (11-30) just 推进中."""
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(1, deadline="2026-11-30"), data_row(2, deadline="2026-11-30"))))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), D(2026, 11, 20), workers=0)
    (workspace.inbox / "b.xlsx").write_bytes(xlsx_bytes(submission_rows(
        data_row(1, item_id="2026-0001", deadline="2026-11-30", status="需上级协调",
                 progress="涉及市级用地审批，需区政府协调"),
        report_date="2026年11月25日")))
    ingest_paths(workspace, list(workspace.inbox.iterdir()), D(2026, 11, 25), workers=0)
    with Ledger.open(workspace.db_path) as led:
        yield led


def _standing(ledger, day):
    config = make_config()
    return standing(config, items_on(ledger, config, day), day)


def test_an_item_reported_upward_is_never_overdue_nor_criticised_while_it_waits(ledger):
    s = _standing(ledger, D(2026, 12, 21))  # 15 working days after the deadline
    help_, plain = s.states["2026-0001"], s.states["2026-0002"]
    assert help_.state == STATE_NEEDS_HELP and plain.state == STATE_OVERDUE
    assert (help_.overdue_workdays, help_.report_missing, help_.key_supervision) == (0, False, False)
    assert plain.key_supervision
    [unit] = s.summaries
    assert (unit.needs_help, unit.overdue, unit.due) == (1, 1, 1)
    assert [c.reasons for c in s.criticised] == [("1项整改问题逾期超过10个工作日仍未完成",
                                                  "1项整改问题逾期未报送整改情况")]
    assert _standing(ledger, D(2026, 11, 24)).states["2026-0001"].state != STATE_NEEDS_HELP  # before that day


def test_the_office_escalates_and_the_answer_restarts_the_clock_or_closes(ledger):
    r = actions.escalate(ledger, "2026-0001", to="区人民政府", on=D(2026, 11, 26), operator="clerk", today=TODAY)
    assert (r.event.kind, r.event.data["to"]) == ("escalate", "区人民政府")
    assert r.event.data["reason"] == "涉及市级用地审批，需区政府协调"  # the unit's own words stand in
    assert "报送：区人民政府" in r.text
    with pytest.raises(ActionError, match="尚未答复"):
        actions.escalate(ledger, "2026-0001", to="区人民政府", today=TODAY)
    with pytest.raises(ActionError, match="二者选一"):
        actions.answer_escalation(ledger, "2026-0001", answer="同意", today=TODAY)
    a = actions.answer_escalation(ledger, "2026-0001", answer="区自然资源局牵头解决用地指标",
                                  to_date=D(2026, 12, 15), on=D(2026, 12, 1), today=TODAY)
    assert a.item.deadline == D(2026, 12, 15) and a.item.status == "推进中"
    assert _standing(ledger, D(2026, 11, 30)).states["2026-0001"].state == STATE_NEEDS_HELP
    assert _standing(ledger, D(2026, 12, 16)).states["2026-0001"].state == STATE_OVERDUE  # the clock runs again
    with pytest.raises(ActionError, match="不在待上级协调"):
        actions.answer_escalation(ledger, "2026-0001", answer="再答", close=True, today=TODAY)


def test_escalating_an_item_the_unit_did_not_flag_needs_a_reason_and_pauses_it(ledger):
    with pytest.raises(ActionError, match="原因"):
        actions.escalate(ledger, "2026-0002", to="市住建局", today=TODAY)
    actions.escalate(ledger, "2026-0002", to="市住建局", reason="跨区管线迁改", on=D(2026, 12, 2), today=TODAY)
    assert _standing(ledger, D(2026, 12, 21)).states["2026-0002"].state == STATE_NEEDS_HELP
    closed = actions.answer_escalation(ledger, "2026-0002", answer="纳入市级统筹，本级不再考核", close=True,
                                       on=D(2026, 12, 22), today=TODAY)
    assert closed.item.closed_on == D(2026, 12, 22)


def test_an_upward_step_taken_back_by_undo_no_longer_waits_and_may_be_made_again(ledger):
    actions.escalate(ledger, "2026-0002", to="市住建局", reason="跨区管线迁改", on=D(2026, 12, 2), today=TODAY)
    actions.undo_last(ledger, "2026-0002", on=D(2026, 12, 2), operator="clerk", today=TODAY)
    assert _standing(ledger, D(2026, 12, 21)).states["2026-0002"].state != STATE_NEEDS_HELP
    assert actions.last_escalation(ledger.events("2026-0002"), open_only=True) is None
    again = actions.escalate(ledger, "2026-0002", to="市住建局", reason="跨区管线迁改", on=D(2026, 12, 3),
                             today=TODAY)  # not refused as 尚未答复
    assert again.event.kind == "escalate"


def test_the_cli_records_the_upward_step_and_the_answer(cli, workspace, ledger):
    code, out, err = cli("escalate", "2026-0001", "--to", "区人民政府", "--on", "2026-11-26")
    assert code == 0, err
    assert "上报上级协调" in out
    code, out, err = cli("escalate", "2026-0001", "--close")
    assert code != 0 and "--answer" in err
    code, out, err = cli("escalate", "2026-0001", "--answer", "同意延至年底", "--to-date", "2026-12-31",
                         "--on", "2026-12-01")
    assert code == 0, err
    assert "整改时限：2026年11月30日 → 2026年12月31日" in out


def test_show_says_to_whom_it_went_and_what_came_back(cli, ledger):
    actions.escalate(ledger, "2026-0001", to="区人民政府", on=D(2026, 11, 26), today=TODAY)
    actions.answer_escalation(ledger, "2026-0001", answer="纳入市级统筹", close=True, on=D(2026, 12, 1), today=TODAY)
    code, out, _ = cli("show", "2026-0001")
    assert code == 0 and "上报上级协调（报送：区人民政府）" in out and "（上级答复：纳入市级统筹，办结销号）" in out
