"""The findings catalogue: every code declared once, README's tables in step with it, and no
finding made anywhere but through it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import pipeline
from pipeline.intake import findings
from pipeline.intake.findings import CATALOGUE, FILE, WORKSPACE, UnknownCode, make

ROOT = Path(pipeline.__file__).resolve().parent
README = ROOT.parent / "README.md"
_ROW = re.compile(r"^\| `([a-z-]+)` \| ([a-z /]+) \| ([^|]+) \| [^|]+ \|$")


def readme_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """README's section "Findings: every code": {scope: {code: (level, title)}}, the first table a
    file's findings, the second doctor's."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Findings: every code"):]
    section = section[:section.index("\n## ", 1)]
    tables: list[dict[str, tuple[str, str]]] = []
    in_table = False
    for line in section.splitlines():
        m = _ROW.match(line)
        if m:
            if not in_table:
                tables.append({})
            in_table = True
            code, level, title = m.groups()
            assert code not in tables[-1], f"{code} twice in README"
            tables[-1][code] = (level.strip(), title.strip())
        elif not line.startswith("|"):
            in_table = False
    assert len(tables) == 2, "README lists a file's findings, then doctor's"
    return {FILE: tables[0], WORKSPACE: tables[1]}


def test_readme_tables_and_the_catalogue_agree_on_codes_levels_and_titles():
    expected = {scope: {c.code: (" / ".join(c.levels), c.title) for c in CATALOGUE.values() if c.scope == scope}
                for scope in (FILE, WORKSPACE)}
    assert readme_tables() == expected


def test_every_declared_code_is_a_module_name_of_its_own_and_kebab_case():
    declared = {name: value for name, value in vars(findings).items() if isinstance(value, findings.Code)}
    assert {c.code for c in declared.values()} == set(CATALOGUE)
    for name, code in declared.items():
        assert name == code.code.upper().replace("-", "_")
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", code.code)
        assert code.title and not code.title.isascii()


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(ROOT.rglob("*.py"))]


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def test_findings_are_made_only_through_the_catalogue():
    """No `Finding(code, …)` outside the catalogue (rebuilding one from its stored dict,
    `Finding(**f)`, is fine), no code declared elsewhere, and every code named by `make(…)` or
    by a catalogue attribute exists — so the code base cannot emit an undeclared code."""
    made_elsewhere, unknown = [], []
    for path, tree in _sources():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _callee(node)
                rebuilt = not node.args and all(k.arg is None for k in node.keywords)  # Finding(**stored)
                if name == "Finding" and rel != "intake/findings.py" and not rebuilt:
                    made_elsewhere.append(f"{rel}:{node.lineno}")
                if name in ("_declare", "Code") and rel != "intake/findings.py":
                    made_elsewhere.append(f"{rel}:{node.lineno}")
                first = node.args[0] if node.args else None
                literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
                if name == "make" and literal is not None and literal not in CATALOGUE:
                    unknown.append(f"{rel}:{node.lineno} {literal}")
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "findings"
                    and node.attr.isupper() and not hasattr(findings, node.attr)):
                unknown.append(f"{rel}:{node.lineno} findings.{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "pipeline.intake.findings":
                unknown += [f"{rel}:{node.lineno} {a.name}" for a in node.names if not hasattr(findings, a.name)]
    assert made_elsewhere == [] and unknown == []


def test_a_code_not_in_the_catalogue_cannot_be_made():
    with pytest.raises(UnknownCode):
        make("no-such-code", "Sheet1", "A1")


def test_a_finding_takes_exactly_its_templates_placeholders():
    assert make("bad-deadline", "台帐", "F5", text="明年", hint="请写成日期").message == "台帐!F5：整改时限 “明年” 不是有效日期"
    with pytest.raises(TypeError):
        findings.BAD_DEADLINE.at("台帐", "F5", text="明年")  # no hint
    with pytest.raises(TypeError):
        findings.BAD_DEADLINE.at("台帐", "F5", text="明年", hint="…", value="明年")  # one too many
    with pytest.raises(KeyError):
        findings.BAD_DEADLINE.at("台帐", "F5", form="no-such-form", text="明年", hint="…")


def test_a_form_may_change_the_level_only_where_declared():
    hidden = findings.TOO_MANY_FINDINGS.at("台帐", form="errors-left-out", limit=2, more=3, hidden=1)
    shown = findings.TOO_MANY_FINDINGS.at("台帐", limit=2, more=3)
    assert (hidden.severity, shown.severity) == ("error", "warning")
    assert hidden.message == "问题过多：只列出前 2 条，另有 3 条未列出（其中 1 处错误，整个文件未录入台帐）"
