"""Links and odd entries in the inbox are never followed or read: a link (to a file outside the
workspace, to a folder, a hard link) is answered link-not-allowed and removed — the link, never
its target; a FIFO and a folder named like a workbook are said once in the log and left alone."""

from __future__ import annotations

import logging
import os
import sys

import pytest
from builders import data_row, submission_rows, xlsx_bytes

from pipeline.ledger.inbox import waiting_files

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and FIFOs")


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "passwd.xlsx"
    path.parent.mkdir()
    path.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    return path


def archived(ws) -> list[bytes]:
    return [p.read_bytes() for p in ws.archive.rglob("*") if p.is_file()]


@pytest.mark.parametrize("how", ["symlink", "hardlink", "dangling", "folder-link"])
def test_a_link_is_answered_and_removed_never_its_target(workspace, cli, secret, how):
    folder = workspace.inbox / "区财政局"
    folder.mkdir()
    link = folder / "三单.xlsx"
    if how == "symlink":
        link.symlink_to(secret)
    elif how == "hardlink":
        os.link(secret, link)
    elif how == "dangling":
        link.symlink_to(secret.parent / "gone.xlsx")
    else:
        link.symlink_to(secret.parent, target_is_directory=True)
    (result,) = cli.json("ingest", "--json")["files"]
    assert not result["accepted"] and [i["code"] for i in result["issues"]] == ["link-not-allowed"]
    assert not os.path.lexists(link) and secret.read_bytes().startswith(b"root:")
    assert archived(workspace) == []  # the target was never read
    (receipt,) = (workspace.outbox / "区财政局").glob("回执_*.txt")
    assert "链接" in receipt.read_text(encoding="utf-8-sig")
    assert cli.json("ingest", "--json")["files"] == []  # answered once


def test_a_fifo_and_a_folder_named_like_a_workbook_are_left_alone_and_said_once(workspace, cli, caplog):
    os.mkfifo(workspace.inbox / "管道.xlsx")
    (workspace.inbox / "解压.xlsx" / "xl").mkdir(parents=True)
    (workspace.inbox / "解压.xlsx" / "xl" / "workbook.xml").write_text("<x/>")
    (workspace.inbox / "区财政局_正常.xlsx").write_bytes(xlsx_bytes(submission_rows(data_row(1))))
    with caplog.at_level(logging.WARNING, logger="sancha.ingest"):
        (result,) = cli.json("ingest", "--json")["files"]  # the FIFO never blocks the batch
        assert result["accepted"]
        assert cli.json("ingest", "--json")["files"] == []
        waiting_files(workspace)
    said = [r.getMessage() for r in caplog.records]
    assert sum("管道.xlsx" in m for m in said) == 1 and sum("解压.xlsx" in m for m in said) == 1
    assert (workspace.inbox / "管道.xlsx").exists() and (workspace.inbox / "解压.xlsx" / "xl" / "workbook.xml").exists()
