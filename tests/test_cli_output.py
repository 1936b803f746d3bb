"""The exact text of the main commands on small fixtures, tables at a fixed console width:
any change of wording, column or layout shows up here. Clock times are masked (HH:MM:SS)."""

from __future__ import annotations

import os
import re
import time
from datetime import date
from pathlib import Path

import pytest
from builders import data_row, make_workspace, sancha_toml, submission_rows, xlsx_bytes

from pipeline.deadlines.workdays import provisional_holidays

REPO = Path(__file__).parent.parent
WIDTH = "110"
CLOCK = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")


@pytest.fixture(autouse=True)
def console_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", WIDTH)  # rich reads it on every print when output is not a terminal
    monkeypatch.setenv("LOGNAME", "clerk")  # who ran an office command, as `show` names it
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


def masked(text: str) -> str:
    return CLOCK.sub("YYYY-MM-DDTHH:MM:SS", text)


def finance_file(*rows) -> bytes:
    return xlsx_bytes(submission_rows(*rows), sheet="三单")


GOOD = finance_file(
    data_row(1, problem="政府采购项目验收不及时"),
    data_row(2, problem="非税收入收缴不及时", deadline="2026年12月底", co_units="区审计局"),
)
BAD = finance_file(
    data_row(1, problem="国库集中支付审核不严", deadline="2026.13.01"),
    data_row(2, problem="专项资金拨付滞后", co_units="区财政厅", status="已推进"),
)


def test_ingest_prints_a_table_of_files_the_findings_of_each_and_a_summary(workspace, cli):
    (workspace.inbox / "区财政局_三单.xlsx").write_bytes(GOOD)
    (workspace.inbox / "区财政局_三单_副本.xlsx").write_bytes(GOOD)
    (workspace.inbox / "区财政局_有错误.xlsx").write_bytes(BAD)
    code, out, err = cli("ingest", "--as-of", "2026-11-20")
    assert (code, err) == (1, "")
    assert out == """\
处理结果
┏━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━┓
┃ 文件                    ┃ 单位     ┃ 结果   ┃ 新增 ┃ 更新 ┃ 错误 ┃ 提示 ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━┩
│ 区财政局_三单.xlsx      │ 区财政局 │ 已接收 │ 2    │ 0    │ 0    │ 0    │
│ 区财政局_三单_副本.xlsx │ 区财政局 │ 重复   │ 0    │ 0    │ 0    │ 1    │
│ 区财政局_有错误.xlsx    │ 区财政局 │ 退回   │ 0    │ 0    │ 3    │ 0    │
└─────────────────────────┴──────────┴────────┴──────┴──────┴──────┴──────┘
区财政局_有错误.xlsx（退回）
┏━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 位置    ┃ 代码           ┃ 级别 ┃ 说明                                ┃ 建议                               ┃
┡━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ 三单!F4 │ bad-deadline   │ 错误 │ 三单!F4：整改时限 “2026.13.01”      │ 请写成                             │
│         │                │      │ 不是有效日期                        │ 2026-12-31、2026年12月31日、2026年 │
│         │                │      │                                     │ 12月底、年底前、立行立改 或        │
│         │                │      │                                     │ 长期坚持                           │
│ 三单!H5 │ unknown-unit   │ 错误 │ 三单!H5：配合责任单位 “区财政厅”    │ 是否应为 区财政局 或 区政府办公室  │
│         │                │      │ 不是已登记的单位                    │ 或 区民政局？                      │
│ 三单!K5 │ unknown-status │ 错误 │ 三单!K5：完成情况 “已推进” 无法识别 │ 完成情况请填写：未启动、推进中、已 │
│         │                │      │                                     │ 完成、长期坚持、需上级协调（也可写 │
│         │                │      │                                     │ 未开工、部分完成、已整改到位、办结 │
│         │                │      │                                     │ 、常态化推进等）                   │
└─────────┴────────────────┴──────┴─────────────────────────────────────┴────────────────────────────────────┘
共 3 个文件：接收 1，退回 1，重复 1。回执已写入 outbox/<单位>/。
"""


def test_ingest_with_nothing_waiting(cli):
    assert cli("ingest") == (0, "收件箱中没有待处理的文件。\n", "")


def test_check_says_per_file_whether_it_can_be_sent_and_lists_the_problems(workspace, cli, tmp_path):
    good, bad = tmp_path / "区财政局_三单.xlsx", tmp_path / "区财政局_有错误.xlsx"
    good.write_bytes(GOOD)
    bad.write_bytes(xlsx_bytes(submission_rows(data_row(1, done_on="2026-11-18"), data_row(2, measures="")),
                               sheet="三单"))
    code, out, err = cli("check", str(good), str(bad))
    assert (code, err) == (1, "")
    assert out == """\
区财政局_三单.xlsx：区财政局，2 行，可以报送
区财政局_有错误.xlsx：区财政局，2 行，有错误，报送后会被退回
区财政局_有错误.xlsx 的问题
┏━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 位置    ┃ 代码              ┃ 级别 ┃ 说明                              ┃ 建议                              ┃
┡━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ 三单!K4 │ date-without-done │ 提示 │ 三单!K4：填写了完成日期，但完成情 │ 已完成的事项请把完成情况填为      │
│         │                   │      │ 况不是 已完成                     │ 已完成                            │
│ 三单!E5 │ empty-required    │ 错误 │ 三单!E5：整改措施 未填写          │ 每个事项都要填写整改措施          │
└─────────┴───────────────────┴──────┴───────────────────────────────────┴───────────────────────────────────┘
"""


