"""Unit names as units write them → the registered units, the office, the group phrases.

One rule for "is this the office?" and "which unit is this?": names are compared squeezed
(NFKC, no whitespace at all — `督　查　室` is 督查室), whether they come from the 填报单位 line,
the inbox/<unit>/ folder, a file name or a row's 牵头/配合责任单位. Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from pipeline.config import Config
from pipeline.intake.normalize import squeeze

_CO_UNIT_SEPARATORS = re.compile(r"[、，,；;/／\s\u3000]+")


def split_units(text: str) -> list[str]:
    """配合责任单位 cell → names, split on 、，,；;/ and spaces (full and half width)."""
    return [part for part in _CO_UNIT_SEPARATORS.split(text) if part]


@lru_cache(maxsize=8)
def directory(config: Config) -> UnitDirectory:
    """The config's unit directory, made once per config."""
    return UnitDirectory(config)


class UnitDirectory:
    """The registered units, their aliases, the office's own names and the group phrases."""

    def __init__(self, config: Config):
        self.office_name = config.office_name
        self._units: dict[str, str] = {}
        for unit in config.units:
            for label in (unit.name, *unit.aliases):
                self._units[label] = unit.name
                self._units[squeeze(label)] = unit.name
        self._office = {squeeze(label) for label in (config.office_name, *config.office_aliases)}
        self._groups = {key: phrase for phrase in config.groups for key in (phrase, squeeze(phrase))}
        # [[partners]]: co-units only (区公安分局): never a lead unit nor a submitter
        self._partners = {key: p.name for p in config.partners for label in (p.name, *p.aliases)
                          for key in (label, squeeze(label))}
        self._labels = list(self._units)
        self.co_units = lru_cache(maxsize=8192)(self._co_units)  # co-unit lists repeat from row to row

    def _co_units(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """配合责任单位 text → (what it names: registered units, group phrases and, as written,
        the parts that are neither, in order and once each; those unknown parts, in order, as
        often as they occur)."""
        names: list[str] = []
        unknown: list[str] = []
        for part in split_units(text):
            name = self.group(part) or self.resolve(part) or self.partner(part)
            if name is None:
                unknown.append(part)
                name = part
            if name not in names:
                names.append(name)
        return tuple(names), tuple(unknown)

    def resolve(self, name: str) -> str | None:
        """Canonical name of a registered unit written by name or alias, else None."""
        return self._units.get(name) or self._units.get(squeeze(name))

    def partner(self, name: str) -> str | None:
        """The `[[partners]]` co-unit written by name or alias, else None."""
        return self._partners.get(name) or self._partners.get(squeeze(name))

    def is_office(self, name: str) -> bool:
        """Whether the name is the office's own (its name or an `[office] aliases` one)."""
        return squeeze(name) in self._office

    def canonical(self, name: str) -> str | None:
        """Who a submitter's name (填报单位, a folder, a file name's start) is: the office's name
        for any of the office's names, else a registered unit's canonical name, else None."""
        if self.is_office(name):
            return self.office_name
        return self.resolve(name)

    def group(self, phrase: str) -> str | None:
        """The configured group phrase (各乡镇街道 …) this text is, else None."""
        return self._groups.get(phrase) or self._groups.get(squeeze(phrase))

    def labels(self) -> list[str]:
        """Every name and alias, canonical units and the office, longest first."""
        office = [self.office_name, *self._office]
        return sorted({*self._labels, *office}, key=len, reverse=True)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Registered unit names closest to `name`, best first, for "是否应为 区财政局？"."""
        matches = process.extract(squeeze(name), self._labels, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=50)
        names: list[str] = []
        for label, _score, _index in matches:
            unit = self._units[label]
            if unit not in names:
                names.append(unit)
        return names[:limit]

    def did_you_mean(self, name: str) -> str:
        """The hint for a name that is no registered unit: the closest names, else the rule."""
        suggestions = self.suggest(name)
        if suggestions:
            return f"是否应为 {' 或 '.join(suggestions)}？"
        return "请按督查室公布的单位名单填写规范名称（如 区财政局）"
