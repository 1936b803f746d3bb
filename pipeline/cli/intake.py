"""Commands that read units' files: ingest (into the ledger) and check (the ledger untouched)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from pipeline.cli.app import app, console, err_console, get_workspace, severity_word
from pipeline.cli.params import as_of_option, existing_path
from pipeline.errors import Rejected
from pipeline.model import Finding

VERDICT_WORDS = {"accepted": "已接收", "rejected": "退回", "duplicate": "重复", "evidence": "佐证材料"}


def _files_from(paths: list[Path]) -> list[Path]:
    """The files named, and the candidate files inside the folders named."""
    from pipeline.ledger.inbox import is_candidate

    out: list[Path] = []
    for p in paths:
        out += sorted(f for f in p.rglob("*") if f.is_file() and is_candidate(f)) if p.is_dir() else [p]
    return out


def _print_findings(findings: list[Finding], title: str) -> None:
    if not findings:
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in ("位置", "代码", "级别", "说明", "建议"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f.where or "-", f.code, severity_word(f.severity), f.message, f.hint or "")
    console.print(table)


def _print_results(results: list) -> None:
    if not results:
        console.print("收件箱中没有待处理的文件。")
        return
    table = Table(title="处理结果", title_justify="left")
    for col in ("文件", "单位", "结果", "新增", "更新", "错误", "提示"):
        table.add_column(col, overflow="fold")
    for r in results:
        errors = sum(f.severity == "error" for f in r.findings)
        table.add_row(r.name, r.unit or "-", VERDICT_WORDS[r.verdict], str(len(r.added)), str(len(r.updated)),
                      str(errors), str(len(r.findings) - errors))
    console.print(table)
    for r in results:
        if r.findings and r.verdict != "duplicate":
            _print_findings(r.findings, f"{r.name}（{VERDICT_WORDS[r.verdict]}）")
    accepted = sum(r.accepted for r in results)
    rejected = sum(r.verdict == "rejected" for r in results)
    evidence = sum(r.verdict == "evidence" for r in results)
    duplicates = len(results) - accepted - rejected - evidence
    console.print(f"共 {len(results)} 个文件：接收 {accepted}，退回 {rejected}，重复 {duplicates}"
                  + (f"，佐证材料 {evidence}" if evidence else "") + "。回执已写入 outbox/<单位>/。")


def _checked_evidence(ws, path: Path, unit: str | None):
    """A 佐证材料 file checked as ingest would (the ledger read, never written): (item id, findings),
    or None when the file is no evidence. Without --unit, the sender is not checked."""
    from pipeline.intake.evidence import SNIFF_BYTES, evidence_target, taken_as_evidence
    from pipeline.intake.findings import EVIDENCE_TOO_LARGE
    from pipeline.ledger.evidence import evidence_findings
    from pipeline.ledger.ledger import Ledger
    from pipeline.workspace import readable_name

    name = readable_name(path.name)
    target = evidence_target(tuple(readable_name(p) for p in path.parent.parts[-2:]), name)
    if target is None:
        return None
    item = None
    if target.item_id and ws.db_path.exists():
        with Ledger.open(ws.db_path) as ledger:
            item = ledger.item(target.item_id)
    if not taken_as_evidence(target, name, lambda _: item is not None):
        return None
    size, limit = path.stat().st_size, ws.config.evidence.max_mb
    if size > limit * 1024 * 1024:
        return target.item_id, [EVIDENCE_TOO_LARGE.at(file=name, size_mb=size / 1024 / 1024, limit_mb=limit)]
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    sender = unit or (item.unit if item else None)
    return target.item_id, evidence_findings(ws.config, name=name, head=head, target=target, unit=sender, item=item)


def _checked(reader, path: Path, config, unit: str | None) -> tuple:
    """A file read and checked as ingest would (its size first, then in a worker): (Submission, rows)."""
    from pipeline.intake.findings import FILE_TOO_LARGE
    from pipeline.intake.parse import stream_submission
    from pipeline.model import Submission
    from pipeline.workspace import readable_name

    name = readable_name(path.name)
    size = path.stat().st_size
    if size > config.limits.max_file_mb * 1024 * 1024:
        finding = FILE_TOO_LARGE.at(file=name, size_mb=size / 1024 / 1024, limit_mb=config.limits.max_file_mb)
        return Submission(name, None, None, None, None, None, (), (finding,)), 0
    data = path.read_bytes()
    result = reader.parse(data, name, unit, date.today())
    if isinstance(result, Submission):
        return result, len(result.rows)
    stream = stream_submission(data, name, config, folder_unit=unit, received=date.today())
    rows = sum(len(chunk) for chunk in stream.chunks())  # counted, not kept: a huge sheet stays streamed
    return stream.result(), rows


@app.command()
def ingest(
    ctx: typer.Context,
    received: Annotated[date, as_of_option("按此日期（YYYY-MM-DD）计收件日期，默认今天")],
    paths: Annotated[list[Path] | None, typer.Argument(
        parser=existing_path, metavar="PATH", show_default=False,
        help="要处理的文件或目录；默认处理 inbox/ 中等待的全部文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（供脚本使用）")] = False,
) -> None:
    """读取、核对报送文件并合并进台帐；每个文件给出回执。退出码：0 全部接收或重复，1 有文件被退回，2 用法或配置错误。"""
    from pipeline.ledger.inbox import waiting_files  # here, not at the top: `sancha --help` starts faster
    from pipeline.ledger.ingest import ingest_paths

    ws = get_workspace(ctx)
    ws.ensure()
    files = _files_from(paths) if paths else waiting_files(ws)
    answered: list = []  # as they are answered: printed even if a later file stops the batch

    def note(r) -> None:
        if r:
            answered.append(r)

    try:
        if as_json or len(files) < 10:
            results = ingest_paths(ws, files, received, progress=note)
        else:
            with Progress(console=err_console, transient=True) as progress:
                task = progress.add_task("处理报送文件", total=len(files))

                def advance(r) -> None:
                    note(r)
                    progress.advance(task)

                results = ingest_paths(ws, files, received, progress=advance)
    except BaseException:
        if as_json:  # a script still learns which files were answered before the error
            _print_json(answered, aborted=True)
        elif answered:
            _print_results(answered)
        raise
    if as_json:
        _print_json(results)
    else:
        _print_results(results)
    if any(r.verdict == "rejected" for r in results):
        raise Rejected()


def _print_json(results: list, aborted: bool = False) -> None:
    payload: dict = {"files": [r.as_json() for r in results]}
    if aborted:
        payload["aborted"] = True
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


@app.command()
def check(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(
        parser=existing_path, metavar="FILE", help="要检查的文件", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    unit: Annotated[str | None, typer.Option(
        "--unit", help="按此单位报送来检查（相当于放在 inbox/<单位>/）", show_default=False)] = None,
) -> None:
    """只检查文件，不改动台帐——各单位报送前可先自查。退出码 1 表示有错误。"""
    from pipeline.intake.isolation import Reader, prestart

    ws = get_workspace(ctx)
    prestart(ws.config.limits)  # the worker starts while the files are found and read
    reader = Reader(ws.config)
    out, bad = [], False
    canonical = ws.config.canonical_unit(unit) if unit else None
    for path in _files_from(files):
        evidence = _checked_evidence(ws, path, canonical)
        if evidence is not None:  # 佐证材料: never parsed (an .xlsx named 2026-0007_… too)
            from pipeline.model import Submission

            sub, rows = Submission(path.name, None, canonical, None, None, None, (), tuple(evidence[1])), 0
        else:
            sub, rows = _checked(reader, path, ws.config, unit)
        bad |= not sub.ok
        out.append((path, sub, rows, evidence))
    if as_json:
        payload = {"files": [{"path": str(p), "unit": s.unit, "ok": s.ok, "rows": n, "evidence": e[0] if e else None,
                              "issues": [f.as_dict() for f in s.findings]} for p, s, n, e in out]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for path, sub, rows, evidence in out:
            verdict = "可以报送" if sub.ok else "有错误，报送后会被退回"
            what = (f"{evidence[0] or '编号无效'} 的佐证材料" if evidence is not None
                    else f"{sub.unit or '单位未识别'}，{rows} 行")
            console.print(f"{path.name}：{what}，{verdict}")
            _print_findings(list(sub.findings), f"{path.name} 的问题")
    if bad:
        raise Rejected()
