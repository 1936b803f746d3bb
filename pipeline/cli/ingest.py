"""Commands around the ledger itself: init, ingest, check, export, office actions, show."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from pipeline.cli import UserError, app, console, err_console, get_workspace, parse_day
from pipeline.ledger.ledger import Ledger, LedgerError
from pipeline.model import Finding
from pipeline.output.export import records, to_csv, to_json
from pipeline.workspace import Workspace

VERDICT_WORDS = {"accepted": "已接收", "rejected": "退回", "duplicate": "重复"}

STARTER_CONFIG = """\
# sancha 工作区配置。改完保存即可，下次运行生效。
[office]
name = "某某区人民政府办公室"
doc_prefix = "某政办"          # 发文字号：某政办〔2026〕12号
cc = ["区纪委监委"]            # 抄送
aliases = ["督查室"]           # 督查室代各单位报送时“填报单位”可写的名称
contact = "区委区政府督查室，联系电话："

# 配合责任单位中可以出现的泛指（不是具体单位）
[groups]
phrases = ["各乡镇街道", "各预算单位", "区直各部门"]

# 每个单位一段：name 为规范名称，aliases 为各单位表格里常见的写法
[[units]]
name = "区财政局"
aliases = ["财政局", "区财政"]

[calendar]
# chinesecalendar 尚未收录的年份：国务院公布放假安排后在此补充（优先于内置日历）
holidays = []
workdays = []
"""


def _files_from(paths: list[Path]) -> list[Path]:
    from pipeline.ledger.inbox import is_candidate

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and is_candidate(f))
        elif p.exists():
            out.append(p)
        else:
            raise UserError(f"找不到文件或目录：{p}")
    return out


def _print_findings(findings: list[Finding], title: str) -> None:
    if not findings:
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in ("位置", "代码", "级别", "说明", "建议"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f.where or "-", f.code, "错误" if f.severity == "error" else "提示", f.message, f.hint or "")
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
    console.print(f"共 {len(results)} 个文件：接收 {accepted}，退回 {rejected}，重复 {len(results) - accepted - rejected}。"
                  "回执已写入 outbox/<单位>/。")


@app.command()
def init(directory: Path = typer.Argument(..., help="新工作区的目录")) -> None:
    """新建工作区：sancha.toml、inbox/、outbox/、templates/ 和 data/（台帐数据库与归档）。"""
    ws = Workspace(directory.resolve())
    ws.ensure()
    if not ws.config_path.exists():
        ws.config_path.write_text(STARTER_CONFIG, encoding="utf-8")
    try:
        from pipeline.output.documents.templates import write_default_templates
    except ImportError:
        write_default_templates = None
    if write_default_templates:
        write_default_templates(ws.templates)
    console.print(f"工作区已就绪：{ws.root}")
    console.print(f"下一步：在 {ws.config_path.name} 中登记各单位，然后把报送文件放进 inbox/，运行 sancha ingest。")


@app.command()
def ingest(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(None, help="要处理的文件或目录；默认处理 inbox/ 中等待的全部文件"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出结果（供脚本使用）"),
    as_of: str | None = typer.Option(None, "--as-of", help="按此日期（YYYY-MM-DD）计收件日期，默认今天"),
) -> None:
    """读取、核对报送文件并合并进台帐；每个文件给出回执。退出码：0 全部接收或重复，1 有文件被退回，2 用法或配置错误。"""
    from pipeline.ledger.inbox import waiting_files  # here, not at the top: `sancha --help` starts faster
    from pipeline.ledger.ingest import ingest_paths

    ws = get_workspace(ctx)
    ws.ensure()
    received = parse_day(as_of)
    files = _files_from(paths) if paths else waiting_files(ws)
    if as_json or len(files) < 10:
        results = ingest_paths(ws, files, received)
    else:
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("处理报送文件", total=len(files))
            results = ingest_paths(ws, files, received, progress=lambda _r: progress.advance(task))
    if as_json:
        sys.stdout.write(json.dumps({"files": [r.as_json() for r in results]}, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_results(results)
    if any(r.verdict == "rejected" for r in results):
        raise typer.Exit(1)


@app.command()
def check(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="要检查的文件"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
    unit: str | None = typer.Option(None, "--unit", help="按此单位报送来检查（相当于放在 inbox/<单位>/）"),
) -> None:
    """只检查文件，不改动台帐——各单位报送前可先自查。退出码 1 表示有错误。"""
    from pipeline.intake.parse import stream_submission

    ws = get_workspace(ctx)
    out, bad = [], False
    for path in _files_from(files):
        stream = stream_submission(path.read_bytes(), path.name, ws.config, folder_unit=unit, received=date.today())
        rows = sum(len(chunk) for chunk in stream.chunks())  # counted, not kept: a huge sheet stays streamed
        sub = stream.result()
        bad |= not sub.ok
        out.append((path, sub, rows))
    if as_json:
        payload = {"files": [{"path": str(p), "unit": s.unit, "ok": s.ok, "rows": n,
                              "issues": [f.as_dict() for f in s.findings]} for p, s, n in out]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for path, sub, rows in out:
            verdict = "可以报送" if sub.ok else "有错误，报送后会被退回"
            console.print(f"{path.name}：{sub.unit or '单位未识别'}，{rows} 行，{verdict}")
            _print_findings(list(sub.findings), f"{path.name} 的问题")
    if bad:
        raise typer.Exit(1)


def _load_states(ws: Workspace, items, as_of: date):
    from pipeline.deadlines.states import compute_states
    from pipeline.deadlines.workdays import WorkCalendar

    return compute_states(items, as_of, WorkCalendar.from_config(ws.config), ws.config.rules)


@app.command()
def export(
    ctx: typer.Context,
    fmt: str = typer.Option("json", "--format", help="json、xlsx 或 csv"),
    output: Path | None = typer.Option(None, "-o", "--output", help="输出文件；json/csv 默认输出到屏幕"),
    as_of: str | None = typer.Option(None, "--as-of", help="按此日期计算状态，默认今天"),
) -> None:
    """导出台帐（含各事项截至某日的状态）。"""
    ws = get_workspace(ctx)
    fmt = fmt.lower()
    if fmt not in ("json", "xlsx", "csv"):
        raise UserError(f"--format 只能是 json、xlsx 或 csv，不是 “{fmt}”")
    day = parse_day(as_of)
    with Ledger.open(ws.db_path) as ledger:
        items = ledger.items()
    states = _load_states(ws, items, day)
    if fmt == "xlsx":
        from pipeline.deadlines.states import unit_summary
        from pipeline.output.documents.ledger_xlsx import ledger_workbook

        data = ledger_workbook(ws.config, items, states, unit_summary(items, states), day)
        output = output or ws.outbox / f"三单工作台帐_{day:%Y%m%d}.xlsx"
    else:
        recs = records(items, states)
        data = to_json(recs) if fmt == "json" else to_csv(recs)
    if output is None:
        sys.stdout.buffer.write(data) if fmt == "json" else sys.stdout.write(data.decode("utf-8-sig"))
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(f"已导出 {len(items)} 项到 {output}")


def _office_action(ctx: typer.Context, action) -> None:
    ws = get_workspace(ctx)
    with Ledger.open(ws.db_path) as ledger:
        try:
            action(ledger)
        except LedgerError as e:
            raise UserError(str(e), code=1) from None


@app.command()
def close(ctx: typer.Context, ids: list[str] = typer.Argument(..., help="事项编号"),
          note: str | None = typer.Option(None, "--note", help="销号说明"),
          on: str | None = typer.Option(None, "--on", help="销号日期，默认今天")) -> None:
    """销号：督查室核实整改到位后关闭事项（记入事项历史）。"""
    day = parse_day(on, "--on")
    _office_action(ctx, lambda led: led.close_items(ids, day, note))
    console.print(f"已销号：{'、'.join(ids)}")


@app.command()
def reopen(ctx: typer.Context, item_id: str = typer.Argument(..., help="事项编号"),
           note: str | None = typer.Option(None, "--note", help="说明")) -> None:
    """重新打开已销号的事项。"""
    _office_action(ctx, lambda led: led.reopen_item(item_id, date.today(), note))
    console.print(f"已重新打开：{item_id}")


@app.command()
def lookback(ctx: typer.Context, ids: list[str] = typer.Argument(..., help="事项编号"),
             note: str | None = typer.Option(None, "--note", help="回头看情况"),
             on: str | None = typer.Option(None, "--on", help="回头看日期，默认今天")) -> None:
    """登记“回头看”。"""
    day = parse_day(on, "--on")
    _office_action(ctx, lambda led: led.record_lookbacks(ids, day, note))
    console.print(f"已登记回头看：{'、'.join(ids)}")


@app.command()
def extend(ctx: typer.Context, item_id: str = typer.Argument(..., help="事项编号"),
           to: str = typer.Option(..., "--to", help="批准后的新整改时限 YYYY-MM-DD"),
           note: str = typer.Option(..., "--note", help="延期理由及批准情况")) -> None:
    """登记经批准的延期：新时限生效，原时限保留在历史中。"""
    new = parse_day(to, "--to")
    _office_action(ctx, lambda led: led.extend_deadline(item_id, new, date.today(), note))
    console.print(f"{item_id} 整改时限已延至 {new:%Y年%m月%d日}")


@app.command()
def show(ctx: typer.Context, item_id: str = typer.Argument(..., help="事项编号")) -> None:
    """查看一个事项及其全部历史。"""
    ws = get_workspace(ctx)
    with Ledger.open(ws.db_path) as ledger:
        item = ledger.item(item_id)
        if item is None:
            raise UserError(f"台帐中没有编号 {item_id}", code=1)
        history = ledger.history(item_id)
    for key, value in records([item])[0].items():
        console.print(f"{key}: {value}", markup=False)
    table = Table(title="历史", title_justify="left")
    for col in ("时间", "动作", "字段", "原值", "新值", "来源文件", "说明"):
        table.add_column(col, overflow="fold")
    for h in history:
        table.add_row(h.at, h.action, h.field or "", h.old or "", h.new or "", h.file_name or "", h.note or "")
    console.print(table)
