"""A district-sized ledger built in code: 40 units, 400 items, states computed on the real calendar.

    cfg, items, states, summaries = big_ledger()

Deterministic (a seeded generator). Unit names include long ones (区住房和城乡建设局,
大观经济开发区管理委员会) and every unit has a 分管领导. A ledger in mid-course: about 20 % of the
items overdue (half of those never reported), 35 % done (half of them already looked back on),
7 % ongoing, the rest on track; a problem is one to three sentences of 25–30 characters (35 on
average). That gives about 70 重点督查 and 50 回头看 items — the lists the circular's 附件 carry.
`NOTICE_UNIT` has exactly seven red items (overdue or report missing), the case the 督办通知单
must fit on two pages.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

from pipeline.config import Config, parse_config
from pipeline.deadlines.states import compute_states, unit_summary
from pipeline.deadlines.workdays import WorkCalendar
from pipeline.model import Item, ItemState

AS_OF = date(2026, 11, 30)
UNITS = [
    "区发展改革委", "区教育局", "区科技局", "区工业和信息化局", "区公安分局", "区民政局", "区司法局", "区财政局",
    "区人力资源社会保障局", "区自然资源和规划分局", "区生态环境分局", "区住房和城乡建设局", "区交通运输局",
    "区农业农村水利局", "区商务局", "区文化旅游体育局", "区卫生健康委", "区退役军人事务局", "区应急管理局",
    "区审计局", "区市场监督管理局", "区统计局", "区医疗保障局", "区城市管理局", "区数据资源管理局",
    "区信访局", "区林业局", "区投资促进中心", "区融媒体中心", "大观经济开发区管理委员会", "德宽路街道", "玉琳路街道",
    "集贤路街道", "十里铺乡", "菱湖街道", "花亭路街道", "山口乡", "海口镇", "石化路街道", "区机关事务服务中心",
]
NOTICE_UNIT = "区住房和城乡建设局"
SOURCES = ["巡查", "督查", "审计", "领导批示", "人大建议", "政协提案", "第三方评估"]
_PHRASES = [
    "老旧小区改造进度滞后于年度计划，部分小区雨污分流工程尚未开工",
    "项目审批环节多、时限长，企业反映“多头跑”问题仍然存在",
    "专项资金拨付不及时，部分资金闲置超过一年",
    "安全生产隐患排查不彻底，个别企业存在重大隐患未按期整改",
    "基层网格员配备不足，信息采集更新不及时",
    "农村人居环境整治长效管护机制不健全",
    "政务服务事项“一网通办”比例偏低，线上线下标准不一",
    "审计发现的往来款项长期挂账问题未清理到位",
    "校园周边交通秩序混乱，上下学高峰拥堵",
    "重点项目征迁遗留问题较多，影响项目按期开工",
    "餐饮油烟、噪声扰民投诉反映集中，处置不及时",
    "公共卫生服务项目绩效评价流于形式",
]


def _config() -> Config:
    units = "\n".join(f'[[units]]\nname = "{u}"\nleader = "分管副区长{chr(0x5F20 + n % 5)}{n}"\n' for n, u in enumerate(UNITS))
    return parse_config(f"""
[office]
name = "大观区人民政府办公室"
doc_prefix = "观政办"
cc = ["区委办", "区人大办", "区政协办", "区纪委监委"]
contact = "区委区政府督查室 王五，联系电话：0556-5502678"

{units}
""")


def _problem(rng: random.Random) -> str:
    n = rng.choice((1, 1, 1, 1, 2, 2, 3))
    return "；".join(rng.sample(_PHRASES, n)) + "。"


def _items(rng: random.Random) -> list[Item]:
    items = []
    seq = 0
    for n, unit in enumerate(UNITS):
        for k in range(10):
            seq += 1
            roll = rng.random()
            if unit == NOTICE_UNIT:
                roll = 0.05 if k < 7 else 0.9  # seven red items (overdue), three on track
            deadline: date | None = AS_OF + timedelta(days=rng.randint(-120, 150))
            status, done_on, last_report, lookback = "推进中", None, None, None
            if roll < 0.2:  # overdue, half of them reported after the deadline
                deadline = AS_OF - timedelta(days=rng.randint(5, 90))
                last_report = deadline + timedelta(days=1) if rng.random() < 0.5 else None
            elif roll < 0.55:  # done, half of them looked back on since
                deadline = AS_OF - timedelta(days=rng.randint(1, 120))
                done_on = deadline - timedelta(days=rng.randint(-10, 20))
                done_on = min(done_on, AS_OF)
                status = "已完成"
                if rng.random() < 0.5:
                    lookback = min(done_on + timedelta(days=35), AS_OF)
            elif roll < 0.62:
                deadline, status = None, "长期坚持"
                last_report = AS_OF.replace(day=10)  # an ongoing item reports each month (issue 18)
            else:
                deadline = AS_OF + timedelta(days=rng.randint(1, 150))
            items.append(Item(
                id=f"2026-{seq:04d}", unit=unit, co_units=(UNITS[(n + 3) % len(UNITS)],) if k % 3 == 0 else (),
                source=rng.choice(SOURCES), problem=_problem(rng), measures="制定整改方案，明确时间节点，压实责任。",
                deadline=deadline, deadline_text=deadline.isoformat() if deadline else "长期坚持",
                ongoing=deadline is None, owner="李四", progress=None, status=status, done_on=done_on, remark=None,
                created_on=date(2026, 6, 1), updated_at="2026-06-01T09:00:00", last_report_on=last_report,
                lookback_on=lookback,
            ))
    return items


@cache
def big_ledger() -> tuple[Config, list[Item], dict[str, ItemState], list]:
    cfg = _config()
    items = _items(random.Random(22))
    states = compute_states(items, AS_OF, WorkCalendar.from_config(cfg), cfg.rules)
    return cfg, items, states, unit_summary(items, states)
