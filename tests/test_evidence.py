"""佐证材料 (issue 23): evidence dropped in the inbox is kept byte-identical, attached to its item
as an evidence event, answered by a receipt; refused files say why; close may require it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from builders import CONFIG_TOML, data_row, make_workspace, submission_rows, xlsx_bytes

from pipeline.ledger.ledger import Ledger

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)  # a Windows executable


def drop(ws, rel: str, data: bytes) -> Path:
    path = ws.inbox / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def receipts_of(ws, unit: str) -> list[str]:
    return [p.read_text(encoding="utf-8-sig") for p in sorted((ws.outbox / unit).glob("回执_*.txt"))]


def ingest(cli, day: str = "2026-11-23") -> list[dict]:
    result = cli.json("ingest", "--json", "--as-of", day)
    return result["files"]


@pytest.fixture
def ledger_ws(workspace, cli):
    """Two items of 区财政局 (the second with 区审计局 cooperating) and one of 区住房城乡建设局."""
    rows = submission_rows(data_row(1, problem="政府采购项目验收不及时"),
                           data_row(2, problem="非税收入收缴不及时", co_units="区审计局"))
    drop(workspace, "区财政局/区财政局_三单.xlsx", xlsx_bytes(rows))
    rows = submission_rows(data_row(1, problem="老旧小区改造滞后", lead_unit="区住房城乡建设局"),
                           unit="区住房城乡建设局")
    drop(workspace, "区住房城乡建设局/住建局_三单.xlsx", xlsx_bytes(rows))
    files = ingest(cli, "2026-11-20")
    assert [f["added"] for f in files] == [["2026-0001", "2026-0002"], ["2026-0003"]]
    for p in (workspace.outbox / "区财政局").glob("回执_*.txt"):
        p.unlink()
    return workspace


def evidence_events(ws, item_id: str) -> list:
    with Ledger.open(ws.db_path) as led:
        return [e for e in led.events(item_id) if e.kind == "evidence"]


@pytest.mark.parametrize("rel", ["区财政局/2026-0001_整改照片.jpg", "区财政局/2026-0001 整改照片.jpg",
                                 "区财政局/佐证/2026-0001/整改照片.jpg", "区财政局/2026－0001整改照片.jpg"])
def test_a_file_named_or_filed_under_an_items_id_is_its_evidence_kept_byte_identical(ledger_ws, cli, rel):
    drop(ledger_ws, rel, JPEG)
    (f,) = ingest(cli)
    assert (f["accepted"], f["duplicate"], f["evidence"], f["unit"]) == (True, False, "2026-0001", "区财政局")
    assert not (ledger_ws.inbox / rel).exists()
    (event,) = evidence_events(ledger_ws, "2026-0001")
    name = Path(rel).name
    sha = hashlib.sha256(JPEG).hexdigest()
    assert dict(event.data) | {"archive_path": None} == {"name": name, "size": len(JPEG), "sha256": sha,
                                                         "unit": "区财政局", "archive_path": None}
    assert (ledger_ws.archive / event.data["archive_path"]).read_bytes() == JPEG
    (receipt,) = receipts_of(ledger_ws, "区财政局")
    assert "已收到 2026-0001 佐证材料 1 份" in receipt and "现有佐证材料 1 份" in receipt
    with Ledger.open(ledger_ws.db_path) as led:
        item = led.item("2026-0001")
        assert item is not None and item.evidence_count == 1
        (record,) = [r for r in led.files() if r.verdict == "evidence"]
        assert (record.name, record.updated, record.unit) == (name, ["2026-0001"], "区财政局")


def test_a_co_unit_and_the_office_may_send_evidence_but_not_another_unit(ledger_ws, cli):
    drop(ledger_ws, "区审计局/2026-0002_审计意见.pdf", PDF)
    drop(ledger_ws, "督查室/2026-0003_核查记录.pdf", PDF + b"office")
    drop(ledger_ws, "区审计局/2026-0001_照片.png", PNG)
    files = {f["path"].rsplit("/", 1)[-1]: f for f in ingest(cli)}
    assert files["2026-0002_审计意见.pdf"]["evidence"] == "2026-0002"
    assert files["2026-0003_核查记录.pdf"]["evidence"] == "2026-0003"
    foreign = files["2026-0001_照片.png"]
    assert (foreign["accepted"], foreign["evidence"]) == (False, None)
    assert [i["code"] for i in foreign["issues"]] == ["evidence-foreign-id"]
    assert "2026-0001 由 区财政局 牵头，区审计局 不是其牵头或配合单位" in foreign["issues"][0]["message"]
    text = "\n".join(receipts_of(ledger_ws, "区审计局"))
    assert "退回" in text and "区审计局 不是其牵头或配合单位" in text and "已收到 2026-0002 佐证材料 1 份" in text
    assert evidence_events(ledger_ws, "2026-0001") == []


@pytest.mark.parametrize(("rel", "data", "code", "words"), [
    ("区财政局/2026-0099_照片.jpg", JPEG, "evidence-unknown-id", "台帐中没有编号 2026-0099"),
    ("区财政局/佐证/2026-0099/验收.xlsx", b"PK\x03\x04", "evidence-unknown-id", "台帐中没有编号 2026-0099"),
    ("区财政局/佐证/整改照片.jpg", JPEG, "evidence-unknown-id", "没有标明事项编号"),
    ("区财政局/佐证/第一项/整改照片.jpg", JPEG, "evidence-unknown-id", "“第一项” 不是有效的事项编号"),
    ("区财政局/2026-0001_说明.txt", b"plain text", "evidence-type", "“.txt” 类型的文件不能作为佐证材料"),
    ("区财政局/2026-0001_整改照片.jpg", EXE, "evidence-type", "文件内容不是扩展名所示的 .jpg 文件"),
    ("区财政局/2026-0001_验收报告.pdf", JPEG, "evidence-type", "不是扩展名所示的 .pdf 文件"),
    ("2026-0001_照片.jpg", JPEG, "evidence-foreign-id", "无法确定是哪个单位报送的 2026-0001 佐证材料"),
])
def test_refused_evidence_gets_a_receipt_naming_the_reason_and_is_archived(ledger_ws, cli, rel, data, code,
                                                                            words):
    drop(ledger_ws, rel, data)
    (f,) = ingest(cli)
    assert (f["accepted"], [i["code"] for i in f["issues"]]) == (False, [code])
    assert words in f["issues"][0]["message"]
    assert not (ledger_ws.inbox / rel).exists()
    archived = [p.read_bytes() for p in ledger_ws.archive.rglob("*") if p.is_file() and p.name.endswith(
        Path(rel).name)]
    assert archived == [data]
    folder = "区财政局" if rel.startswith("区财政局") else "未识别单位"
    text = "\n".join(receipts_of(ledger_ws, folder))
    assert "退回" in text and words in text
    assert evidence_events(ledger_ws, "2026-0001") == []


def test_evidence_over_the_size_limit_is_refused_unread(tmp_path, capsys):
    from pipeline.cli import main

    ws = make_workspace(tmp_path / "ws", CONFIG_TOML + '\n[evidence]\nmax_mb = 0.001\ntypes = ["PDF", ".jpg"]\n')
    drop(ws, "区财政局/区财政局_三单.xlsx", xlsx_bytes(submission_rows(data_row(1))))
    assert main(["-C", str(ws.root), "ingest", "--as-of", "2026-11-20"]) == 0
    drop(ws, "区财政局/2026-0001_大照片.jpg", JPEG + bytes(2000))
    drop(ws, "区财政局/2026-0001_验收.png", PNG)  # png is no longer an accepted type
    capsys.readouterr()
    assert main(["-C", str(ws.root), "ingest", "--json", "--as-of", "2026-11-23"]) == 1
    files = {f["path"].rsplit("/", 1)[-1]: f for f in json.loads(capsys.readouterr().out)["files"]}
    big = files["2026-0001_大照片.jpg"]["issues"][0]
    assert big["code"] == "evidence-too-large" and "超过佐证材料上限 0.001 MB" in big["message"]
    png = files["2026-0001_验收.png"]["issues"][0]
    assert png["code"] == "evidence-type" and png["hint"] == "可报送的类型：.pdf、.jpg"
    assert not any(p.name.endswith("大照片.jpg") for p in ws.archive.rglob("*"))  # too large: never archived


def test_the_same_evidence_again_is_a_duplicate(ledger_ws, cli):
    drop(ledger_ws, "区财政局/2026-0001_整改照片.jpg", JPEG)
    ingest(cli)
    drop(ledger_ws, "区财政局/佐证/2026-0001/再发一次.jpg", JPEG)
    (f,) = ingest(cli, "2026-11-24")
    assert (f["duplicate"], f["evidence"]) == (True, None)
    assert len(evidence_events(ledger_ws, "2026-0001")) == 1
    assert "内容完全相同" in receipts_of(ledger_ws, "区财政局")[-1]


def test_a_spreadsheet_named_like_an_id_of_no_item_stays_a_submission(ledger_ws, cli):
    sheet = xlsx_bytes(submission_rows(data_row(1, problem="十一月新发现的问题")))
    drop(ledger_ws, "区财政局/2026-1120三单台账.xlsx", sheet)  # a date, not an item
    (f,) = ingest(cli)
    assert (f["evidence"], f["added"]) == (None, ["2026-0004"])
    drop(ledger_ws, "区财政局/佐证/2026-1120/明细.xlsx", sheet + b"x")  # in a 佐证 folder: evidence, refused
    (f,) = ingest(cli)
    assert [i["code"] for i in f["issues"]] == ["evidence-unknown-id"]


def test_a_spreadsheet_named_after_an_item_is_evidence_and_is_never_parsed(ledger_ws, cli):
    sheet = xlsx_bytes(submission_rows(data_row(1, problem="不应登记的新问题")))
    drop(ledger_ws, "区财政局/2026-0001_明细表.xlsx", sheet)
    (f,) = ingest(cli)
    assert (f["evidence"], f["added"], f["updated"]) == ("2026-0001", [], [])
    with Ledger.open(ledger_ws.db_path) as led:
        assert len(led.items()) == 3


def test_a_ledger_from_before_evidence_takes_the_evidence_verdict_after_0007(tmp_path):
    import shutil
    import sqlite3

    from builders import DATA

    db = tmp_path / "ledger.sqlite"
    shutil.copy(DATA / "main_ledger" / "ledger.sqlite", db)
    with Ledger.open(db) as led:
        assert led.integrity_problems() == []
        assert all(i.evidence_count == 0 and i.evidence_text is None for i in led.items())
    con = sqlite3.connect(db)
    assert "0007_evidence" in {r[0] for r in con.execute("SELECT name FROM migrations")}
    con.execute("INSERT INTO files (sha256, name, source_path, received_on, processed_at, verdict, state) "
                "VALUES ('x', 'a.pdf', 'inbox/a.pdf', '2026-11-23', '2026-11-23T09:00:00', 'evidence', 'done')")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO files (sha256, name, source_path, received_on, processed_at, verdict, state) "
                    "VALUES ('y', 'b.pdf', 'inbox/b.pdf', '2026-11-23', '2026-11-23T09:00:00', 'other', 'done')")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_evidence_among_files_parsed_ahead_in_workers_gives_the_serial_outcome(tmp_path):
    import os
    from datetime import date

    from pipeline.ledger.ahead import HEAD_FILES, STAGING_MIN_WORKERS
    from pipeline.ledger.archive import staging_folder
    from pipeline.ledger.inbox import waiting_files
    from pipeline.ledger.ingest import ingest_paths

    files = {f"区财政局/{k:02d}.xlsx": xlsx_bytes(submission_rows(data_row(1, problem=f"问题{k}：验收不及时")))
             for k in range(HEAD_FILES + 4)}
    # after the head: a worker would parse them; evidence is never parsed, an .xlsx one included
    files["区财政局/2026-0001_照片.jpg"] = JPEG
    files["区财政局/佐证/2026-0002/验收表.xlsx"] = files["区财政局/05.xlsx"] + b"; not the same bytes"
    files["区财政局/2026-0003_伪装.jpg"] = EXE
    outcomes = []
    for workers in (0, STAGING_MIN_WORKERS):
        ws = make_workspace(tmp_path / f"ws{workers}")
        for k, (rel, data) in enumerate(files.items()):
            os.utime(drop(ws, rel, data), (1_700_000_000 + k, 1_700_000_000 + k))
        results = ingest_paths(ws, waiting_files(ws), date(2026, 11, 20), workers=workers)
        outcomes.append([(r.name, r.verdict, r.updated, [f.code for f in r.findings]) for r in results])
        assert not list(staging_folder(ws).glob("*"))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][-3:] == [("2026-0001_照片.jpg", "evidence", ["2026-0001"], []),
                                ("验收表.xlsx", "evidence", ["2026-0002"], []),
                                ("2026-0003_伪装.jpg", "rejected", [], ["evidence-type"])]


def test_check_tells_a_unit_whether_its_evidence_would_be_taken_without_touching_the_ledger(ledger_ws, cli, tmp_path):
    good = tmp_path / "2026-0001_整改照片.jpg"
    good.write_bytes(JPEG)
    fake = tmp_path / "2026-0001_伪装.jpg"
    fake.write_bytes(EXE)
    code, out, _ = cli("check", str(good), "--unit", "区财政局")
    assert code == 0 and "2026-0001_整改照片.jpg：2026-0001 的佐证材料，可以报送" in out
    (faked,) = cli.json("check", "--json", str(fake), "--unit", "区财政局")["files"]
    (foreign,) = cli.json("check", "--json", str(good), "--unit", "区审计局")["files"]
    assert [(f["evidence"], f["ok"], [i["code"] for i in f["issues"]]) for f in (faked, foreign)] == [
        ("2026-0001", False, ["evidence-type"]), ("2026-0001", False, ["evidence-foreign-id"])]
    with Ledger.open(ledger_ws.db_path) as led:
        assert [r.verdict for r in led.files()] == ["accepted", "accepted"]
