"""File names: whatever a unit's file is called (255 bytes of Chinese, not UTF-8, a Windows
device name, trailing dots), every name sancha derives from it fits one path component (255
bytes / UTF-16 units) and a Windows path, is cut only between characters, and reads."""

from __future__ import annotations

import os
import sys

import pytest
from builders import data_row, submission_rows, xlsx_bytes

from pipeline.workspace import NAME_BYTES, derived_name, fit_name, readable_name, safe_filename, split_name

LONG = "区财政局关于三查三单整改落实情况的报告" * 5  # 95 characters, 285 bytes in UTF-8


def byte_len(name: str) -> int:
    return len(name.encode("utf-8"))


@pytest.mark.parametrize("name, safe", [
    ("CON", "_CON"), ("nul.txt", "_nul.txt"), ("COM1.xlsx", "_COM1.xlsx"), ("lpt9", "_lpt9"),
    ("a:b", "a_b"), ("报表. . .", "报表"), ("  ..隐藏", "隐藏"), ("x\x00y", "x_y"), ("...", "未命名"),
    ("CONSOLE.xlsx", "CONSOLE.xlsx"),
])
def test_windows_names_become_safe(name, safe):
    assert safe_filename(name) == safe


def test_a_long_name_is_cut_between_characters_to_fit_the_bytes():
    cut = safe_filename(LONG + "😀" * 10)
    assert byte_len(cut) <= NAME_BYTES and LONG.startswith(cut)
    assert fit_name("a😀b", 4) == "a" and fit_name("家👨\u200d👩", 8) == "家👨"  # never half a character or a joiner


def test_every_derived_name_fits_whatever_the_original(tmp_path):
    folder = tmp_path / "outbox" / "区财政局"
    for name in (LONG + ".xlsx", "很" * 84 + ".xlsx", "x." + "长" * 100):
        stem, suffix = split_name(name)
        for prefix, end in (("回执_20261120_", "_12345.txt"), ("0123456789abcdef_", suffix), ("退回标注_7_", suffix)):
            derived = derived_name(folder, prefix, stem, end)
            assert derived.startswith(prefix) and derived.endswith(end)
            assert byte_len("." + derived + ".tmp") <= 255  # the temporary name too
            assert len(str(folder / derived)) + 5 <= 259 or len(derived) <= 60


def test_a_name_that_is_not_utf8_reads_as_gbk():
    gbk = os.fsdecode("区财政局_三单.xlsx".encode("gbk")) if sys.platform != "win32" else "区财政局_三单.xlsx"
    assert readable_name(gbk) == "区财政局_三单.xlsx"
    assert readable_name(os.fsdecode(b"\xff\xfe.xlsx")) == "\ufffd\ufffd.xlsx"
    assert readable_name("普通.xlsx") == "普通.xlsx"


def _receipts(ws):
    return sorted(p.name for p in ws.outbox.rglob("回执_*.txt"))


def test_a_file_named_with_255_bytes_of_chinese_is_archived_answered_and_removed(workspace, cli):
    name = "区财政局" + "三" * 79 + ".xlsx"  # 83 characters: 249 + 5 bytes
    assert byte_len(name) <= 255
    (workspace.inbox / name).write_bytes(xlsx_bytes(submission_rows(data_row(1))))
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["accepted"]
    (receipt,) = _receipts(workspace)
    assert byte_len(receipt) <= NAME_BYTES and receipt.startswith("回执_") and receipt.endswith(".txt")
    (copy,) = [p for p in workspace.archive.rglob("*") if p.is_file()]
    assert byte_len(copy.name) <= NAME_BYTES and copy.name.endswith(".xlsx")
    assert not list(workspace.inbox.iterdir())
    assert cli.json("ingest", "--json")["files"] == []  # nothing stuck half-answered


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="file names are bytes on Linux only")
def test_a_gbk_file_name_is_read_archived_and_answered_in_a_readable_form(workspace, cli):
    raw = os.fsencode(workspace.inbox) + b"/" + "区财政局_三单.xlsx".encode("gbk")
    with open(raw, "wb") as fh:
        fh.write(xlsx_bytes(submission_rows(data_row(1))))
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["accepted"] and result["path"] == "inbox/区财政局_三单.xlsx"
    (receipt,) = _receipts(workspace)
    assert "区财政局_三单" in receipt
    text = next(workspace.outbox.rglob("回执_*.txt")).read_text(encoding="utf-8-sig")
    assert "文件名称：区财政局_三单.xlsx" in text
    assert next(p.name for p in workspace.archive.rglob("*.xlsx")).endswith("_区财政局_三单.xlsx")
    assert not os.listdir(os.fsencode(workspace.inbox))
    assert cli.json("ingest", "--json")["files"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="Windows refuses these names itself")
@pytest.mark.parametrize("name", ["CON.xlsx", "a:b.xlsx", "报表. .xlsx. ", "NUL"])
def test_a_windows_device_or_odd_name_is_answered_under_a_safe_name(workspace, cli, name):
    (workspace.inbox / "区财政局").mkdir()
    (workspace.inbox / "区财政局" / name).write_bytes(xlsx_bytes(submission_rows(data_row(1))))
    (result,) = cli.json("ingest", "--json")["files"]
    assert result["path"] == f"inbox/区财政局/{name}"
    (receipt,) = _receipts(workspace)
    assert ":" not in receipt and not receipt.removesuffix(".txt").rpartition("_")[0].endswith((" ", "."))
    assert all(not p.name.upper().startswith(("CON.", "NUL")) for p in workspace.archive.rglob("*"))
