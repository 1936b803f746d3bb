"""The command line's help, in Chinese, in one place: `sancha -h`, `sancha 命令 -h`.

typer's own help (click's formatter) prints "Usage", "Options", "Show this message and exit."
and metavars such as `<list[str]>`. Here every command and group gets its help from
`command_help` / `group_help` instead (`install` gives the app's commands these classes): the
usage line, the command's text, its arguments and options with Chinese metavars, and examples
— `EXAMPLES` holds them for every command, and a test checks that every option and argument
of every command appears in one of its examples. No wrapping at the terminal's width: the text
is the same in every console (and in tests).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

HELP_OPTIONS = ["-h", "--help"]
HELP_TEXT = "显示本帮助并退出"
DATES_NOTE = "日期可写成 2027-01-31、2027-1-31 或 2027年1月31日；事项编号写成 2026-0007 或 2026-7。"
INDENT = "  "

# What a value looks like, by its metavar or type, as the help names it.
METAVARS = {"YYYY-MM-DD": "日期", "SECONDS": "秒数"}
TYPE_WORDS = {"str": "文字", "int": "数字", "float": "数字", "Path": "路径", "date": "日期", "text": "文字",
              "integer": "数字", "path": "路径"}

# Examples of every command: (command line, what it does). Every option and argument of a
# command appears in at least one of its lines (tests/test_cli_help.py).
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "": (
        ("sancha ingest", "处理收件箱中的全部文件"),
        ("sancha -C D:\\督查台帐 status", "在另一个工作区运行命令"),
        ("sancha extend -h", "查看某个命令的说明和示例"),
        ("sancha --version", "显示版本"),
    ),
    "init": (
        ("sancha init D:\\督查台帐", "在 D:\\督查台帐 新建工作区"),
    ),
    "templates": (
        ("sancha templates", "补写缺少的模板"),
        ("sancha templates --force", "恢复全部默认模板（覆盖已修改的）"),
    ),
    "doctor": (
        ("sancha doctor", "检查工作区"),
        ("sancha doctor --json", "以 JSON 输出检查结果"),
    ),
    "calendar": (
        ("sancha calendar", "已收录的年份"),
        ("sancha calendar 2027 --as-of 2026-10-15", "2027 年的放假安排"),
        ("sancha calendar --add 2026-09-30 5", "2026年9月30日之后第 5 个工作日"),
    ),
    "ingest": (
        ("sancha ingest", "处理收件箱中的全部文件"),
        ("sancha ingest inbox\\区财政局\\三单.xlsx --as-of 2026-11-30 --json", "只处理一个文件，按 11 月 30 日收到计"),
    ),
    "check": (
        ("sancha check 区财政局_三单.xlsx", "检查一个文件能否通过"),
        ("sancha check 三单.xlsx --unit 区财政局 --json", "按区财政局报送检查，以 JSON 输出"),
    ),
    "export": (
        ("sancha export --format xlsx -o 台帐.xlsx", "导出今天的台帐"),
        ("sancha export --format json --as-of 2026-11-30", "11 月 30 日的台帐，JSON 输出到屏幕"),
    ),
    "backup": (
        ("sancha backup", "备份到 data/backups/"),
        ("sancha backup -o E:\\备份\\台帐.sqlite", "备份到指定文件"),
    ),
    "status": (
        ("sancha status", "各单位情况和红色清单"),
        ("sancha status --unit 财政局 --as-of 2026-11-30 --json", "一个单位在 11 月 30 日的情况，JSON 输出"),
        ("sancha status --all", "单位很多时也全部列出，不只看第一屏"),
    ),
    "show": (
        ("sancha show 2026-0007", "查看一个事项"),
        ("sancha show 2026-7 --as-of 2026-11-20 --json", "11 月 20 日的情况，JSON 输出"),
    ),
    "find": (
        ("sancha find 采购", "查找整改问题、措施、进展中含“采购”的事项"),
        ("sancha find 资金 --unit 区财政局 --limit 10", "只查区财政局的，最多列 10 项"),
    ),
    "evidence": (
        ("sancha evidence 2026-0007", "列出该事项收到的佐证材料"),
        ("sancha evidence 2026-0007 --get 1 -o D:\\佐证\\照片.jpg", "把第 1 份原样取出"),
        ("sancha evidence 2026-0007 --json", "以 JSON 输出"),
    ),
    "extend": (
        ("sancha extend 2026-0007 --to 2027-1-31 --note 经区政府同意", "登记今天批准的延期"),
        ("sancha extend 2026-0007 --to 2027年1月31日 --note 领导批准 --on 2026-11-20 --late --yes",
         "登记 11 月 20 日（原时限已过后）批准的延期，不再询问确认"),
    ),
    "close": (
        ("sancha close 2026-0007 --note 现场核实", "销号"),
        ("sancha close 2026-0007 --on 2026-11-30 --force --note 另案处理 --yes", "对未报完成的事项强制销号"),
    ),
    "lookback": (
        ("sancha lookback 2026-0007 --result 通过", "回头看通过"),
        ("sancha lookback 2026-0007 --result 反弹 --to 2027-1-31 --on 2026-12-1 --note 复查反弹 --yes",
         "回头看发现反弹，重新打开"),
    ),
    "reopen": (
        ("sancha reopen 2026-0007 --to 2027-1-31 --note 复查发现仍未整改", "重新打开"),
        ("sancha reopen 2026-0007 --to 2027-1-31 --note 复查 --on 2026-12-1 --yes", "登记 12 月 1 日重新打开"),
    ),
    "void": (
        ("sancha void 2026-0007 --note 与2026-0003重复", "作废"),
        ("sancha void 2026-0007 --note 误登记 --on 2026-12-1 --yes", "登记 12 月 1 日作废"),
    ),
    "reassign": (
        ("sancha reassign 2026-0007 --to 区审计局 --note 职责调整", "移交给区审计局"),
        ("sancha reassign 2026-0007 --to 审计局 --note 职责调整 --on 2026-12-1 --yes", "登记 12 月 1 日移交"),
    ),
    "undo": (
        ("sancha undo 2026-0007", "撤销该事项最后一次办理"),
        ("sancha undo 2026-0007 --note 录错了 --on 2026-12-3 --yes", "写明理由，不再询问确认"),
    ),
    "inspection": (
        ("sancha inspection add --kind 督查 --name 2026年第四季度重点工作督查 --start 2026-11-2 --end 2026-11-13",
         "登记一次检查"),
        ("sancha inspection list", "列出已登记的检查"),
    ),
    "inspection add": (
        ("sancha inspection add --kind 巡查 --name 2026年第三轮巡查 --start 2026-11-2 --end 2026-11-13",
         "登记一次巡查"),
        ("sancha inspection add --kind 督查 --name 重点项目督查 --start 2026-11-2 --end 2026-11-6 --form 现场督办 "
         "--leader 王副区长 --group 第一督查组 --units 区财政局,区审计局 --alias 重点项目专项督查",
         "写明督查方式、带队领导、检查组、被检查单位和表格中的其他写法"),
    ),
    "inspection report": (
        ("sancha inspection report JC2026-01", "登记今天收到检查组报告"),
        ("sancha inspection report JC2026-01 --on 2026-11-20 --file 检查报告.docx", "登记 11 月 20 日收到并存档"),
    ),
    "inspection list": (
        ("sancha inspection list", "列出已登记的检查"),
        ("sancha inspection list --as-of 2026-11-30 --json", "11 月 30 日的情况，JSON 输出"),
    ),
    "escalate": (
        ("sancha escalate 2026-0007 --to 区人民政府 --note 涉及市级用地审批", "登记书面上报上级协调"),
        ("sancha escalate 2026-0007 --answer 区自然资源局牵头解决 --to-date 2027-1-31 --on 2026-12-1 --yes",
         "登记上级答复和新的整改时限"),
        ("sancha escalate 2026-0007 --answer 纳入市级统筹 --close", "上级答复后办结销号"),
    ),
    "notices": (
        ("sancha notices", "列出全部提醒、督办、告诫、问责通知"),
        ("sancha notices --as-of 2026-11-30 --json", "11 月 30 日的回复情况，JSON 输出"),
    ),
    "score": (
        ("sancha score", "今年的考核得分"),
        ("sancha score --year 2026 --quarter 4 -o D:\\考核", "2026 年第四季度，写到 D:\\考核"),
        ("sancha score --year 2026 --json", "以 JSON 输出"),
    ),
    "circular": (
        ("sancha circular --month 2026-11", "2026 年 11 月的督查通报"),
        ("sancha circular --quarter 2026-Q4 --replace", "2026 年第四季度的通报，覆盖旧稿"),
    ),
    "upstream": (
        ("sancha upstream export", "生成报上级的三单表"),
        ("sancha upstream import 市督办清单.xlsx --from 市政府督查室", "导入上级交办的督办清单"),
    ),
    "upstream export": (
        ("sancha upstream export", "生成报上级的三单表，写入 outbox/"),
        ("sancha upstream export --as-of 2026-11-30 -o 报市三单表.xlsx", "11 月 30 日的情况，写到指定文件"),
    ),
    "upstream import": (
        ("sancha upstream import 市督办清单.xlsx --from 市政府督查室", "导入今天收到的督办清单"),
        ("sancha upstream import 市督办清单.xlsx --from 市政府督查室 --as-of 2026-11-20", "按 11 月 20 日收到登记"),
    ),
    "upstream report": (
        ("sancha upstream report --to 市政府督查室", "按上级反馈表的列生成办理情况表"),
        ("sancha upstream report --to 市政府督查室 --as-of 2026-11-30 -o 办理情况.xlsx",
         "11 月 30 日的情况，写到指定文件"),
    ),
    "weekly": (
        ("sancha weekly", "本周的批处理"),
        ("sancha weekly --as-of 2026-11-30 --pdf --replace", "重新生成 11 月 30 日那一期，并生成 PDF"),
    ),
    "report": (
        ("sancha report --source 审计", "审计问题整改专题报告"),
        ("sancha report --source 巡查 --as-of 2026-11-30 -o 巡查报告.docx --replace", "指定日期和文件名，覆盖旧稿"),
        ("sancha report --inspection JC2026-01", "一次检查发现问题的专题报告"),
    ),
    "dashboard": (
        ("sancha dashboard", "写 outbox/看板.html"),
        ("sancha dashboard --as-of 2026-11-30 -o 看板.html", "11 月 30 日的看板"),
    ),
    "watch": (
        ("sancha watch", "一直监视收件箱"),
        ("sancha watch --polling --interval 10", "共享文件夹上每 10 秒查看一次"),
    ),
    "serve": (
        ("sancha serve --open", "启动并打开浏览器"),
        ("sancha serve --host 0.0.0.0 --port 8080", "让办公室其他电脑访问（需先添加账号）"),
    ),
    "user": (
        ("sancha user add zhangsan --role 督查室", "添加账号"),
        ("sancha user list", "列出账号"),
    ),
    "user add": (
        ("sancha user add zhangsan --role 督查室", "添加督查室账号"),
        ("sancha user add 李局长 --role 领导", "添加只读的领导账号"),
    ),
    "user list": (
        ("sancha user list", "列出账号"),
    ),
    "user remove": (
        ("sancha user remove zhangsan", "删除账号"),
    ),
}


def _path(ctx: Any) -> str:
    """The command's words after `sancha` ("" for sancha itself, "user add")."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(reversed(names))


