"""The Chinese command line (issue 19 point 4): help with examples for every command and option,
-h and --version, dates as cells accept them, `sancha find`, and the confirmation an office
action asks for in a terminal (a real pseudo-terminal), skipped with --yes."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from datetime import date, timedelta

import pytest
import typer.main
from builders import data_row, submission_rows, xlsx_bytes

from pipeline import __version__
from pipeline.cli import app, main
from pipeline.cli.help import EXAMPLES
from pipeline.ledger.ledger import Ledger

ENGLISH = ("Usage", "Options", "Arguments", "Show this message", "[required]", "<str>", "<list", "default:")


def every_command(group=None, path=()):
    group = group or typer.main.get_command(app)
    yield path, group
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from every_command(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_command_has_chinese_help_the_same_for_h_and_help(capsys):
    for path, _cmd in every_command():
        code, out, err = run(capsys, *path, "-h")
        assert (code, err) == (0, ""), path
        assert out == run(capsys, *path, "--help")[1], path
        assert out.startswith(f"用法：sancha {' '.join(path)}".rstrip()) and "示例：" in out, path
        assert not [w for w in ENGLISH if w in out], (path, out)


def test_every_option_and_argument_of_every_command_is_in_one_of_its_examples():
    root = typer.main.get_command(app)
    for path, cmd in every_command():
        examples = EXAMPLES.get(" ".join(path))
        assert examples, f"sancha {' '.join(path)} has no example"
        words = " ".join(line for line, _ in examples).split()
        for p in cmd.params:
            if p.param_type_name == "option" and p.opts != ["--help"] and "-h" not in p.opts:
                assert set(p.opts) & set(words), (path, p.opts)
            elif p.param_type_name == "argument":
                assert len(words) > 1 + len(path), (path, p.name)  # a value after the command's words
    assert set(EXAMPLES) == {" ".join(p) for p, _ in every_command()}
    assert root.params  # -C and --version are in sancha's own examples
    assert {"-C", "--version"} <= set(" ".join(line for line, _ in EXAMPLES[""]).split())


def test_the_help_of_extend_exactly(capsys):
    code, out, _ = run(capsys, "extend", "-h")
    assert code == 0 and out == """用法：sancha extend [选项] ITEM_ID

  登记经批准的延期：新时限自 --on 之日起生效，此前的逾期记录保留；时限已过才批准的须加 --late。

参数：
  ITEM_ID  事项编号，例如 2026-0007（必填）

选项：
  --to 日期    批准后的新整改时限（必填）
  --note 文字  理由或说明（记入事项经过）（必填）
  --on 日期    生效日期（事情发生的那一天），默认今天；不能是将来的日期
  --late       原时限已过才批准的延期：登记为逾期后延期
  -y, --yes    不询问确认，直接办理（在终端中运行时默认先显示事项并询问）
  -h, --help   显示本帮助并退出

示例：
  登记今天批准的延期：
    sancha extend 2026-0007 --to 2027-1-31 --note 经区政府同意
  登记 11 月 20 日（原时限已过后）批准的延期，不再询问确认：
    sancha extend 2026-0007 --to 2027年1月31日 --note 领导批准 --on 2026-11-20 --late --yes
"""


def test_the_help_of_a_group_exactly(capsys):
    code, out, _ = run(capsys, "user", "-h")
    assert code == 0 and out == """用法：sancha user [选项] 命令 [参数]...

  督查台帐网页的账号：添加、列出、删除。

选项：
  -h, --help  显示本帮助并退出

命令：
  add     添加账号（已有同名账号则改密码和角色）。密码输入两次，不显示。
  list    列出账号（用户名、角色、添加时间）。
  remove  删除账号；该账号已登录的网页随即失效。

示例：
  添加账号：
    sancha user add zhangsan --role 督查室
  列出账号：
    sancha user list

