"""The benchmark generator writes files sancha accepts (no timing here: benchmarks are not tests)."""

import json
import sys
from pathlib import Path

import pytest

from pipeline.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not an installed package
from benchmarks import generate


@pytest.mark.parametrize("units, files, rows, seed", [(2, 3, 5, 1), (5, 12, 8, 7)])
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