def metavar(param: Any) -> str:
    """The word for a parameter's value: ITEM_ID, 日期, 文字 …"""
    if getattr(param, "is_flag", False):
        return ""
    if param.param_type_name == "argument":  # named as the errors name it: 缺少参数 ITEM_ID
        word = param.metavar or param.name.upper()
    else:
        raw = param.metavar or ""
        word = METAVARS.get(raw, raw) if raw else TYPE_WORDS.get(_type_name(param), "文字")
    return word + ("..." if param.nargs == -1 else "")


def _type_name(param: Any) -> str:
    """The parameter's Python type's name (typer's descriptor; click's type in other releases)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if annotation is not None:
        args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
        annotation = args[0] if args else annotation
        inner = getattr(annotation, "__args__", None)  # list[Path] → Path
        return getattr(inner[0] if inner else annotation, "__name__", "")
    return getattr(getattr(param, "type", None), "name", "")


def _body(text: str | None) -> list[str]:
    lines = [line.strip() for line in (text or "").strip().splitlines()]
    return ["".join(lines)] if lines else []  # a docstring wrapped in the source is one paragraph


def _table(rows: list[tuple[str, str]]) -> list[str]:
    width = max((_width(left) for left, _ in rows), default=0)
    return [INDENT + left + " " * (width - _width(left) + 2) + right if right else INDENT + left
            for left, right in rows]


def _width(text: str) -> int:
    """Columns in a console: a CJK character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _examples(path: str) -> list[str]:
    lines = []
    for line, what in EXAMPLES.get(path, ()):
        lines += [f"{INDENT}{what}：", f"{INDENT * 2}{line}"]
    return ["", "示例：", *lines] if lines else []


