"""What a script can do without the command line: the library functions the commands call,
giving what the commands give, and the exceptions carrying the exit codes the CLI uses."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from builders import data_row, submission_rows, xlsx_bytes
from docx import Document

from pipeline.config import ConfigError
from pipeline.errors import Refused, Rejected, SanchaError, UsageError
from pipeline.ledger.ledger import LedgerError
from pipeline.ledger.standing import load_standing
from pipeline.model import STATE_OVERDUE
from pipeline.output.documents.render import DocumentError, DocumentWriteError
from pipeline.output.documents.templates import write_default_templates
from pipeline.output.export import export_ledger
from pipeline.service.report import NothingToReport, write_special_report
from pipeline.service.weekly import BatchRunning
from pipeline.workspace import STARTER_CONFIG, init_workspace

AS_OF = date(2026, 11, 30)


@pytest.fixture
def ingested(workspace, cli):
    rows = submission_rows(data_row(1, problem="采购验收不及时", deadline="2026-10-15", source="审计"),
                           data_row(2, problem="非税收入缴库不及时", deadline="2026-12-31"))
    (workspace.inbox / "区财政局.xlsx").write_bytes(xlsx_bytes(rows))
    assert cli("ingest", "--as-of", "2026-11-20")[0] == 0
    return workspace


def test_init_workspace_makes_folders_a_starter_config_and_the_templates(tmp_path):
    ws = init_workspace(tmp_path / "新工作区")
    assert ws.config.office_name == "某某区人民政府办公室" and ws.config.unit_names == ("区财政局",)
    assert ws.config_path.read_text(encoding="utf-8") == STARTER_CONFIG
    assert all(d.is_dir() for d in (ws.inbox, ws.outbox, ws.archive, ws.logs, ws.locks))
    assert sorted(p.name for p in ws.templates.iterdir()) == sorted([  # the ladder's and the evaluation's too
        "专题报告.docx", "专题报告反馈.docx", "交办单.docx", "督办通知单.docx", "督查通报.docx", "临期提醒单.docx",
        "督办告诫单.docx", "问责建议清单.docx", "需上级协调事项清单.docx", "考核结果通报.docx"])


def test_init_workspace_keeps_a_config_the_office_edited(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    ws.config_path.write_text(STARTER_CONFIG.replace("某某区", "大观区"), encoding="utf-8")
    assert init_workspace(ws.root).config.office_name == "大观区人民政府办公室"


def test_load_standing_gives_the_items_their_states_and_the_unit_summaries(ingested):
    now = load_standing(ingested, AS_OF)
    assert [i.id for i in now.items] == ["2026-0001", "2026-0002"] and now.as_of == AS_OF
    assert now.states["2026-0001"].state == STATE_OVERDUE
    assert [(s.unit, s.items, s.overdue) for s in now.summaries] == [("区财政局", 2, 1)]
    assert [i.id for i in load_standing(ingested, AS_OF, source="审计").items] == ["2026-0001"]
    assert load_standing(ingested, AS_OF, unit="区审计局").items == []


def test_load_standing_of_a_workspace_without_a_ledger_creates_none(workspace):
    assert load_standing(workspace, AS_OF).items == []
    assert not workspace.db_path.exists()


def test_export_ledger_gives_the_bytes_sancha_export_prints(ingested, cli):
    now = load_standing(ingested, AS_OF)
    data = export_ledger(now, ingested.config, "json")
    assert [r["state"] for r in json.loads(data)] == [STATE_OVERDUE, "正常推进"]
    code, out, _ = cli("export", "--format", "json", "--as-of", AS_OF.isoformat())
    assert code == 0 and out.encode("utf-8") == data
    csv_text = export_ledger(now, ingested.config, "csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,unit,co_units,source,problem")
    sheet = openpyxl.load_workbook(io.BytesIO(export_ledger(now, ingested.config, "xlsx"))).worksheets[0]
    assert any(c.value == "采购验收不及时" for row in sheet.iter_rows() for c in row)
    with pytest.raises(ValueError, match="pdf"):
        export_ledger(now, ingested.config, "pdf")


def test_write_special_report_writes_the_document_of_one_source(ingested):
    write_default_templates(ingested.templates)
    report = write_special_report(ingested, " 审计 ", AS_OF)
    assert report.path == ingested.outbox / "专题报告_审计_2026-11-30.docx" and report.items == 1
    cells = [c.text for t in Document(str(report.path)).tables for r in t.rows for c in r.cells]
    assert "采购验收不及时" in cells and "非税收入缴库不及时" not in cells


def test_a_source_with_no_items_is_refused_with_exit_code_1(ingested, cli):
    with pytest.raises(NothingToReport, match="台帐中没有问题来源为“政协提案”的事项。"):
        write_special_report(ingested, "政协提案", AS_OF)
    assert cli("report", "--source", "政协提案") == (1, "", "错误：台帐中没有问题来源为“政协提案”的事项。\n")


@pytest.mark.parametrize(("error", "exit_code"), [
    (UsageError, 2), (ConfigError, 2), (DocumentError, 2), (DocumentWriteError, 1),
    (Refused, 1), (LedgerError, 1), (BatchRunning, 1), (NothingToReport, 1), (Rejected, 1),
])
def test_the_exit_code_belongs_to_the_exception(error, exit_code):
    assert issubclass(error, SanchaError) and error.exit_code == exit_code


def test_a_refused_action_is_one_line_on_stderr_and_exit_code_1(ingested, cli):
    # issue 16: closing needs a report of done (or --force); reopening needs a new deadline and a reason
    assert cli("close", "2026-0001", "--on", "2026-11-30") == (
        1, "", "错误：2026-0001 尚未报送完成（完成情况：推进中），不能销号；确需销号的请加 --force，登记为强制销号\n")
    assert cli("close", "2026-0001", "--on", "2026-11-30", "--force")[0] == 0
    assert cli("close", "2026-0001") == (1, "", "错误：2026-0001 已于 2026年11月30日 销号\n")
    assert cli("reopen", "2026-0002", "--to", "2027-01-29", "--note", "复查") == (
        1, "", "错误：2026-0002 尚未完成，无需重新打开\n")


def test_undo_on_the_command_line_takes_back_the_items_last_action_once(ingested, cli):
    assert cli("close", "2026-0001", "--on", "2026-11-30", "--force")[0] == 0
    code, out, err = cli("undo", "2026-0001", "--note", "误操作")
    assert (code, err) == (0, "") and "已撤销 2026年11月30日 的销号" in out and "说明：误操作" in out
    shown = cli("show", "2026-0001")[1]
    assert "  2026年11月30日  销号（已撤销；强制销号）" in shown and "撤销 2026年11月30日 的销号（说明：误操作）" in shown
    code, out, err = cli("undo", "2026-0001")
    assert code == 1 and "已是一次撤销" in err


@pytest.mark.parametrize(("args", "message"), [
    (("status", "--as-of", "2026-13-01"), "错误：--as-of 的值 “2026-13-01” 不是日期，请写成 2026-11-30 或 2026年11月30日\n"),
    (("close", "2026-0001", "--on", "昨天"), "错误：--on 的值 “昨天” 不是日期，请写成 2026-11-30 或 2026年11月30日\n"),
    (("show", "第一项"), "错误：“第一项” 不是事项编号；编号写成 2026-0001（年份-序号）\n"),
    (("export", "--format", "PDF"), "错误：--format 只能是 json、xlsx 或 csv，不是 “pdf”\n"),
    (("calendar", "明年"), "错误：“明年” 不是年份，请写成 2027 这样的四位年份\n"),
    (("calendar", "3000"), "错误：年份 3000 超出范围，请写成 2027 这样的四位年份\n"),
    (("watch", "--interval", "0"), "错误：--interval 的值 “0” 应是不小于 0.1 的秒数\n"),
    (("check", "没有这个文件.xlsx"), "错误：找不到文件或目录：没有这个文件.xlsx\n"),
    (("status", "--unit", "区财政厅"), "错误：--unit “区财政厅” 不是登记的单位，是否应为 区财政局、区政府办公室、区民政局？\n"),
    (("report",), "错误：请给出 --source（问题来源）或 --inspection（检查编号）其中之一\n"),  # issue 17: either
    (("extend", "2026-0001", "--to", "2027-01-31"), "错误：缺少选项 --note：理由或说明（记入事项经过）\n说明和示例：sancha extend -h\n"),
    (("close",), "错误：缺少参数 ITEM_ID：事项编号，例如 2026-0007\n说明和示例：sancha close -h\n"),
    (("ingest", "--jsn"), "错误：没有选项 --jsn，是否应为 --json？\n说明和示例：sancha ingest -h\n"),
    (("stauts",), "错误：没有命令 “stauts”，是否应为 sancha status？\n用法：sancha 命令 [参数]...；全部命令：sancha -h\n"),
    (("status", "多余"), "错误：多余的参数：多余\n说明和示例：sancha status -h\n"),
    (("serve", "--port", "abc"), "错误：--port 的值无效：应为整数\n说明和示例：sancha serve -h\n"),
    (("serve", "--port", "99999"), "错误：--port 的值无效：应不大于 65535\n说明和示例：sancha serve -h\n"),
    (("user", "add"), "错误：缺少参数 NAME：用户名，例如 zhangsan 或 张三\n说明和示例：sancha user add -h\n"),
    (("extend", "2026-0001", "--to", "46387", "--note", "x"),
     "错误：--to 的值 “46387” 不是日期，请写成 2026-11-30 或 2026年11月30日\n"),
])
def test_a_value_that_cannot_be_used_is_a_usage_error_in_chinese(cli, args, message):
    assert cli(*args) == (2, "", message)


def test_full_width_ids_are_read_as_the_ledger_writes_them(ingested, cli):
    code, out, _ = cli("show", "２０２６－０００１")
    assert code == 0 and out.startswith("事项 2026-0001（截至")


def test_json_record_by_record_is_byte_for_byte_json_dumps_of_the_whole_list():
    import json

    from pipeline.output.export import json_chunks

    cases: list[list[dict]] = [
        [], [{"id": "2026-0001"}],
        [{"id": "a", "co_units": ["区财政局", "x\ny"], "n": {"m": []}}, {"id": "b", "co_units": [], "v": None}]]
    for recs in cases:
        assert b"".join(json_chunks(recs)) == (json.dumps(recs, ensure_ascii=False, indent=2) + "\n").encode()