def test_check_of_a_clean_file_exits_0(cli, tmp_path):
    good = tmp_path / "三单.xlsx"
    good.write_bytes(GOOD)
    assert cli("check", str(good)) == (0, "三单.xlsx：区财政局，2 行，可以报送\n", "")


@pytest.fixture
def ledger(workspace, cli):
    """Four items of two units, ingested on 20 November; one of them closed on 30 November."""
    (workspace.inbox / "区财政局_三单.xlsx").write_bytes(GOOD)
    audit = xlsx_bytes(submission_rows(
        data_row(1, problem="审计发现专项资金闲置，资金使用效益不高，长期未按规定用途使用", deadline="2026-11-02",
                 lead_unit="区审计局"),
        data_row(2, problem="内审制度不健全", deadline="2026-12-30", lead_unit="区审计局", status="已完成",
                 done_on="2026-11-18"),
        unit="区审计局"), sheet="三单")
    (workspace.inbox / "区审计局_三单.xlsx").write_bytes(audit)
    assert cli("ingest", "--as-of", "2026-11-20")[0] == 0
    assert cli("close", "2026-0004", "--on", "2026-11-30", "--note", "经核实整改到位")[0] == 0
    return workspace


def test_status_prints_the_unit_table_and_the_red_list(ledger, cli):
    # issue 16: 完成率 = done ÷ (due or done); 区财政局 has nothing due and nothing done: unranked, last
    code, out, err = cli("status", "--as-of", "2026-12-02")
    assert (code, err) == (0, "")
    assert out == """\
截至 2026-12-02，全部单位共 4 项整改事项。
各单位整改情况
┏━━━━━━┳━━━━━━━━━━┳━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━┳━━━━━━━━┓
┃ 排名 ┃ 单位     ┃ 事项 ┃ 已完成 ┃ 按时完成 ┃ 逾期 ┃ 报告缺失 ┃ 完成率 ┃
┡━━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━╇━━━━━━━━┩
│    1 │ 区审计局 │    2 │      1 │        1 │    1 │        0 │  50.0% │
│    — │ 区财政局 │    2 │      0 │        0 │    0 │        0 │      — │
├──────┼──────────┼──────┼────────┼──────────┼──────┼──────────┼────────┤
│      │ 合计     │    4 │      1 │        1 │    1 │        0 │  50.0% │
└──────┴──────────┴──────┴────────┴──────────┴──────┴──────────┴────────┘
红色清单（逾期、重点督查）
┏━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━┓
┃ 编号      ┃ 单位     ┃ 整改问题                                       ┃ 整改时限   ┃ 逾期工作日 ┃ 督查标记 ┃
┡━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━┩
│ 2026-0003 │ 区审计局 │ 审计发现专项资金闲置，资金使用效益不高，长期未 │ 2026-11-02 │         22 │ 重点督查 │
│           │          │ …                                              │            │            │          │
└───────────┴──────────┴────────────────────────────────────────────────┴────────────┴────────────┴──────────┘
"""


def test_status_of_one_unit_without_red_items(ledger, cli):
    assert cli("status", "--as-of", "2026-12-02", "--unit", "财政局") == (0, """\
截至 2026-12-02，区财政局共 2 项整改事项。
各单位整改情况
┏━━━━━━┳━━━━━━━━━━┳━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━┳━━━━━━━━┓
┃ 排名 ┃ 单位     ┃ 事项 ┃ 已完成 ┃ 按时完成 ┃ 逾期 ┃ 报告缺失 ┃ 完成率 ┃
┡━━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━╇━━━━━━━━┩
│    — │ 区财政局 │    2 │      0 │        0 │    0 │        0 │      — │
├──────┼──────────┼──────┼────────┼──────────┼──────┼──────────┼────────┤
│      │ 合计     │    2 │      0 │        0 │    0 │        0 │      — │
└──────┴──────────┴──────┴────────┴──────────┴──────┴──────────┴────────┘
没有逾期事项。
""", "")


def test_status_of_an_empty_ledger(cli):
    assert cli("status", "--as-of", "2026-12-02") == (0, "截至 2026-12-02，全部单位在台帐中没有事项。\n", "")