每个命令的说明和示例：sancha user 命令 -h
"""


def test_sancha_alone_and_sancha_h_list_every_command_with_the_date_forms(capsys):
    code, out, _ = run(capsys, "-h")
    assert code == 0 and out.startswith("用法：sancha [选项] 命令 [参数]...\n")
    assert "  -C, --workspace 目录  工作区目录" in out and "  --version             显示版本并退出" in out
    assert re.search(r"^  find +查找事项：", out, re.M) and re.search(r"^  undo +撤销事项最后一次的督查室操作", out, re.M)
    assert "日期可写成 2027-01-31、2027-1-31 或 2027年1月31日；事项编号写成 2026-0007 或 2026-7。" in out
    code, _, alone = run(capsys)  # the list of commands, on stderr, as for any usage error
    assert alone == out and code == 2


def test_version(capsys):
    assert run(capsys, "--version") == (0, f"sancha {__version__}\n", "")


@pytest.fixture
def ledger_ws(workspace, cli):
    rows = submission_rows(data_row(1, problem="政府采购项目验收不及时", deadline="2026-11-30"),
                           data_row(2, problem="专项资金拨付滞后", deadline="2027-03-31"),
                           data_row(3, problem="采购合同备案不全", deadline="长期坚持", status="长期坚持"))
    (workspace.inbox / "区财政局.xlsx").write_bytes(xlsx_bytes(rows))
    assert cli("ingest", "--as-of", "2026-11-20")[0] == 0
    return workspace


@pytest.mark.parametrize("written", ["2027-4-30", "2027年4月30日", "2027/4/30", "２０２７－０４－３０"])
def test_dates_on_the_command_line_are_read_as_cells_are(ledger_ws, cli, written):
    code, out, err = cli("extend", "2026-0002", "--to", written, "--note", "批准", "--on", "2026年11月25日")
    assert (code, err) == (0, "") and "整改时限：2027年3月31日 → 2027年4月30日" in out
    assert "自2026年11月25日起生效" in out


def test_find_lists_items_by_text_and_by_id_exactly(ledger_ws, cli, monkeypatch):
    code, out, err = cli("find", "采购")
    today = date.today()
    state = "逾期" if today > date(2026, 11, 30) else "正常推进"
    assert (code, err) == (0, "")
    assert out == ("找到 2 项含“采购”的事项：\n"
                   f"  2026-0001  区财政局  {state}  时限 2026年11月30日  政府采购项目验收不及时\n"
                   "  2026-0003  区财政局  长期坚持  时限 长期坚持  采购合同备案不全\n"
                   "查看一项的详情和经过：sancha show 编号\n")
    assert cli("find", "采购", "--limit", "1")[1].startswith("找到 2 项含“采购”的事项，列出前 1 项（加 --limit 可多列）：\n")
    assert cli("find", "2026-2")[1].splitlines()[1].startswith("  2026-0002  区财政局")
    assert cli("find", "资金", "--unit", "区审计局") == (0, "没有找到区审计局的含“资金”的事项。\n", "")
    assert cli("find", "资金", "--unit", "区财政厅")[0] == 2


def in_terminal(ws, args: list[str], answer: str | None) -> tuple[int, str]:
    """Run sancha in a pseudo-terminal (stdin, stdout and stderr a tty), type `answer` when asked."""
    env = {**os.environ, "COLUMNS": "200", "LOGNAME": "clerk", "TERM": "dumb", "NO_COLOR": "1"}
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "-C", str(ws.root), *args], stdin=follower,
                            stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    out = b""
    answered = False
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output: {out.decode('utf-8', 'replace')}")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if answer is not None and not answered and "其他任意键取消：".encode() in out:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    os.close(leader)
    code = proc.wait(30)
    return code, out.decode("utf-8").replace("\r\n", "\n")


QUESTION = """事项 2026-0001（区财政局）
整改问题：政府采购项目验收不及时
将登记：
  2026-0001（政府采购项目验收不及时）已作废，自2026年11月25日起生效。
    作废日期：无 → 2026年11月25日
    说明：重复登记
确认办理请输入 y，其他任意键取消："""


def events(ws, item_id: str):
    with Ledger.open(ws.db_path) as led:
        return led.events(item_id)


def test_in_a_terminal_an_action_shows_the_problem_and_asks_and_no_cancels(ledger_ws):
    before = events(ledger_ws, "2026-0001")
    code, out = in_terminal(ledger_ws, ["void", "2026-0001", "--note", "重复登记", "--on", "2026-11-25"], "n")
    assert out == QUESTION + "n\n错误：已取消，未作任何改动。\n" and code == 1
    assert events(ledger_ws, "2026-0001") == before


def test_in_a_terminal_y_does_the_action_and_yes_asks_nothing(ledger_ws):
    code, out = in_terminal(ledger_ws, ["void", "2026-0001", "--note", "重复登记", "--on", "2026-11-25"], "y")
    assert code == 0 and out == QUESTION + "y\n" + re.sub(r"^  ", "", QUESTION.split("将登记：\n")[1].split("确认")[0],
                                                          flags=re.M)
    code, out = in_terminal(ledger_ws, ["undo", "2026-0001", "--yes", "--on", (date(2026, 11, 25)
                                                                              + timedelta(days=1)).isoformat()], None)
    assert code == 0 and out.startswith("2026-0001（政府采购项目验收不及时）已撤销 2026年11月25日 的作废")


def test_without_a_terminal_nothing_is_asked(ledger_ws, cli):
    code, out, err = cli("close", "2026-0001", "--force", "--on", "2026-11-25")
    assert (code, err) == (0, "") and "确认" not in out and out.startswith("2026-0001（政府采购项目验收不及时）已销号")


def test_an_item_id_may_be_written_short_as_in_the_desks_search(ledger_ws, cli):
    code, out, _ = cli("show", "2026-2")
    assert code == 0 and out.startswith("事项 2026-0002（截至")
    assert cli("show", "２０２６－２")[1] == out
    assert cli("show", "2026-12345")[0] == 1  # a well-formed id not in the ledger
