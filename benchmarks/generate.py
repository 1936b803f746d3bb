"""Realistic synthetic workspaces for the benchmarks: N units, M files, R rows per file.

    python -m benchmarks.generate DIR --units 60 --files 600 --rows 50
    python -m benchmarks.generate DIR --big-rows 200000        # one unit, one big sheet

Writes DIR/sancha.toml (units with aliases, group phrases) and DIR/inbox/ files in the layouts
and value forms of DOMAIN.md ("The spreadsheet a unit submits"): title rows, 填报单位/填报日期/
检查名称 meta lines, plain and two-row grouped merged headers, header aliases, shuffled columns,
a 填表说明 sheet, footers; 整改时限 as date cells, serial numbers (cells and text), 2026-12-31,
2026/12/31, 2026.12.31, 2026年12月31日, 2026年12月底, 2026年底, 年底前, 12月15日前, 立行立改,
长期坚持 / 持续推进, full-width digits; statuses in their varied words; units by name or alias;
co-units separated every way; Chinese texts of 20–120 characters.

Every file is VALID (accepted by `sancha ingest --as-of AS_OF`) and the output is deterministic:
the same arguments give byte-identical cell contents (each file draws from its own seeded
random stream). About one row in ten reports progress on a
problem the same unit submitted in an earlier file (same text, same deadline: an update).
"""

from __future__ import annotations

import argparse
import calendar
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell

DEFAULT_AS_OF = date(2026, 11, 25)  # the day the files are "received" (sancha ingest --as-of)
_EPOCH = date(1899, 12, 30)
_MTIME_BASE = 1_790_000_000  # files get increasing, deterministic mtimes: ingest order is fixed

# ---------------------------------------------------------------------------------- units

_DEPARTMENTS = (
    "财政局", "住房城乡建设局", "审计局", "发展改革委", "生态环境分局", "民政局", "城管局", "教育局",
    "卫生健康委", "市场监管局", "人力资源社会保障局", "自然资源和规划分局", "农业农村水利局", "交通运输局",
    "商务局", "文化旅游体育局", "应急管理局", "司法局", "退役军人事务局", "统计局", "医疗保障局",
    "数据资源管理局", "科技局", "经济和信息化局", "公安分局", "信访局", "政务服务管理局", "机关事务管理局",
    "林业局", "人防办", "残联", "妇联", "总工会", "红十字会", "融媒体中心", "投资促进局", "城市更新局",
    "档案馆", "供销社", "水务局",
)
_ALIAS_OF_DEPT = {
    "发展改革委": ("发改委", "发展和改革委员会"), "住房城乡建设局": ("住建局", "住房和城乡建设局"),
    "卫生健康委": ("卫健委",), "人力资源社会保障局": ("人社局",), "城管局": ("城市管理局",),
    "市场监管局": ("市场监督管理局",), "农业农村水利局": ("农水局",), "文化旅游体育局": ("文旅体局",),
    "生态环境分局": ("环保局",), "自然资源和规划分局": ("自然资源局",), "医疗保障局": ("医保局",),
}
_DISTRICTS = ("区", "迎江区", "宜秀区", "怀宁县", "桐城市", "潜山市", "太湖县", "宿松县", "望江县", "岳西县",
              "枞阳县", "开发区")
_PLACE_A = "菱玉德石花集十海山皖龙马高月凤白杨柳青金银新福安平长清"
_PLACE_B = "湖琳宽化山贤里口江泉桥塘岭店岗集城河港坝冲湾亭"
_TOWN_KINDS = ("街道", "镇", "乡")
GROUP_PHRASES = ("各乡镇街道", "各预算单位", "区直各部门", "各执收单位", "各相关单位")


@dataclass(frozen=True)
class GenUnit:
    name: str
    aliases: tuple[str, ...]


