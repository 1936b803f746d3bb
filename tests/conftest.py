"""Shared fixtures: a fresh workspace with the test units, and the CLI driven in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import make_workspace

from pipeline.cli import main
from pipeline.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


class Cli:
    """Runs `sancha -C <workspace> …` in-process; returns (exit code, stdout, stderr)."""

    def __init__(self, ws: Workspace, capsys):
        self.ws, self.capsys = ws, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.ws.root), *map(str, args)])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str):
        code, out, err = self(*args)
        assert code in (0, 1), err
        return json.loads(out)


@pytest.fixture
def cli(workspace, capsys) -> Cli:
    return Cli(workspace, capsys)
