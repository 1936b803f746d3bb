"""问题来源 as one of the categories the seed's 实施范围 and the checks name — pure.

The source is kept verbatim (`Item.source`); its category (`Item.source_category`) is what
counts and filters (`report --source`, the circular): the category itself, a built-in synonym
(审计 → 审计整改, 区长批示 → 领导批示, 人大代表建议 → 人大建议, …) or one of `[sources]` in
sancha.toml, compared after `squeeze`; else a text holding one of those names (the longest
wins: “2026年审计发现问题” → 审计整改); else 其他, with warning `unknown-source`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from pipeline.intake.normalize import squeeze
from pipeline.model import SOURCE_CATEGORIES as CATEGORIES
from pipeline.model import SOURCE_OTHER as OTHER

SYNONYMS: dict[str, tuple[str, ...]] = {
    "重大决策部署": ("重大决策", "决策部署", "重大部署", "中央决策部署", "省委决策部署", "市委决策部署"),
    "人大建议": ("人大代表建议", "代表建议", "人大议案", "人大代表议案", "人大意见", "人大审议意见"),
    "政协提案": ("政协委员提案", "提案", "政协建议", "委员提案"),
    "政府工作报告": ("工作报告", "政府报告", "政府工作报告任务"),
    "重点工作": ("重点任务", "年度重点工作", "重点工作任务", "中心工作"),
    "重大项目": ("重点项目", "重大工程", "重点工程", "项目建设"),
    "审计整改": ("审计", "审计发现", "审计问题", "审计反馈", "审计查出", "审计发现问题", "经济责任审计", "审计报告"),
    "领导批示": ("区长批示", "书记批示", "县长批示", "市长批示", "批示", "领导交办", "交办", "上级批示", "批示件",
                 "领导指示"),
    "巡查": ("巡查发现", "巡查反馈", "日常巡查", "巡察", "巡察反馈"),
    "督查": ("督查检查", "专项督查", "现场督办", "跟踪督查", "调研督查", "回访复核", "督办", "督查发现", "督查反馈"),
    "考察": ("实地考察", "考察发现"),
    "第三方评估": ("第三方", "评估", "第三方评价", "群众满意度评估"),
    "上级交办": ("上级督办", "上级交办事项", "市政府督查室交办", "市督查室交办", "省政府督查室交办", "市级交办"),
    OTHER: ("其它",),
}


class SourceDirectory:
    """Categories with their synonyms, the built-in ones and `[sources]`'s."""

    def __init__(self, extra: Mapping[str, Iterable[str]] | None = None):
        names: dict[str, str] = {}
        for category in CATEGORIES:
            names[squeeze(category)] = category
        for category, words in SYNONYMS.items():
            for word in words:
                names.setdefault(squeeze(word), category)
        for category, own in (extra or {}).items():
            for word in own:
                names[squeeze(word)] = category  # the office's own words win
        self._names = names
        self._longest_first = sorted(names, key=len, reverse=True)

    def category(self, source: str | None) -> tuple[str | None, bool]:
        """(category, known): None for a blank source; 其他 and False for an unknown one."""
        if not source or not source.strip():
            return None, True
        return self._category(source)

    @lru_cache(maxsize=4096)  # noqa: B019 — one directory per configuration, sources repeat
    def _category(self, source: str) -> tuple[str, bool]:
        key = squeeze(source)
        found = self._names.get(key)
        if found:
            return found, True
        for name in self._longest_first:
            if name in key:
                return self._names[name], True
        return OTHER, False

    def categories_hint(self) -> str:
        return "、".join(CATEGORIES)


@lru_cache(maxsize=16)
def _directory(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> SourceDirectory:
    return SourceDirectory(dict(extra))


def sources_of(extra: Iterable[tuple[str, tuple[str, ...]]] = ()) -> SourceDirectory:
    """The directory of a configuration's `[sources]` (made once per configuration)."""
    return _directory(tuple(extra))


def source_category(source: str | None, extra: Iterable[tuple[str, tuple[str, ...]]] = ()) -> str | None:
    """The category of a source (None when blank): what `report --source` compares."""
    return sources_of(extra).category(source)[0]
