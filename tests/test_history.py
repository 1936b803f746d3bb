"""The ledger as it stood on an earlier day, rebuilt from the history that ingest and office actions record."""

from datetime import date

from builders import data_row, submission_rows, xlsx_bytes

from pipeline.ledger.history import items_as_of
from pipeline.ledger.ledger import Ledger


def test_items_as_of_undo_later_changes_and_hide_later_items(workspace, cli):
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1))))
    cli("ingest", "--as-of", "2026-11-20")
    update = data_row(1, item_id="2026-0001", status="已完成", done_on="2026-12-01", progress="已验收")
    (workspace.inbox / "b.xlsx").write_bytes(xlsx_bytes(submission_rows(update, data_row(2))))
    cli("ingest", "--as-of", "2026-12-02")
    cli("close", "2026-0001", "--on", "2026-12-04")
    with Ledger.open(workspace.db_path) as led:
        items, changes = led.items(), led.changes()

    (before,) = items_as_of(items, changes, date(2026, 11, 25))
    assert (before.id, before.status, before.done_on, before.progress) == ("2026-0001", "推进中", None, None)
    assert before.last_report_on == date(2026, 11, 20) and before.closed_on is None

    after = {i.id: i for i in items_as_of(items, changes, date(2026, 12, 3))}
    assert after["2026-0001"].status == "已完成" and after["2026-0001"].closed_on is None
    assert after["2026-0002"].last_report_on == date(2026, 12, 2)
    assert items_as_of(items, changes, date(2026, 12, 4))[0].closed_on == date(2026, 12, 4)
