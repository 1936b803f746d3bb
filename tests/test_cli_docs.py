"""Every command has help text and is documented in the README."""

from pathlib import Path

import typer.main

from pipeline.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_has_help_and_is_in_the_readme():
    group = typer.main.get_command(app)
    names = sorted(group.commands)
    assert {"init", "ingest", "check", "export", "weekly", "watch", "status", "calendar"} <= set(names)
    for name in names:
        cmd = group.commands[name]
        assert (cmd.help or "").strip(), f"{name} has no help text"
        assert f"sancha {name}" in README, f"sancha {name} is not in the README"