def _params(ctx: Any, command: Any) -> list[str]:
    args, opts = [], []
    for p in command.get_params(ctx):
        if getattr(p, "hidden", False):
            continue
        help_text = (getattr(p, "help", None) or "").strip()
        if p.param_type_name == "argument":
            required = "（必填）" if p.required else "（可不填）"
            args.append((metavar(p), help_text + required))
        else:
            names = sorted(p.opts, key=len)  # -y, --yes
            if set(p.opts) == set(HELP_OPTIONS):
                names, help_text = HELP_OPTIONS, HELP_TEXT
            left = ", ".join(names) + (f" {metavar(p)}" if metavar(p) else "")
            opts.append((left, help_text + ("（必填）" if p.required else "")))
    lines = []
    if args:
        lines += ["", "参数：", *_table(args)]
    if opts:
        lines += ["", "选项：", *_table(opts)]
    return lines


def usage(ctx: Any, command: Any) -> str:
    path = _path(ctx)
    words = ["sancha", *([path] if path else [])]
    if isinstance(command, typer.core.TyperGroup):
        words += ["[选项]", "命令", "[参数]..."]
    else:
        words.append("[选项]")
        for p in command.get_params(ctx):
            if p.param_type_name == "argument":
                words.append(metavar(p) if p.required else f"[{metavar(p)}]")
    return " ".join(words)


