"""The benchmark generator writes files sancha accepts (no timing here: benchmarks are not tests)."""

import json
import sys
from pathlib import Path

import pytest

from pipeline.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not an installed package
from benchmarks import generate


# the third: enough rows for 需上级协调 ones (2 %), which must say why (issue 18's rule)
@pytest.mark.parametrize("units, files, rows, seed", [(2, 3, 5, 1), (5, 12, 8, 7), (8, 30, 40, 5)])
def test_every_generated_file_is_accepted(tmp_path, capsys, units, files, rows, seed):
    root = tmp_path / "ws"
    paths = generate.generate(root, units=units, files=files, rows=rows, seed=seed)
    assert len(paths) == files

    code = main(["-C", str(root), "ingest", "--json", "--as-of", generate.DEFAULT_AS_OF.isoformat()])
    out = json.loads(capsys.readouterr().out)

    assert code == 0
    assert len(out["files"]) == files
    errors = [(f["path"], i["message"]) for f in out["files"] for i in f["issues"] if i["severity"] == "error"]
    assert errors == []
    assert all(f["accepted"] for f in out["files"])
    assert sum(len(f["added"]) + len(f["updated"]) for f in out["files"]) >= files * rows * 0.8


def test_the_generator_is_deterministic(tmp_path):
    from python_calamine import CalamineWorkbook

    def cells(root):
        paths = generate.generate(root, units=3, files=4, rows=6, seed=3)
        return [(p.relative_to(root).as_posix(), CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python())
                for p in paths]

    assert cells(tmp_path / "a") == cells(tmp_path / "b")


def test_benchmark_copies_stay_until_the_last_run_and_leftovers_go_before_the_first(tmp_path, monkeypatch):
    from benchmarks import ingest

    monkeypatch.setattr(ingest.time, "sleep", lambda s: None)
    src = tmp_path / "ws"
    (src / "inbox").mkdir(parents=True)
    (src / "inbox" / "a.xlsx").write_bytes(b"x")
    (tmp_path / "ingest-runs" / "run-9").mkdir(parents=True)  # left by a killed invocation
    with ingest.Runs(tmp_path, "ingest") as runs:
        assert not (tmp_path / "ingest-runs" / "run-9").exists()
        first, second = runs.copy(src), runs.copy(src)
        assert (first.name, second.name) == ("run-1", "run-2")
        assert (first / "inbox" / "a.xlsx").exists() and (second / "inbox" / "a.xlsx").exists()
    assert not (tmp_path / "ingest-runs").exists()


def test_the_machine_description_names_the_filesystem_and_its_journal(tmp_path):
    from benchmarks import machine

    info = machine.describe(tmp_path)
    assert info["cores"] and info["python"] and info["sqlite"]
    assert info["journal"] in ("journal", "no journal", "n/a", "unknown")
    assert " on " in info["filesystem"]
    assert "cores" in machine.line(info)
    assert machine.journal_state("tmpfs", "tmpfs") == "n/a"


def test_the_city_generator_builds_a_ledger_with_ten_events_an_item_that_sancha_reads(tmp_path, capsys):
    import sqlite3

    from benchmarks import city

    root = city.build(tmp_path, units=6, items=400, seed=2)
    conn = sqlite3.connect(root / "data" / "ledger.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 400
    notices = conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'notice'").fetchone()[0]
    assert notices > 0  # the past weeks' 督办 and 提醒 (issue 20: inspections and notices included)
    assert conn.execute("SELECT COUNT(*) FROM events WHERE kind <> 'notice'").fetchone()[0] == 4000
    assert conn.execute("SELECT COUNT(*) FROM inspections").fetchone()[0] == city.INSPECTIONS
    found = conn.execute("SELECT COUNT(*) FROM items WHERE inspection IS NOT NULL").fetchone()[0]
    conn.close()
    assert 50 < found < 250  # about a third of the items found by an inspection
    assert city.build(tmp_path, units=6, items=400, seed=2) == root  # cached
    assert main(["-C", str(root), "status", "--json", "--as-of", "2026-11-27"]) == 0
    assert sum(u["items"] for u in json.loads(capsys.readouterr().out)["units"]) == 400
    assert main(["-C", str(root), "notices", "--json", "--as-of", "2026-11-27"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sum(len(n["items"]) for n in listed) == notices
    assert main(["-C", str(root), "inspection", "list", "--json", "--as-of", "2026-11-27"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == city.INSPECTIONS
