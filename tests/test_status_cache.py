"""`sancha status` kept in the ledger for a day (issue 20): the second call reads no item and
computes no state, and says exactly what a fresh computation says — until an event taking
effect by that day is recorded, sancha.toml changes, or another unit is asked for."""

from __future__ import annotations

import sqlite3

import pytest
from builders import data_row, submission_rows, xlsx_bytes

from pipeline.ledger import standing as standing_module


@pytest.fixture
def ledger(workspace, cli):
    """Three items of 区财政局 received on 2026-11-02; one overdue from 2026-11-10."""
    rows = submission_rows(
        data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-10"),
        data_row(2, problem="非税收入缴库不及时", deadline="2027-03-31"),
        data_row(3, problem="专项资金拨付滞后", deadline="2026-11-20", status="已完成", done_on="2026-11-01"),
        report_date="2026年11月2日")
    (workspace.inbox / "区财政局.xlsx").write_bytes(xlsx_bytes(rows))
    assert cli("ingest", "--as-of", "2026-11-02")[0] == 0
    return workspace


@pytest.fixture
def computed(monkeypatch):
    """How often the states were computed from the ledger (standing_on called)."""
    calls: list[str] = []
    original = standing_module.standing_on

    def counting(ledger, config, as_of, unit=None):
        calls.append(as_of.isoformat())
        return original(ledger, config, as_of, unit=unit)

    monkeypatch.setattr(standing_module, "standing_on", counting)
    return calls


def fresh(ws, cli, *args):
    """What status says with nothing kept (the cache emptied first)."""
    conn = sqlite3.connect(ws.db_path)
    with conn:
        conn.execute("DELETE FROM status_cache")
    conn.close()
    return cli("status", *args)


def test_the_second_status_of_a_day_is_read_back_and_says_the_same(ledger, cli, computed):
    first = cli("status", "--as-of", "2026-12-01")
    as_json = cli("status", "--json", "--as-of", "2026-12-01")
    again = cli("status", "--as-of", "2026-12-01")
    assert first == again and first[0] == 0 and "2026-0001" in first[1] and "政府采购项目验收" in first[1]
    assert computed == ["2026-12-01"]  # once, for the text and the JSON alike
    assert cli("status", "--json", "--as-of", "2026-12-01") == as_json
    assert computed == ["2026-12-01"]
    assert fresh(ledger, cli, "--as-of", "2026-12-01") == first  # and it is what a fresh computation says
    cli("status", "--unit", "财政局", "--as-of", "2026-12-01")
    assert computed == ["2026-12-01", "2026-12-01", "2026-12-01"]  # another unit: computed for it


def test_an_event_taking_effect_by_the_day_makes_it_computed_again(ledger, cli, computed):
    before = cli("status", "--json", "--as-of", "2026-12-01")
    assert '"overdue": 1' in before[1]
    assert cli("extend", "2026-0001", "--to", "2026-12-31", "--on", "2026-11-09", "--note", "经批准延期", "--yes")[0] == 0
    after = cli("status", "--json", "--as-of", "2026-12-01")
    assert '"overdue": 0' in after[1] and after == fresh(ledger, cli, "--json", "--as-of", "2026-12-01")


def test_an_event_after_the_day_leaves_that_day_kept(ledger, cli, computed):
    past = cli("status", "--as-of", "2026-11-20")
    assert cli("close", "2026-0003", "--on", "2026-12-01", "--note", "经核实整改到位", "--yes")[0] == 0
    assert cli("status", "--as-of", "2026-11-20") == past
    assert computed == ["2026-11-20"]  # the closing takes effect later: the 20th stands as it was
    assert fresh(ledger, cli, "--as-of", "2026-11-20") == past


def test_a_changed_sancha_toml_makes_it_computed_again(ledger, cli, computed):
    cli("status", "--as-of", "2026-12-01")
    toml = ledger.config_path.read_text(encoding="utf-8")
    ledger.config_path.write_text(toml.replace("[rules]", "[rules]\nkey_overdue_workdays = 30", 1)
                                  if "[rules]" in toml else toml + "\n[rules]\nkey_overdue_workdays = 30\n",
                                  encoding="utf-8")
    cli("status", "--as-of", "2026-12-01")
    assert computed == ["2026-12-01", "2026-12-01"]


def test_a_read_only_ledger_still_answers(ledger, cli, computed, monkeypatch):
    """Kept on a best-effort basis: a ledger that cannot be written (busy, read-only) is computed
    from and answered, not refused."""
    from pipeline.ledger.ledger import Ledger

    def refuse(self):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Ledger, "transaction", refuse)
    first = cli("status", "--as-of", "2026-12-01")
    assert first[0] == 0 and cli("status", "--as-of", "2026-12-01") == first
    assert computed == ["2026-12-01", "2026-12-01"]  # nothing kept: computed each time


def test_the_weekly_batch_leaves_its_days_status_kept(ledger, cli, computed):
    """The batch computes the day's standing anyway; the clerk's `status` of that day after it
    reads what the batch kept, and it is what a fresh computation says."""
    assert cli("templates")[0] == 0
    code, _, err = cli("weekly", "--as-of", "2026-11-30")
    assert code in (0, 1), err
    computed.clear()
    after = cli("status", "--as-of", "2026-11-30")
    assert computed == [] and after[0] == 0
    assert after == fresh(ledger, cli, "--as-of", "2026-11-30")