def command_help(ctx: Any, command: Any) -> str:
    lines = [f"用法：{usage(ctx, command)}", ""]
    lines += [INDENT + line for line in _body(command.help)]
    lines += _params(ctx, command) + _examples(_path(ctx))
    return "\n".join(lines) + "\n"


def group_help(ctx: Any, group: Any) -> str:
    lines = [f"用法：{usage(ctx, group)}", ""]
    lines += [INDENT + line for line in _body(group.help)]
    lines += _params(ctx, group)
    commands = [(name, "".join(_body(group.get_command(ctx, name).help)[:1])) for name in group.list_commands(ctx)]
    lines += ["", "命令：", *_table(commands)]
    lines += _examples(_path(ctx))
    if not _path(ctx):
        lines += ["", DATES_NOTE]
    lines += ["", f"每个命令的说明和示例：sancha {(_path(ctx) + ' ') if _path(ctx) else ''}命令 -h"]
    return "\n".join(lines) + "\n"


class ChineseCommand(TyperCommand):
    def format_help(self, ctx, formatter) -> None:
        formatter.write(command_help(ctx, self))


class ChineseGroup(TyperGroup):
    def format_help(self, ctx, formatter) -> None:
        formatter.write(group_help(ctx, self))


def install(app: typer.Typer) -> None:
    """Give the app, its sub-apps and every command registered on them the Chinese help."""
    app.info.cls = ChineseGroup
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = ChineseCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            install(group.typer_instance)