def make_units(n: int, seed: int = 1) -> list[GenUnit]:
    """n units with unique names and aliases: departments first, then townships, more districts."""
    rng = random.Random(f"units-{seed}")
    towns = [a + b for a in _PLACE_A for b in _PLACE_B]
    rng.shuffle(towns)
    out: list[GenUnit] = []
    used: set[str] = set()

    def add(name: str, aliases: list[str]) -> None:
        keep = tuple(a for a in aliases if a not in used and a != name)
        used.update((name, *keep))
        out.append(GenUnit(name, keep))

    t = 0
    for district in _DISTRICTS:
        short = district.rstrip("区县市") if district != "区" else ""
        for i, dept in enumerate(_DEPARTMENTS):
            if len(out) >= n:
                return out
            name = district + dept
            if district == "区":
                aliases = [dept, *(("区" + a) for a in _ALIAS_OF_DEPT.get(dept, ())), *_ALIAS_OF_DEPT.get(dept, ())]
            else:
                aliases = [short + dept, *(district + a for a in _ALIAS_OF_DEPT.get(dept, ()))]
            add(name, aliases)
            if i % 2 == 1 and len(out) < n:  # townships interleaved with departments
                town, kind = towns[t], _TOWN_KINDS[t % 3]
                t += 1
                full = {"街道": ["街道办事处", "街道办"], "镇": ["镇人民政府"], "乡": ["乡人民政府"]}[kind]
                add(town + kind, [town + s for s in full])
    raise ValueError(f"at most {len(out)} units can be generated")