def test_show_prints_the_item_its_state_and_its_events_in_chinese(ledger, cli):
    # issue 16: Chinese titles, no None/False, the state as of --as-of, every event with its day
    again = finance_file(data_row(1, item_id="2026-0001", problem="政府采购项目验收不及时", progress="已完成验收8个"))
    (ledger.inbox / "区财政局_进展.xlsx").write_bytes(again)
    assert cli("ingest", "--as-of", "2026-11-27")[0] == 0
    code, out, err = cli("show", "2026-0001", "--as-of", "2026-12-02")
    assert (code, err) == (0, "")
    assert masked(out) == """\
事项 2026-0001（截至2026年12月2日）
牵头责任单位：区财政局
配合责任单位：—
问题来源：督查
整改问题：政府采购项目验收不及时
整改措施：建立验收台账，逐项督促验收
整改时限：2026年12月31日
整改时限（原文）：2026-12-31
长期坚持：否
责任人：张明
整改进展：已完成验收8个
完成情况：推进中
完成日期：—
备注：—
最近更新：YYYY-MM-DDTHH:MM:SS
状态：正常推进
报送：待报送（1月6日前），报送截止日 2027年1月6日（暂定）
经过（3 项）：
  2026年11月20日  登记  来源：区财政局_三单.xlsx
  2026年11月27日  修改 整改进展：— → 已完成验收8个  来源：区财政局_进展.xlsx
  2026年11月27日  报送  来源：区财政局_进展.xlsx
"""


def test_show_of_a_closed_item_has_the_office_s_note_and_who_closed_it(ledger, cli):
    code, out, _ = cli("show", "2026-0004", "--as-of", "2026-12-02")
    assert code == 0
    assert masked(out).endswith("""\
状态：已销号
报送：已报送（11月20日）
经过（2 项）：
  2026年11月20日  登记  来源：区审计局_三单.xlsx
  2026年11月30日  销号（说明：经核实整改到位）  来源：sancha close（clerk）
""")
    before = cli("show", "2026-0004", "--as-of", "2026-11-29")[1]
    assert "状态：已完成" in before  # closed on the 30th: the day before it was done, not closed


def test_show_of_an_unknown_item(ledger, cli):
    assert cli("show", "2026-0099") == (1, "", "错误：台帐中没有编号 2026-0099\n")


def calendar_known(today: date) -> tuple[str, ...]:
    """Holidays for this year and the next, complete: doctor finds the calendar official whatever the day."""
    return tuple(d.isoformat() for y in (today.year, today.year + 1) for d in provisional_holidays(y))


def test_doctor_on_a_sound_workspace(tmp_path, cli):
    ws = make_workspace(tmp_path / "ws", sancha_toml(holidays=calendar_known(date.today())))
    cli.ws = ws
    assert cli("templates")[0] == 0
    assert cli("doctor") == (0, f"工作区 {ws.root} 检查通过。\n", "")


def test_doctor_lists_what_to_fix(tmp_path, cli):
    toml = sancha_toml(holidays=calendar_known(date.today())) + '\n[[units]]\nname = "区财政局."\n'
    ws = make_workspace(tmp_path / "ws", toml)
    cli.ws = ws
    assert cli("templates")[0] == 0
    stuck = ws.inbox / "区民政局_三单.xlsx"
    stuck.write_bytes(GOOD)
    leftover = ws.outbox / "区财政局" / "回执.txt.part"
    leftover.parent.mkdir()
    leftover.write_bytes(b"")
    hours_ago = time.time() - 3 * 3600
    for path in (stuck, leftover):
        os.utime(path, (hours_ago, hours_ago))
    code, out, err = cli("doctor")
    assert (code, err) == (1, "")
    assert out == f"""\
工作区 {ws.root} 发现 3 个问题
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ 代码              ┃ 级别 ┃ 问题                                   ┃ 处理办法                               ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ unit-folder-clash │ 错误 │ 单位 “区财政局.” 与 “区财政局”         │ 请在 sancha.toml                       │
│                   │      │ 的回执文件夹同为 outbox/区财政局/      │ 中改用可区分的单位名称（名称中不要用 \\ │
│                   │      │                                        │ / : * ? " < > | 和首尾的点）           │
│ stuck-inbox       │ 提示 │ inbox/区民政局_三单.xlsx               │ 请确认 sancha watch 正在运行，或运行   │
│                   │      │ 在收件箱中已超过 3 小时未处理          │ sancha ingest                          │
│ leftover-temp     │ 提示 │ outbox/区财政局/回执.txt.part          │ 确认没有 sancha 在运行后可以删除       │
│                   │      │ 是中断写入留下的临时文件               │                                        │
└───────────────────┴──────┴────────────────────────────────────────┴────────────────────────────────────────┘
"""


def readme_example(command: str) -> str:
    """The output README.md shows under `$ sancha COMMAND`."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"```\n\$ sancha {re.escape(command)}\n(.*?)```", readme, re.S)
    assert match, f"README has no example of sancha {command}"
    return match[1]


def test_the_readme_examples_are_what_the_commands_print(tmp_path, cli, monkeypatch):
    """README's ingest, check and status blocks, run on the example district (a wide terminal)."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(REPO)
    cli.ws = make_workspace(tmp_path / "ws", (REPO / "sancha.toml").read_text(encoding="utf-8"))
    for command, code in (("ingest examples/submissions --as-of 2026-11-27", 0),
                          ("check examples/rejected/区城管局_三单_有错误.xlsx", 1),
                          ("status --as-of 2026-12-07", 0)):
        assert cli(*command.split()) == (code, readme_example(command), ""), command
