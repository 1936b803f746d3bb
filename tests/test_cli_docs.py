"""Every command speaks Chinese in its help and is in the README's table of commands."""

import re
from pathlib import Path

import typer.main

from pipeline.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
CJK = re.compile(r"[\u4e00-\u9fff]")


def commands(group, path=("sancha",)):
    """(command path, command) of every command and subcommand, depth first."""
    for name, cmd in sorted(group.commands.items()):
        yield (*path, name), cmd
        if hasattr(cmd, "commands"):
            yield from commands(cmd, (*path, name))


def readme_table() -> set[str]:
    """The commands named in the rows of README's table under ## Commands."""
    section = README[README.index("\n## Commands\n"):]
    rows = [line for line in section.splitlines()[2:] if line.startswith("|")]
    return {" ".join(m.split()) for row in rows for m in re.findall(r"`(sancha(?: [a-z][a-z-]*)+)", row)}


def test_every_command_has_chinese_help_and_is_in_the_readme_table():
    group = typer.main.get_command(app)
    found = list(commands(group))
    assert {"init", "ingest", "check", "export", "weekly", "watch", "status", "calendar"} <= {p[1] for p, _ in found}
    assert CJK.search(group.help or "")
    table = readme_table()
    for path, cmd in found:
        name = " ".join(path)
        assert CJK.search(cmd.help or ""), f"{name} has no Chinese help text"
        documented = name in table or (hasattr(cmd, "commands") and any(t.startswith(name + " ") for t in table))
        assert documented, f"{name} is not in the README's table of commands"


def test_every_option_and_argument_is_explained_in_chinese():
    for path, cmd in commands(typer.main.get_command(app)):
        for param in cmd.params:
            if param.name != "help":
                assert CJK.search(getattr(param, "help", None) or ""), f"{' '.join(path)} {param.name}"


def test_the_readme_table_names_no_command_that_is_gone():
    names = {" ".join(p) for p, _ in commands(typer.main.get_command(app))}
    assert readme_table() <= names
