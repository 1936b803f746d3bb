"""sancha doctor: each check on a workspace broken in one way, and the command's exit codes."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import sqlite3
import time
from datetime import date

import pytest
from builders import CONFIG_TOML, data_row, submission_rows, xlsx_bytes
from docx import Document

from pipeline.ledger.ingest import ingest_inbox
from pipeline.output import receipts
from pipeline.service import doctor
from pipeline.workspace import Workspace

SPRING = date(2026, 5, 11)  # 2026 is in chinesecalendar; next year is not due yet
OCTOBER = date(2026, 10, 12)


@pytest.fixture
def healthy(workspace, cli) -> Workspace:
    assert cli("templates")[0] == 0
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1))))
    assert cli("ingest")[0] == 0
    return workspace


def codes(ws: Workspace, today: date = SPRING, now: float | None = None) -> list[str]:
    return [f.code for f in doctor.check_workspace(ws, today, now)]


def test_a_healthy_workspace_has_no_problems(healthy, cli):
    assert codes(healthy) == []
    code, out, _ = cli("doctor", "--json")
    problems = json.loads(out)["problems"]
    assert code == (1 if problems else 0)
    assert {p["code"] for p in problems} <= {"calendar-provisional"}  # depends on the day the test runs


def test_invalid_config_is_a_finding_not_a_crash(workspace, cli):
    workspace.config_path.write_text("[office]\nname = ''\n", encoding="utf-8")
    code, out, _ = cli("doctor", "--json")
    (problem,) = json.loads(out)["problems"]
    assert code == 1 and problem["code"] == "config-invalid" and "name" in problem["message"]


def test_units_that_would_share_an_outbox_folder(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "sancha.toml").write_text(CONFIG_TOML + '\n[[units]]\nname = "区财政局."\n', encoding="utf-8")
    assert "unit-folder-clash" in codes(Workspace(root))


def test_templates_missing_broken_or_with_unknown_fields(healthy):
    from pipeline.output.documents.templates import CIRCULAR, NOTICE, REPORT

    (healthy.templates / CIRCULAR).unlink()
    (healthy.templates / NOTICE).write_bytes(b"not a docx")
    doc = Document(str(healthy.templates / REPORT))
    doc.add_paragraph("{{ no_such_field }}")
    doc.save(str(healthy.templates / REPORT))
    found = {f.code: f for f in doctor.check_workspace(healthy, SPRING)}
    assert {"template-missing", "template-broken", "template-unknown-variable"} <= set(found)
    assert "no_such_field" in found["template-unknown-variable"].message
    assert "sancha templates" in str(found["template-missing"].hint)


def test_database_integrity_and_an_unreadable_database(healthy):
    con = sqlite3.connect(healthy.db_path)
    con.execute("INSERT INTO files (sha256, name, source_path, received_on, processed_at, verdict, state) "
                "SELECT sha256, name || '2', source_path, received_on, processed_at, 'accepted', 'done' FROM files")
    con.commit()
    con.close()
    assert "database-integrity" in codes(healthy)
    healthy.db_path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        pathlib.Path(str(healthy.db_path) + suffix).unlink(missing_ok=True)
    (lost,) = [f for f in doctor.check_workspace(healthy) if f.code == "ledger-lost"]  # as every command says
    assert "已损坏" in lost.message and "备份" in lost.message


def test_next_year_must_be_official_from_october(healthy):
    assert "calendar-provisional" not in codes(healthy, SPRING)
    (problem,) = [f for f in doctor.check_workspace(healthy, OCTOBER) if f.code == "calendar-provisional"]
    assert "2027" in problem.message and "[calendar]" in str(problem.hint)


def test_stuck_files(healthy, monkeypatch):
    (healthy.inbox / "b.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(2))))

    def crash(*a, **k):
        raise SystemExit("power cut")

    monkeypatch.setattr(receipts, "write_receipt", crash)
    with pytest.raises(SystemExit):
        ingest_inbox(healthy)
    monkeypatch.undo()
    old = time.time() - 2 * 3600
    os.utime(healthy.inbox / "b.xlsx", (old, old))
    part = healthy.outbox / "区财政局" / "回执_x.txt.part"
    part.write_bytes(b"half")
    os.utime(part, (old, old))
    assert {"stuck-recorded", "stuck-inbox", "leftover-temp"} <= set(codes(healthy))
    ingest_inbox(healthy)  # what the hint says to do
    part.unlink()
    assert codes(healthy) == []


def test_an_outbox_that_cannot_be_written(healthy, monkeypatch):
    real = pathlib.Path.write_bytes

    def write_bytes(self, data):
        if self.parent == healthy.outbox:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)
    (problem,) = doctor.check_writable(healthy)
    assert problem.code == "folder-not-writable" and "outbox" in problem.message


def test_the_command_prints_what_to_fix(workspace, cli):
    code, out, _ = cli("doctor")
    assert code == 1 and "template-missing" in out and "templates" in out


def test_items_of_a_unit_renamed_without_its_old_name_among_the_aliases(healthy):
    """机构改革: 区财政局 becomes 区财政和国资委 in sancha.toml; its items stay under the old name."""
    renamed = CONFIG_TOML.replace('name = "区财政局"\naliases = ["财政局", "区财政"]',
                                  'name = "区财政和国资委"\naliases = ["财政局", "区财政"]')
    healthy.config_path.write_text(renamed, encoding="utf-8")
    found = [f for f in doctor.check_workspace(Workspace(healthy.root), SPRING) if f.code == "ledger-unit-unregistered"]
    (problem,) = found
    assert "区财政局" in problem.message and "2026-0001" in problem.message
    assert 'aliases = ["区财政局"]' in (problem.hint or "") and "区财政和国资委" in (problem.hint or "")
    fixed = renamed.replace('aliases = ["财政局", "区财政"]', 'aliases = ["财政局", "区财政", "区财政局"]')
    healthy.config_path.write_text(fixed, encoding="utf-8")
    assert "ledger-unit-unregistered" not in codes(Workspace(healthy.root))


def test_a_workspace_made_before_the_assignment_template_is_healthy_and_an_edited_one_is_checked(healthy):
    from pipeline.output.documents.templates import ASSIGNMENT, write_default_templates

    (healthy.templates / ASSIGNMENT).unlink()  # sancha uses the built-in 交办单 until `sancha templates`
    assert not [f for f in doctor.check_workspace(healthy, SPRING) if f.code.startswith("template-")]
    [written] = write_default_templates(healthy.templates)  # writes the missing one only
    assert written.name == ASSIGNMENT
    doc = Document(str(written))
    doc.add_paragraph("{{ no_such_field }}")
    doc.save(str(healthy.templates / ASSIGNMENT))
    found = [f for f in doctor.check_workspace(healthy, SPRING) if f.code == "template-unknown-variable"]
    assert found and "no_such_field" in found[0].message
