"""A workspace for the web desk's tests, built through the library as an office would fill it:
two units' files received on 2026-11-01 (区住建局's found by the 督查 JC2026-01, whose report is
late; an item overdue with no report since, one due later,
one reported done, a hostile text), one file rejected on 2026-12-01, the weekly batch of
2026-12-07 run (documents in outbox/).
"today" for the desk is 2026-12-07."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import date
from pathlib import Path

from builders import CONFIG_TOML, data_row, submission_rows, xlsx_bytes

from pipeline.ledger.ingest import ingest_inbox
from pipeline.ledger.inspections import add_inspection
from pipeline.ledger.ledger import Ledger
from pipeline.output.documents.templates import write_default_templates
from pipeline.service.weekly import run_weekly
from pipeline.workspace import Workspace

TODAY = date(2026, 12, 7)
RECEIVED = date(2026, 11, 1)
REJECTED_ON = date(2026, 12, 1)
HOSTILE = 'A&B<二期>"引号"<script>alert(1)</script>'
PASSWORD = "correct-horse-9"
INSPECTION = "2026年第四季度重点工作督查"  # JC2026-01: its report was due 2026-10-30 and has not come
EVIDENCE_PDF = b"%PDF-1.4\n%web desk fixture\n%%EOF\n"


def build_workspace(root: Path, *, weekly: bool = True) -> Workspace:
    ws = Workspace(root)
    root.mkdir(parents=True, exist_ok=True)
    ws.config_path.write_text(CONFIG_TOML, encoding="utf-8")
    ws.ensure()
    write_default_templates(ws.templates)
    finance = submission_rows(
        data_row(1, problem=f"政府采购项目验收不及时 {HOSTILE}", deadline="2026-11-10", source="审计"),
        data_row(2, problem="非税收入缴库不及时", deadline="2027-03-31", source="巡查"),
        data_row(3, problem="专项资金拨付滞后", deadline="2026-11-15", status="已完成", done_on="2026-10-28",
                 progress="已全部拨付到位"),
        data_row(4, problem="国有资产台账不全", deadline="长期坚持", status="长期坚持", source=""),
        report_date="2026年11月1日",
    )
    (ws.inbox / "区财政局_三单.xlsx").write_bytes(xlsx_bytes(finance))
    housing = submission_rows(
        data_row(1, problem="老旧小区改造进度滞后", deadline="2026-12-09", lead_unit="区住建局", source="督查"),
        data_row(2, problem="建筑工地扬尘管控不到位", deadline="2026-10-30", lead_unit="区住建局", source="督查"),
        unit="区住建局", report_date="2026年11月1日",
    )
    housing[1][2] = f"检查名称：{INSPECTION}"  # both found by the 督查 registered below (issue 17)
    (ws.inbox / "区住建局_三单.xlsx").write_bytes(xlsx_bytes(housing))
    with Ledger.open(ws.db_path) as led:
        add_inspection(led, kind="督查", name=INSPECTION, start=date(2026, 10, 19), end=date(2026, 10, 23),
                       form="专项督查", units=["区住房城乡建设局"], operator="测试员")
    results = ingest_inbox(ws, received=RECEIVED)
    assert [r.verdict for r in results] == ["accepted", "accepted"], [r.findings for r in results]
    bad = submission_rows(data_row(1, problem="审计整改不彻底", deadline="2026.13.01", lead_unit="区审计局"),
                          unit="区审计局", report_date="2026年12月1日")
    (ws.inbox / "区审计局_有错误.xlsx").write_bytes(xlsx_bytes(bad))
    assert [r.verdict for r in ingest_inbox(ws, received=REJECTED_ON)] == ["rejected"]
    (ws.inbox / "区财政局").mkdir(exist_ok=True)  # 佐证材料 of the item reported done (issue 23)
    (ws.inbox / "区财政局" / "2026-0003_拨付凭证.pdf").write_bytes(EVIDENCE_PDF)
    assert [r.verdict for r in ingest_inbox(ws, received=REJECTED_ON)] == ["evidence"]
    if weekly:
        run_weekly(ws, TODAY, workers=1)
    return ws


def copy_workspace(ws: Workspace, root: Path) -> Workspace:
    """A private copy of a built workspace (a test may change it)."""
    shutil.copytree(ws.root, root)
    return Workspace(root)


def state_dump(ws: Workspace) -> dict:
    """Everything a request could change: every ledger table's rows, and every file of the
    workspace but the logs (name → sha256)."""
    dump: dict = {}
    conn = sqlite3.connect(ws.db_path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for t in tables:
            dump[f"table:{t}"] = sorted(map(repr, conn.execute(f"SELECT * FROM {t}")))
    finally:
        conn.close()
    for p in sorted(ws.root.rglob("*")):
        rel = p.relative_to(ws.root).as_posix()
        if p.is_file() and not rel.startswith("data/logs/") and not rel.startswith("data/ledger.sqlite"):
            dump[f"file:{rel}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return dump