def config_text(units: list[GenUnit], big: bool = False) -> str:
    lines = [
        "# 基准测试用的合成工作区（benchmarks/generate.py 生成）",
        "[office]",
        'name = "大观区人民政府办公室"',
        'doc_prefix = "观政办"',
        'cc = ["区纪委监委"]',
        'aliases = ["区委区政府督查室", "督查室"]',
        'contact = "区委区政府督查室，联系电话：0556-5502678"',
        "",
        "[groups]",
        "phrases = [" + ", ".join(f'"{p}"' for p in GROUP_PHRASES) + "]",
        "",
    ]
    for u in units:
        lines += ["[[units]]", f'name = "{u.name}"', "aliases = [" + ", ".join(f'"{a}"' for a in u.aliases) + "]", ""]
    lines += ["[calendar]", 'holidays = ["2027-01-01"]', "workdays = []", ""]
    if big:
        # One 200,000-row sheet is far beyond a unit's file; the office raises the caps for it.
        lines += ["[limits]", "max_file_mb = 500.0", "max_uncompressed_mb = 2000.0", "max_rows = 1000000", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- texts

_SUBJECTS = (
    "老旧小区改造项目", "背街小巷环境卫生整治", "政务服务便民热线工单办理", "政府采购项目验收", "预算执行进度",
    "专项资金拨付", "非税收入收缴", "建筑工地扬尘管控", "保障性住房分配审核", "农村人居环境整治", "河长制巡河",
    "安全生产隐患排查整治", "食品安全抽检", "校园周边交通秩序整治", "基层医疗机构药品管理", "养老服务设施建设",
    "城市排水管网改造", "重点项目征迁", "招商引资项目落地", "惠企政策兑现", "农民工工资支付保障", "信访积案化解",
    "燃气安全排查", "消防通道占用清理", "违法建设查处", "生活垃圾分类", "黑臭水体治理", "高标准农田建设",
    "乡村振兴衔接资金使用", "公共资源交易监管", "国有资产出租管理", "档案数字化", "医保基金使用监管",
    "城乡低保动态管理", "特困人员供养服务", "学校食堂管理", "城区道路破损修复", "路灯维护管理", "公厕管护",
    "网格化社会治理", "电动自行车充电设施建设", "小区物业服务监管", "地质灾害隐患点监测", "森林防火",
)
_ISSUES = (
    "推进缓慢", "落实不到位", "存在薄弱环节", "台账资料不完整", "进度滞后于时序进度", "监管不严", "问题出现反弹",
    "群众反映强烈", "责任分工不够明确", "制度执行不严格", "整改不彻底", "长效机制不健全", "工作标准不高",
)
_DETAILS = (
    "，{n}个点位未按期完成", "，涉及资金{m}万元", "，群众投诉{n}件", "，抽查发现问题{n}处",
    "，部分项目超过合同约定期限{n}日以上", "，{n}户群众诉求未及时回应", "，{place}等区域尤为突出",
    "，与年初确定的目标任务相比差距较大", "，在{month}月份上级督查中被点名", "，存在一定安全隐患",
    "，{place}一带问题集中", "，已连续{k}个月排名靠后", "，第三方评估满意度仅为{p}%",
    "，{n}个项目未按规定履行审批程序", "，相关资料未按要求归档",
)
_PLACES = (
    "菱湖南路", "人民路", "集贤北路", "湖心社区", "石化一路", "高花亭", "马山社区", "龙山路", "纺织南路", "皖江大道",
    "德宽路", "玉琳路", "华中路", "孝肃路", "独秀大道", "沿江东路", "天柱山路", "光彩大市场", "海口工业园", "山口片区",
)
_MEASURES = (
    "建立{s}工作台账，逐项明确责任人和完成时限", "明确专人负责，每周调度一次", "对照问题清单逐项整改销号",
    "开展专项检查，对发现的问题立即督促整改", "约谈相关责任单位主要负责人", "完善制度，建立长效管理机制",
    "加强与{u}的沟通衔接，形成工作合力", "按月通报进展情况，对滞后单位督办", "组织第三方开展复核评估",
    "倒排工期，挂图作战，确保按期完成", "加大资金保障力度，及时拨付到位", "开展“回头看”，防止问题反弹",
)
_PROGRESS = (
    "已完成{n}个点位整改，其余正在推进", "已建立工作台账，正在逐项督促", "已召开专题会议研究部署",
    "已完成第一轮排查，发现问题{n}处，已整改{k}处", "已拨付资金{m}万元", "相关制度已印发实施",
    "已约谈责任单位{k}家", "正在开展第三方评估", "已全部整改到位，资料已归档", "",
)
# a 需上级协调 row says why (issue 18: else the file is sent back, needs-help-without-reason)
_HELP_REASON = {"help": "涉及跨区域用地指标调整，需上级协调解决，已书面报告"}
_HELP_REASON.update(dict.fromkeys(("done", "progress", "not_started", "ongoing"), ""))
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
_GIVEN = "明华强丽伟芳敏静刚涛军杰娟勇艳磊洋峰霞平辉鹏超红玲斌波宁凯燕晨浩琳雪慧婷鑫"
_SOURCES = ("巡查", "督查", "考察", "第三方评估", "审计", "领导批示", "人大建议", "政协提案", "其他")
_STATUS_WORDS = {
    "done": ("已完成", "已整改", "完成整改", "已办结"),
    "progress": ("推进中", "正在推进", "正在整改", "部分整改", "序时推进", "基本完成"),
    "not_started": ("未启动", "未整改", "尚未开展"),
    "ongoing": ("长期坚持", "持续整改"),
    "help": ("需上级协调", "无法完成"),
}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _fill(rng: random.Random, template: str, units: list[GenUnit]) -> str:
    return template.format(
        n=rng.randint(2, 60), m=rng.randint(5, 3000), k=rng.randint(2, 9), p=rng.randint(55, 85),
        month=rng.randint(1, 11), place=rng.choice(_PLACES), s=rng.choice(_SUBJECTS)[:6],
        u=rng.choice(units).name,
    )


def problem_text(rng: random.Random, units: list[GenUnit]) -> str:
    """A 整改问题 of 20–120 characters."""
    target = rng.choice((rng.randint(20, 45), rng.randint(30, 80), rng.randint(60, 120)))
    text = rng.choice(_PLACES) + rng.choice(_SUBJECTS) + rng.choice(_ISSUES)
    for detail in rng.sample(_DETAILS, len(_DETAILS)):  # each detail at most once
        if len(text) >= target:
            break
        piece = _fill(rng, detail, units)
        if len(text) + len(piece) > 120:
            break
        text += piece
    if len(text) < 20:
        text += "，需进一步加大整改力度"
    return text


def measures_text(rng: random.Random, units: list[GenUnit]) -> str:
    """整改措施: one sentence, or numbered measures (1.…；2.…)."""
    n = rng.choice((1, 2, 2, 3, 4))
    parts = [_fill(rng, m, units) for m in rng.sample(_MEASURES, n)]
    if n == 1:
        return parts[0]
    text = ""
    for i, p in enumerate(parts, 1):
        if len(text) + len(p) + 3 > 120:
            break
        text += ("；" if text else "") + f"{i}.{p}"
    return text


def person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


# ---------------------------------------------------------------------------------- values

def _serial(d: date) -> int:
    return (d - _EPOCH).days


def _month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


class Cells:
    """Cell values of one sheet; dates become WriteOnlyCells with a date format."""

    def __init__(self, ws):
        self.ws = ws

    def date(self, d: date, chinese: bool = False) -> Cell:
        c = WriteOnlyCell(self.ws, value=datetime(d.year, d.month, d.day))
        c.number_format = 'yyyy"年"m"月"d"日"' if chinese else "yyyy-mm-dd"
        return c


_DATE_TEXT = {  # 整改时限 written as text, from the target date d
    "serial_text": lambda d: str(_serial(d)),
    "iso": lambda d: d.isoformat(),
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dot": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    "cn": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "fullwidth": lambda d: f"{d.year}年{d.month}月{d.day}日".translate(_FULLWIDTH),
    "month_end": lambda d: f"{d.year}年{d.month}月底",
    "year_end": lambda d: f"{d.year}年底",
    "year_end2": lambda d: f"{d.year}年年底",
    "before_year_end": lambda d: "年底前",
    "immediate": lambda d: "立行立改",
}
_DEADLINE_KINDS = {  # kind -> weight
    "cell": 14, "cell_cn": 6, "serial": 4, "serial_text": 3, "iso": 10, "slash": 8, "dot": 5, "cn": 12,
    "month_end": 8, "year_end": 4, "year_end2": 2, "before_year_end": 3, "md_before": 3, "immediate": 4,
    "ongoing": 5, "ongoing2": 2, "fullwidth": 4,
}


def deadline_value(rng: random.Random, cells: Cells, reported: date) -> tuple[object, bool, str]:
    """(cell value, ongoing?, kind) of a valid 整改时限; the date lies after the report date."""
    d = reported + timedelta(days=rng.randint(5, 400))
    kind = rng.choices(list(_DEADLINE_KINDS), weights=list(_DEADLINE_KINDS.values()))[0]
    if kind in ("cell", "cell_cn"):
        return cells.date(d, chinese=kind == "cell_cn"), False, kind
    if kind == "serial":
        return _serial(d), False, kind
    if kind in ("ongoing", "ongoing2"):
        return ("长期坚持" if kind == "ongoing" else "持续推进"), True, kind
    if kind == "md_before":  # the year comes from the report date: keep it in the same year, later
        last = date(reported.year, 12, 31)
        if (last - reported).days < 3:
            return f"{last.year}年底", False, "year_end"
        md = reported + timedelta(days=rng.randint(2, (last - reported).days))
        return f"{md.month}月{md.day}日前", False, kind
    return _DATE_TEXT[kind](d), False, kind


def status_value(rng: random.Random, ongoing: bool) -> tuple[str, str]:
    """(category, word as typed) of 完成情况."""
    if ongoing:
        cat = rng.choices(("ongoing", "progress"), weights=(3, 1))[0]
    else:
        cat = rng.choices(("done", "progress", "not_started", "help"), weights=(30, 50, 15, 2))[0]
    word = rng.choice(_STATUS_WORDS[cat])
    if rng.random() < 0.05:
        word = word + " "  # a stray space, as typed
    return cat, word


def date_value(rng: random.Random, cells: Cells, d: date) -> object:
    """A plain date (完成日期, 填报日期) in one of its forms."""
    form = rng.randrange(4)
    if form == 0:
        return cells.date(d)
    if form == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if form == 2:
        return f"{d.year}年{d.month}月{d.day}日"
    return d.isoformat()


def co_units_value(rng: random.Random, units: list[GenUnit], lead: GenUnit) -> str:
    n = rng.choices((0, 1, 2, 3), weights=(30, 35, 25, 10))[0]
    others = [u for u in rng.sample(units, min(len(units), n + 1)) if u is not lead][:n]
    names = [rng.choice((u.name, u.name, *u.aliases)) for u in others]
    if rng.random() < 0.08:
        names.append(rng.choice(GROUP_PHRASES))
    sep = rng.choice(("、", "、", "，", ",", "；", "/", " "))
    return sep.join(names)


# ---------------------------------------------------------------------------------- layouts

FIELDS = ("seq", "item_id", "source", "problem", "measures", "deadline", "lead_unit", "co_units", "owner",
          "progress", "status", "done_on", "remark")
CANONICAL = {
    "seq": "序号", "item_id": "编号", "source": "问题来源", "problem": "整改问题", "measures": "整改措施",
    "deadline": "整改时限", "lead_unit": "牵头责任单位", "co_units": "配合责任单位", "owner": "责任人",
    "progress": "整改进展", "status": "完成情况", "done_on": "完成日期", "remark": "备注",
}
ALIASES = {
    "item_id": ("台账编号",), "source": ("检查类别", "来源"), "problem": ("问题描述", "存在问题", "问题清单"),
    "measures": ("措施", "措施清单"), "deadline": ("完成时限", "整改期限", "时限要求", "完成时间节点"),
    "lead_unit": ("牵头单位", "责任单位", "主办单位"), "co_units": ("配合单位", "协办单位", "协同责任单位"),
    "owner": ("具体责任人", "责任领导"), "progress": ("整改落实情况", "进展情况", "落实情况"),
    "status": ("整改状态", "完成状态", "状态"), "done_on": ("完成时间", "办结时间"),
}
_INSPECTIONS = ("2026年第四季度重点工作督查", "2026年11月份巡查", "重大项目推进专项督查", "审计整改专项督查",
                "民生实事跟踪督查", "优化营商环境专项督查", "安全生产大检查")


@dataclass
class RowValues:
    values: dict  # field -> cell value
    problem: str
    deadline: object  # for reuse in a later update
    ongoing: bool


class UnitHistory:
    """What a unit submitted in earlier files (reusable for progress updates) and every problem text."""

    def __init__(self):
        self.reusable: list[RowValues] = []  # rows of earlier files with an absolute deadline
        self.pending: list[RowValues] = []  # rows of the file being written
        self.problems: set[str] = set()
        self.in_file: set[str] = set()

    def next_file(self) -> None:
        self.reusable += self.pending
        self.pending = []
        self.in_file = set()


def make_row(rng: random.Random, cells: Cells, units: list[GenUnit], unit: GenUnit, reported: date,
             hist: UnitHistory) -> RowValues:
    """One valid data row; about one in ten repeats a problem of an earlier file (a progress update)."""
    old = rng.choice(hist.reusable) if hist.reusable and rng.random() < 0.1 else None
    if old is not None and old.problem not in hist.in_file:
        problem, deadline, ongoing, kind = old.problem, old.deadline, old.ongoing, None
        if isinstance(deadline, Cell):  # a cell belongs to its sheet: make a new one
            deadline = cells.date(deadline.value.date(), chinese="年" in deadline.number_format)
    else:
        old = None
        problem = problem_text(rng, units)
        while problem in hist.problems:
            problem = problem_text(rng, units) + f"，涉及{rng.randint(2, 999)}户"
        deadline, ongoing, kind = deadline_value(rng, cells, reported)
    hist.problems.add(problem)
    hist.in_file.add(problem)
    cat, word = status_value(rng, ongoing)
    done_on: object = ""
    if cat == "done" and rng.random() < 0.7:
        done_on = date_value(rng, cells, reported - timedelta(days=rng.randint(0, 60)))
    problem_cell = problem
    if old is None and rng.random() < 0.05:  # a line break typed inside the cell
        problem_cell = problem[: len(problem) // 2] + "\n" + problem[len(problem) // 2:]
    values = {
        "item_id": "",
        "source": rng.choice(_SOURCES),
        "problem": problem_cell,
        "measures": measures_text(rng, units),
        "deadline": deadline,
        "lead_unit": rng.choice((unit.name, unit.name, unit.name, *unit.aliases)),
        "co_units": co_units_value(rng, units, unit),
        "owner": person(rng),
        "progress": (_fill(rng, rng.choice(_PROGRESS), units) if cat != "not_started" else "") or _HELP_REASON[cat],
        "status": word,
        "done_on": done_on,
        "remark": rng.choice(("", "", "", "", "需跨年", "审计整改事项", "群众来信反映", "已报区政府分管领导"))
        or _HELP_REASON[cat],
    }
    row = RowValues(values, problem, deadline, ongoing)
    if old is None and kind not in ("immediate", "md_before", "before_year_end"):
        hist.pending.append(row)  # relative deadlines would move on resubmission: never reused
    return row


def _seq_value(rng: random.Random, i: int) -> object:
    return rng.choice((i, i, float(i), str(i), str(i).translate(_FULLWIDTH)))


def _footer(rng: random.Random, width: int) -> list:
    row = [""] * width
    row[0] = "填表人：" + person(rng)
    row[min(3, width - 1)] = "审核人：" + person(rng)
    row[min(6, width - 1)] = f"联系电话：0556-55{rng.randint(10000, 99999)}"
    return row


def _meta_row(rng, cells: Cells, unit: GenUnit, reported: date, width: int, seal: bool = False) -> list:
    row = [""] * width
    label = "填报单位（盖章）：" if seal else "填报单位："
    row[0] = label + rng.choice((unit.name, unit.name, *unit.aliases))
    if rng.random() < 0.6:
        row[width // 3] = "检查名称：" + rng.choice(_INSPECTIONS)
    at = width * 2 // 3
    if rng.random() < 0.3:  # label and value in two cells
        row[at], row[at + 1] = "填报日期：", cells.date(reported)
    else:
        row[at] = "填报日期：" + rng.choice((f"{reported.year}年{reported.month}月{reported.day}日",
                                          reported.isoformat()))
    return row


def write_standard(wb: Workbook, rng, units, unit, reported, rows, hist, title: str) -> None:
    """The project's template: title row (merged), meta line, canonical header, footer."""
    ws = wb.create_sheet(rng.choice(("三单", "Sheet1", "整改台账")))
    cells = Cells(ws)
    width = len(FIELDS)
    ws.merged_cells.add(f"A1:{_col(width)}1")
    ws.append([title] + [""] * (width - 1))
    ws.append(_meta_row(rng, cells, unit, reported, width))
    ws.append([CANONICAL[f] for f in FIELDS])
    for i in range(1, rows + 1):
        r = make_row(rng, cells, units, unit, reported, hist)
        ws.append([_seq_value(rng, i) if f == "seq" else r.values[f] for f in FIELDS])
    ws.append([""] * width)
    ws.append(_footer(rng, width))


def write_aliases(wb: Workbook, rng, units, unit, reported, rows, hist, title: str) -> None:
    """Meta line only, header names from the aliases, columns shuffled, some optional ones left out."""
    ws = wb.create_sheet(rng.choice(("整改进展", "Sheet1", "台账")))
    cells = Cells(ws)
    optional = [f for f in FIELDS if f not in ("problem", "measures", "deadline", "lead_unit", "seq", "item_id")]
    fields = ["problem", "measures", "deadline", "lead_unit"] + [f for f in optional if rng.random() < 0.8]
    if "status" in fields and "progress" not in fields and "remark" not in fields:
        fields.append("progress")  # a 需上级协调 row must say why somewhere (needs-help-without-reason)
    rng.shuffle(fields)
    fields = ["seq", *fields]
    labels = [CANONICAL[f] if f not in ALIASES or rng.random() < 0.3 else rng.choice(ALIASES[f]) for f in fields]
    width = len(fields)
    ws.append(_meta_row(rng, cells, unit, reported, max(width, 5)))
    ws.append(labels)
    for i in range(1, rows + 1):
        r = make_row(rng, cells, units, unit, reported, hist)
        ws.append([_seq_value(rng, i) if f == "seq" else r.values[f] for f in fields])
    if rng.random() < 0.7:
        ws.append([])
        ws.append(_footer(rng, max(width, 7)))


def write_grouped(wb: Workbook, rng, units, unit, reported, rows, hist, title: str,
                  meta: bool) -> None:
    """The seed's attachment: 整改问题 | 整改措施 | 整改责任 over 序号 | 具体内容 | 具体内容 | …, merged."""
    ws = wb.create_sheet(rng.choice(("Sheet1", "三单清单")))
    cells = Cells(ws)
    fields = ["seq", "problem", "measures", "deadline", "lead_unit", "co_units", "owner", "progress", "status",
              "done_on", "remark"]
    width = len(fields)
    groups = ["整改问题", "", "整改措施", "", "整改责任", "", "", "整改进展", "完成情况", "完成日期", "备注"]
    leaves = ["序号", "具体内容", "具体内容", "整改时限", "牵头责任单位", "配合责任单位", "责任人", "", "", "", ""]
    top = 1
    ws.merged_cells.add(f"A1:{_col(width)}1")
    ws.append([title] + [""] * (width - 1))
    if meta:
        ws.append(_meta_row(rng, cells, unit, reported, width, seal=rng.random() < 0.5))
        top += 1
    g, leaf = top + 1, top + 2
    for a, b in (("A", "B"), ("C", "D"), ("E", "G")):
        ws.merged_cells.add(f"{a}{g}:{b}{g}")
    for c in range(8, width + 1):  # 整改进展 … 备注 span both header rows
        ws.merged_cells.add(f"{_col(c)}{g}:{_col(c)}{leaf}")
    ws.append(groups)
    ws.append(leaves)
    for i in range(1, rows + 1):
        r = make_row(rng, cells, units, unit, reported, hist)
        ws.append([_seq_value(rng, i) if f == "seq" else r.values[f] for f in fields])
    ws.append([""] * width)
    ws.append(_footer(rng, width))


def write_instructions(wb: Workbook) -> None:
    ws = wb.create_sheet("填表说明")
    for line in ("1. 整改时限请写具体日期，如 2026年12月31日；长期坚持的事项写“长期坚持”。",
                 "2. 完成情况填写：未启动、推进中、已完成、长期坚持、需上级协调。",
                 "3. 首次报送编号留空；报送进展时请照抄回执中的编号。"):
        ws.append([line])


def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


# ---------------------------------------------------------------------------------- files

@dataclass(frozen=True)
class FilePlan:
    index: int
    unit: int  # index into units
    layout: str  # standard / aliases / grouped / grouped_meta
    folder: str | None  # inbox/<folder>/ or None for inbox/
    rows: int
    extra_sheet: bool


def plan_files(units: list[GenUnit], files: int, rows: int, seed: int) -> list[FilePlan]:
    rng = random.Random(f"plan-{seed}")
    plans = []
    for i in range(files):
        u = i % len(units) if i < len(units) else rng.randrange(len(units))
        layout = rng.choices(("standard", "aliases", "grouped", "grouped_meta"), weights=(40, 30, 15, 15))[0]
        unit = units[u]
        folder: str | None
        if layout == "grouped":  # no 填报单位 line: the unit's folder says who it is
            folder = rng.choice((unit.name, *unit.aliases))
        else:
            folder = rng.choice((None, None, unit.name, *unit.aliases[:1]))
        plans.append(FilePlan(i, u, layout, folder, rows, rng.random() < 0.2))
    return plans


def write_file(plan: FilePlan, units: list[GenUnit], inbox: Path, as_of: date, seed: int,
               hist: UnitHistory) -> Path:
    rng = random.Random(f"file-{seed}-{plan.index}")
    unit = units[plan.unit]
    reported = as_of - timedelta(days=rng.randint(0, 14))
    title = f"{unit.name}重大决策部署落实“三查三单”整改台账"
    wb = Workbook(write_only=True)
    args = (wb, rng, units, unit, reported, plan.rows, hist, title)
    if plan.layout == "standard":
        write_standard(*args)
    elif plan.layout == "aliases":
        write_aliases(*args)
    else:
        write_grouped(*args, meta=plan.layout == "grouped_meta")
    if plan.extra_sheet:
        write_instructions(wb)
    folder = inbox / plan.folder if plan.folder else inbox
    folder.mkdir(parents=True, exist_ok=True)
    kind = rng.choice(("三单", "三单表", "整改台账", "整改进展", "三单清单"))
    path = folder / f"{unit.name}_{kind}_{plan.index + 1:04d}.xlsx"
    wb.save(path)
    hist.next_file()
    mtime = _MTIME_BASE + plan.index
    os.utime(path, (mtime, mtime))
    return path


def generate(root: Path, units: int = 60, files: int = 600, rows: int = 50, seed: int = 1,
             as_of: date = DEFAULT_AS_OF) -> list[Path]:
    """Write a workspace with `files` submissions into `root` (which should be empty)."""
    gen_units = make_units(units, seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "sancha.toml").write_text(config_text(gen_units), encoding="utf-8")
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    histories: dict[int, UnitHistory] = {}
    paths = []
    for plan in plan_files(gen_units, files, rows, seed):
        paths.append(write_file(plan, gen_units, inbox, as_of, seed, histories.setdefault(plan.unit, UnitHistory())))
    return paths


def generate_big(root: Path, rows: int = 200_000, seed: int = 1, as_of: date = DEFAULT_AS_OF) -> Path:
    """One unit, one file, one sheet of `rows` rows (standard layout), caps raised in sancha.toml."""
    gen_units = make_units(20, seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "sancha.toml").write_text(config_text(gen_units, big=True), encoding="utf-8")
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    plan = FilePlan(0, 0, "standard", None, rows, False)
    return write_file(plan, gen_units, inbox, as_of, seed, UnitHistory())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="workspace to create (sancha.toml + inbox/)")
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--rows", type=int, default=50)
    ap.add_argument("--big-rows", type=int, default=0, help="instead: one sheet with this many rows")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF,
                    help="the day the files count as received (pass it to sancha ingest --as-of)")
    args = ap.parse_args(argv)
    if args.dir.exists() and any(args.dir.iterdir()):
        print(f"{args.dir} is not empty", file=sys.stderr)
        return 2
    started = time.perf_counter()
    if args.big_rows:
        paths = [generate_big(args.dir, args.big_rows, args.seed, args.as_of)]
    else:
        paths = generate(args.dir, args.units, args.files, args.rows, args.seed, args.as_of)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files ({size / 1e6:.1f} MB) into {args.dir / 'inbox'} "
          f"in {time.perf_counter() - started:.1f} s; ingest with --as-of {args.as_of}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
