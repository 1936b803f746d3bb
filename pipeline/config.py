"""The workspace configuration (sancha.toml): office, units, group phrases, calendar, rules.

Pure: `parse_config(text)` turns TOML text into a frozen `Config`, or raises `ConfigError`
with a Chinese message. Every key except the units has a default.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from pipeline.errors import SanchaError
from pipeline.model import SOURCE_ASSIGNED, SOURCE_CATEGORIES, STATUSES


class ConfigError(SanchaError):
    """sancha.toml is missing or wrong; the message says what to fix (Chinese)."""

    exit_code = 2
    label = "配置错误"


@dataclass(frozen=True)
class Unit:
    name: str
    aliases: tuple[str, ...] = ()
    leader: str = ""  # 分管领导: a 督办通知单 is copied (抄送) to them
    contact: str = ""  # 联系人 for the office's text messages (待发短信.csv)
    phone: str = ""  # 联系电话 of that contact
    runs_sancha: bool = False  # a township running its own sancha: the weekly batch writes it a 下发包


@dataclass(frozen=True)
class Rules:
    """Thresholds the office may tune ([rules] in sancha.toml)."""

    due_soon_workdays: int = 3  # 临期: deadline within N working days
    report_within_workdays: int = 3  # 整改时限届满后3个工作日内报送
    key_overdue_workdays: int = 10  # 重点督查 when overdue more than M working days
    lookback_days: int = 30  # 回头看 for items done at least K days ago
    notice_reply_workdays: int = 3  # 督办通知单: answer within N working days
    commend_min_due: int = 1  # a unit needs at least this many items due or done to be commended
    reissue_hours: int = 24  # a document sancha wrote this long ago counts as sent out: never replaced
    measures_within_workdays: int = 5  # a problem list's unit sends its measures within N working days (issue 17)
    # 销号 only of an item with 佐证材料 (issue 23); `sancha close --force --note` still may
    close_requires_evidence: bool = False
    ongoing_report_every: str = "month"  # 长期坚持 items report once a "month" or a "quarter"
    warn_after_workdays: int = 10  # 督办告诫单: an item still red N working days after its 督办通知单
    accountability_after_workdays: int = 10  # 问责建议清单: still red N working days after its 告诫单
    name_persons: bool = True  # criticism and 重点督查 lists name the 责任人 (and 责任领导)


@dataclass(frozen=True)
class Scoring:
    """The annual evaluation ([scoring] in sancha.toml): a base, then points per event — the
    first two added, the others deducted (written as positive numbers) — and caps per unit."""

    base: int = 100
    done_on_time: float = 1.0  # + an item done by its deadline
    commended: float = 2.0  # + a circular commended the unit
    overdue: float = 1.0  # - an item still open on its report_due day
    report_missing: float = 2.0  # - a report owed and not received by the day after it was due (made up later: as late)
    report_late: float = 1.0  # - a report received after its report_due
    measures_missing: float = 1.0  # - a problem list's item whose measures were not sent in time (issue 17)
    notice_unanswered: float = 1.0  # - a 督办通知单 or 督办告诫单 not answered by its reply date
    warning: float = 2.0  # - a 督办告诫单
    accountability: float = 5.0  # - an item on the 问责建议清单
    criticised: float = 2.0  # - a circular criticised the unit
    max_deduction: float = 40.0  # the most a unit loses in a period (0: no cap)
    max_bonus: float = 20.0  # the most a unit gains (0: no cap)
    co_unit_weight: float = 0.5  # a 配合责任单位's share of done_on_time and overdue
    commend_top: int = 3  # the 考核结果通报 commends the best N units above the base
    criticise_below: float = 90.0  # and criticises the units scoring below this


@dataclass(frozen=True)
class WatchSettings:
    polling: bool = False
    interval: float = 2.0  # seconds between polls / rescans of the inbox
    settle_seconds: float = 2.0  # size and mtime stable this long before a file is read
    rescan_seconds: float = 60.0  # full rescan of the inbox, catches missed events


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 50.0
    max_uncompressed_mb: float = 100.0
    max_compression_ratio: float = 200.0
    # A sheet's extent from A1 to its last filled cell: a few KB can claim XFD1048576, which the
    # reader would allocate whole (17 billion cells) and abort the process on.
    max_sheet_cells: int = 5_000_000
    # The sum of every sheet's extent: the reader holds all sheets at once (40 sheets of 1,000,000
    # rows each fit the sheet limit, not the memory).
    max_workbook_cells: int = 10_000_000
    max_rows: int = 20_000  # data rows per file; a 三单表 with more is a mistake, not a report
    max_findings: int = 200  # per file; more are summarised in one warning
    # Each file is read in a worker process with these limits (address space, CPU time); a file
    # that hits one is rejected (file-too-large). 0 MB: no worker, files are read in sancha's
    # own process (not recommended: one hostile file can then stop a batch).
    max_worker_memory_mb: int = 2048
    max_worker_seconds: float = 120.0


# What a unit may send as 佐证材料 by default (issue 23): the suffixes, without the dot.
EVIDENCE_TYPES: tuple[str, ...] = ("pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "ofd", "zip")


@dataclass(frozen=True)
class EvidenceSettings:
    """[evidence] in sancha.toml: the file types accepted as 佐证材料 and the size of each."""

    types: tuple[str, ...] = EVIDENCE_TYPES
    max_mb: float = 20.0


@dataclass(frozen=True)
class Fonts:
    """The faces documents name ([fonts] in sancha.toml); the reader's Word or WPS supplies them."""

    body: str = "仿宋_GB2312"  # 正文, tables, 版记
    title: str = "方正小标宋简体"  # 公文标题, 发文机关标志
    heiti: str = "黑体"  # 一、 headings, table headers
    kaiti: str = "楷体_GB2312"  # （一） headings


# What a township reports up ([upstream] report): the items the level above assigned, or all.
UPSTREAM_REPORTS = ("assigned", "all")
# Item fields a level above's list may name (`[[upstream_lists]] columns` values).
LIST_FIELDS = ("upstream_id", "problem", "measures", "unit", "co_units", "deadline", "owner", "source", "remark",
               "answer", "answer_on")
# … and what its feedback table may ask for (`report_columns` values).
REPORT_FIELDS = ("upstream_id", "id", "problem", "measures", "unit", "co_units", "deadline", "owner", "source",
                 "remark", "progress", "status", "done_on", "state", "as_of")


@dataclass(frozen=True)
class Upstream:
    """[upstream]: the level above that runs sancha (the district, for a township)."""

    name: str  # the level above's office, as its files name it (填报单位 of its 下发包)
    as_unit: str  # our name in its ledger (填报单位 of our report up)
    report: str = "assigned"  # UPSTREAM_REPORTS


@dataclass(frozen=True)
class UpstreamList:
    """[[upstream_lists]]: a level above that does not run sancha (the city's 督查室): its list's
    columns (header → field) and its feedback table's columns, in its order."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (header, field)
    report_columns: tuple[tuple[str, str], ...]
    sheet: str = ""  # the sheet holding the list; "" = the first with the headers


@dataclass(frozen=True)
class Config:
    office_name: str
    doc_prefix: str
    cc: tuple[str, ...]
    units: tuple[Unit, ...]
    groups: tuple[str, ...] = ()  # phrases like 各乡镇街道 accepted as cooperating units
    office_aliases: tuple[str, ...] = ()  # names under which the office itself submits
    contact: str = ""  # 联系人及电话 for notices
    signature: str = ""  # 落款 on documents; defaults to office_name
    leaders_title: str = "区人民政府"  # 主送 of a 专题报告
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()
    rules: Rules = field(default_factory=Rules)
    watch: WatchSettings = field(default_factory=WatchSettings)
    limits: Limits = field(default_factory=Limits)
    fonts: Fonts = field(default_factory=Fonts)
    # Issue 17: [sources] and [statuses] — category / status → the office's own synonyms.
    sources: tuple[tuple[str, tuple[str, ...]], ...] = ()
    statuses: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # [[partners]]: co-units that are no reporting unit (区公安分局, 供电公司): no inbox, no form.
    partners: tuple[Unit, ...] = ()
    scoring: Scoring = field(default_factory=Scoring)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    upstream: Upstream | None = None
    upstream_lists: tuple[UpstreamList, ...] = ()

    def upstream_list(self, name: str) -> UpstreamList | None:
        return next((u for u in self.upstream_lists if u.name == name), None)

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.units)

    def is_office(self, name: str | None) -> bool:
        return bool(name) and (name == self.office_name or name in self.office_aliases)

    @cached_property
    def _unit_of(self) -> dict[str, str]:
        return {label: u.name for u in self.units for label in (*u.aliases, u.name)}

    def canonical_unit(self, name: str) -> str:
        """The registered unit a stored unit name stands for now: the unit itself, or the unit
        that lists the name among its aliases (a unit renamed in 机构改革 keeps its old name
        there); the name as it is when no unit claims it."""
        return self._unit_of.get(name, name)

    def is_registered(self, name: str) -> bool:
        return name in self._unit_of

    def unit_spellings(self, unit: str) -> tuple[str, ...]:
        """Every name items of `unit` may be stored under: its name and its aliases."""
        for u in self.units:
            if u.name == unit:
                return (u.name, *u.aliases)
        return (unit,)

    def unit(self, name: str) -> Unit | None:
        """The registered unit `name` (a name, not an alias)."""
        return next((u for u in self.units if u.name == name), None)

    def runs_sancha(self, unit: str | None) -> bool:
        """Whether the unit runs its own sancha ([[units]] runs_sancha: a township, 两级联动)."""
        return any(u.runs_sancha for u in self.units if u.name == unit)

    def leader_of(self, unit: str) -> str:
        """The unit's 分管领导 ([[units]] leader), or "" when none is registered."""
        return self._leaders.get(unit, "")

    @cached_property
    def _leaders(self) -> dict[str, str]:
        """Each unit's leader by name, the first registration of a name winning (as `leader_of`
        read them): one lookup a row for a city's 100,000 rows, not a scan of 300 units."""
        leaders: dict[str, str] = {}
        for u in self.units:
            leaders.setdefault(u.name, u.leader)
        return leaders


def _str_list(value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"sancha.toml: {key} 应是字符串列表，例如 {key} = [\"区纪委监委\"]")
    return tuple(v.strip() for v in value if v.strip())


def _date_list(value, key: str) -> tuple[date, ...]:
    if value is not None and not isinstance(value, list):
        raise ConfigError(f"sancha.toml: {key} 应是日期列表，例如 {key.split()[-1]} = [\"2027-01-01\"]")
    out = []
    for v in value or []:
        if isinstance(v, date):
            out.append(v)
            continue
        try:
            out.append(date.fromisoformat(str(v).strip()))
        except ValueError:
            raise ConfigError(f"sancha.toml: {key} 中的 “{v}” 不是日期，请写成 2027-01-01") from None
    return tuple(sorted(set(out)))


def _table(data: dict, name: str) -> dict:
    raw = data.get(name) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"sancha.toml: [{name}] 应是一个表")
    return raw


# The smallest value each number may take ([rules], [watch], [limits]); a key not listed here
# must not be negative. An interval of 0 would spin a core; a limit of 0 would refuse every file.
_MINIMUM: dict[tuple[str, str], float] = {
    ("rules", "notice_reply_workdays"): 1,
    ("watch", "interval"): 0.1,
    ("watch", "rescan_seconds"): 0.1,
    ("limits", "max_compression_ratio"): 1,
    ("limits", "max_sheet_cells"): 1,
    ("limits", "max_workbook_cells"): 1,
    ("limits", "max_rows"): 1,
    ("limits", "max_findings"): 1,
    ("limits", "max_worker_seconds"): 1,
}


_CHOICES = {("rules", "ongoing_report_every"): ("month", "quarter")}
_POSITIVE = {("limits", "max_file_mb"), ("limits", "max_uncompressed_mb")}


def _in_range(section: str, key: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    least = _MINIMUM.get((section, key), 0)
    if section == "limits" and key == "max_worker_memory_mb" and 0 < value < 256:
        raise ConfigError(f"sancha.toml: [limits] {key} 应为 0（不用读取进程）或不小于 256，现在是 {value!r}")
    if (section, key) in _POSITIVE and not value > 0:
        raise ConfigError(f"sancha.toml: [{section}] {key} 应大于 0，现在是 {value!r}")
    if value < least or value != value:  # NaN too
        bound = "不能为负数" if least == 0 else f"应不小于 {least:g}"
        raise ConfigError(f"sancha.toml: [{section}] {key} {bound}，现在是 {value!r}")


def _section(data: dict, name: str, cls):
    raw = _table(data, name)
    known = cls.__dataclass_fields__
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"sancha.toml: [{name}] 中有未知的键 {', '.join(unknown)}；可用的键：{', '.join(known)}")
    values = {}
    for key, value in raw.items():
        default = known[key].default
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"sancha.toml: [{name}] {key} 应是{_type_name(expected)}，现在是 {value!r}")
        _in_range(name, key, value)
        if (name, key) in _CHOICES and value not in _CHOICES[name, key]:
            raise ConfigError(f"sancha.toml: [{name}] {key} 只能是 {' 或 '.join(map(repr, _CHOICES[name, key]))}，"
                              f"现在是 {value!r}")
        values[key] = value
    return cls(**values)


# tomllib's messages, in Chinese (the others are shown as tomllib words them)
_TOML_MESSAGES = {
    "Invalid value": "值无效",
    "Cannot overwrite a value": "同一个键写了两次",
    "Cannot declare": "同一个表写了两次",
    "Expected '=' after a key in a key/value pair": "键后面缺少 =",
    "Invalid statement": "无法识别这一行",
    "Unclosed array": "方括号 [ ] 不成对",
    "Unclosed inline table": "花括号 { } 不成对",
    "Unterminated string": "引号不成对",
    "Illegal character": "有不允许的字符",
    "Expected newline or end of document after a statement": "一行只能写一个键",
    "Invalid initial character for a key part": "键名的第一个字符无效",
}
# Full-width punctuation a Chinese input method types instead of TOML's ASCII: key ＝ value,
# values in “ ” or ‘ ’, a ： after a key.
_FULL_WIDTH = {"＝": "=", "：": "=", "“": '"', "”": '"', "‘": "'", "’": "'", "［": "[", "］": "]", "，": ","}


def _full_width_line(text: str, near: int | None) -> tuple[int, str] | None:
    """(line number, character) of full-width punctuation where TOML wants ASCII: in a key, the
    ＝ or ： after it, or the first character of a value; the line tomllib stopped at first."""
    lines = text.splitlines()
    order = ([near - 1] if near and 0 < near <= len(lines) else []) + list(range(len(lines)))
    for n in order:
        line = lines[n].strip()
        if not line or line.startswith("#"):
            continue
        head, eq, value = line.partition("=")
        for ch in (*head, *(value.strip()[:1] if eq else "")):
            if ch in _FULL_WIDTH:
                return n + 1, ch
    return None


def _syntax_error(detail: str, text: str = "") -> str:
    """tomllib's message (English, ending in its position) in Chinese, with the position; a
    line with full-width punctuation where TOML wants ASCII is named instead."""
    m = re.search(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$", detail)
    line = int(m[1]) if m and m[1] else None
    wide = _full_width_line(text, line)
    if wide is not None:
        n, ch = wide
        return (f"sancha.toml 第 {n} 行用了全角符号 “{ch}”：请改为英文半角的 {_FULL_WIDTH[ch]}"
                "（切换到英文输入法再输入），文字两边用英文双引号，例如 name = \"区财政局\"")
    where = "" if m is None else f"（第 {m[1]} 行第 {m[2]} 列）" if m[1] else "（文件末尾）"
    message = detail[:m.start()] if m else detail
    return (f"sancha.toml 格式有误{where}：{_TOML_MESSAGES.get(message, message)}。"
            "常见原因：文字没有加英文双引号、括号或引号不成对、同一个键写了两次")


def decode_config(raw: bytes) -> str:
    """sancha.toml's text: UTF-8 (with or without BOM), UTF-16 with a BOM (Notepad's "Unicode")
    or without one, else GB18030 (Notepad's "ANSI" on a Chinese Windows) — read, not refused."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decoded(raw, "utf-16")
    elif len(raw) >= 4 and raw.count(b"\x00") * 4 >= len(raw):  # UTF-16 without its BOM
        return _decoded(raw, "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _decoded(raw, "gb18030")


def _decoded(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise ConfigError("sancha.toml 的编码无法识别：请用记事本打开，选择“另存为”，编码选 UTF-8 后保存") from None


def _type_name(t) -> str:
    return {int: "整数", float: "数字", bool: "true 或 false", str: "字符串"}.get(t, str(t))


# The keys sancha reads (a misspelt one would otherwise be ignored without a word).
SECTIONS = ("office", "units", "partners", "groups", "calendar", "rules", "watch", "limits", "fonts", "sources",
            "statuses", "scoring", "evidence", "upstream", "upstream_lists")
OFFICE_KEYS = ("name", "doc_prefix", "cc", "aliases", "contact", "signature", "leaders_title")
UNIT_KEYS = ("name", "aliases", "leader", "contact", "phone", "runs_sancha")
CALENDAR_KEYS = ("holidays", "workdays")


def _only(keys, known: tuple[str, ...], where: str) -> None:
    """Refuse a key sancha does not read, naming the closest known one."""
    for key in sorted(set(keys) - set(known)):
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"，是否应为 {close[0]}？" if close else f"；可用的：{', '.join(known)}"
        raise ConfigError(f"sancha.toml: {where}中有未知的键 {key}{hint}")


def parse_config(text: str) -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(_syntax_error(str(e), text)) from None
    for key in sorted(set(data) - set(SECTIONS)):
        close = difflib.get_close_matches(key, SECTIONS, n=1, cutoff=0.6)
        hint = f"，是否应为 [{close[0]}]？" if close else f"；可用的：{', '.join(SECTIONS)}"
        raise ConfigError(f"sancha.toml: 未知的部分 [{key}]{hint}")

    office = _table(data, "office")
    _only(office, OFFICE_KEYS, "[office] ")
    name = str(office.get("name") or "").strip()
    if not name:
        raise ConfigError("sancha.toml: [office] 缺少 name（办公室全称，例如 “大观区人民政府办公室”）")

    units_raw = data.get("units") or []
    if not isinstance(units_raw, list):
        raise ConfigError("sancha.toml: 单位应写成 [[units]] 表数组")
    units: list[Unit] = []
    seen: dict[str, str] = {}
    for i, u in enumerate(units_raw, 1):
        if not isinstance(u, dict):
            raise ConfigError(f"sancha.toml: 第 {i} 个单位应是 [[units]] 表，写成 [[units]] 下一行 name = \"区财政局\"")
        uname = str(u.get("name") or "").strip()
        if not uname:
            raise ConfigError(f"sancha.toml: 第 {i} 个 [[units]] 缺少 name")
        _only(u, UNIT_KEYS, f"[[units]] {uname} ")
        aliases = _str_list(u.get("aliases"), f"[[units]] {uname} aliases")
        for label in (uname, *aliases):
            if label in seen and seen[label] != uname:
                raise ConfigError(f"sancha.toml: 名称 “{label}” 同时属于 {seen[label]} 和 {uname}，请删去其一")
            seen[label] = uname
        leader = u.get("leader") or ""
        if not isinstance(leader, str):
            raise ConfigError(f"sancha.toml: [[units]] {uname} 的 leader 应是字符串，例如 leader = \"张三副区长\"")
        person = {key: u.get(key) or "" for key in ("contact", "phone")}
        for key, value in person.items():
            if not isinstance(value, str):
                raise ConfigError(f"sancha.toml: [[units]] {uname} 的 {key} 应是字符串，例如 {key} = \"0556-5500000\"")
        runs = u.get("runs_sancha", False)
        if not isinstance(runs, bool):
            raise ConfigError(f"sancha.toml: [[units]] {uname} 的 runs_sancha 应是 true 或 false")
        units.append(Unit(uname, aliases, leader.strip(), person["contact"].strip(), person["phone"].strip(), runs))
    names = [u.name for u in units]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"sancha.toml: 单位重复登记：{'、'.join(dup)}")

    partners = _partners(data, seen)

    groups_raw = data.get("groups") or {}
    if isinstance(groups_raw, dict):
        _only(groups_raw, ("phrases",), "[groups] ")
    groups = _str_list(groups_raw.get("phrases") if isinstance(groups_raw, dict) else groups_raw, "[groups] phrases")

    cal = _table(data, "calendar")
    _only(cal, CALENDAR_KEYS, "[calendar] ")
    upstream = _upstream(data)
    office_aliases = _str_list(office.get("aliases"), "[office] aliases")
    if upstream is not None:
        # The level above's 下发包 is taken as the office's own file; items not yet assigned to
        # one of our units are our own (`as_unit`), a unit of this ledger.
        office_aliases = (*office_aliases, upstream.name)
        if upstream.as_unit not in seen:
            units.append(Unit(upstream.as_unit))
    upstream_lists = _upstream_lists(data)
    sources = _synonyms(data, "sources", SOURCE_CATEGORIES, "\"审计整改\" = [\"经责审计\"]")
    above = [n for n in (upstream.name if upstream else None, *(u.name for u in upstream_lists)) if n]
    if above:
        sources = _assigned_by(sources, above)
    return Config(
        office_name=name,
        doc_prefix=str(office.get("doc_prefix") or "").strip(),
        cc=_str_list(office.get("cc"), "[office] cc"),
        units=tuple(units),
        groups=groups,
        office_aliases=office_aliases,
        contact=str(office.get("contact") or "").strip(),
        signature=str(office.get("signature") or "").strip() or name,
        leaders_title=str(office.get("leaders_title") or "").strip() or "区人民政府",
        holidays=_date_list(cal.get("holidays"), "[calendar] holidays"),
        workdays=_date_list(cal.get("workdays"), "[calendar] workdays"),
        rules=_section(data, "rules", Rules),
        watch=_section(data, "watch", WatchSettings),
        limits=_section(data, "limits", Limits),
        fonts=_fonts(data),
        sources=sources,
        statuses=_synonyms(data, "statuses", STATUSES, "\"已完成\" = [\"已销项\"]"),
        partners=partners,
        scoring=_section(data, "scoring", Scoring),
        evidence=_evidence(data),
        upstream=upstream,
        upstream_lists=upstream_lists,
    )


def _assigned_by(sources: tuple[tuple[str, tuple[str, ...]], ...],
                 names: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """[sources] with the levels above's names as words for 上级交办: a 问题来源 naming one
    (the district's 下发包 writes its own name there) is work a higher level assigned."""
    words = dict(sources)
    own = {w for ws in words.values() for w in ws}
    words[SOURCE_ASSIGNED] = (*words.get(SOURCE_ASSIGNED, ()), *(n for n in names if n not in own))
    return tuple(words.items())


def _partners(data: dict, seen: dict[str, str]) -> tuple[Unit, ...]:
    """[[partners]]: name and aliases, none of them a unit's name or alias."""
    raw = data.get("partners") or []
    if not isinstance(raw, list):
        raise ConfigError("sancha.toml: 配合单位应写成 [[partners]] 表数组，下一行 name = \"区公安分局\"")
    out = []
    for i, p in enumerate(raw, 1):
        name = str(p.get("name") or "").strip() if isinstance(p, dict) else ""
        if not name:
            raise ConfigError(f"sancha.toml: 第 {i} 个 [[partners]] 缺少 name（例如 name = \"区公安分局\"）")
        _only(p, ("name", "aliases"), f"[[partners]] {name} ")
        aliases = _str_list(p.get("aliases"), f"[[partners]] {name} aliases")
        for label in (name, *aliases):
            if label in seen:  # a unit's name or alias, or another partner's
                raise ConfigError(f"sancha.toml: 名称 “{label}” 同时属于 {seen[label]} 和配合单位 {name}，请删去其一")
            seen[label] = name
        out.append(Unit(name, aliases))
    return tuple(out)


def _synonyms(data: dict, name: str, allowed: tuple[str, ...], example: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """[sources] / [statuses]: each key one of `allowed`, its value the words that mean it."""
    raw = _table(data, name)
    out = []
    for key, words in raw.items():
        if key not in allowed:
            raise ConfigError(f"sancha.toml: [{name}] 中的 “{key}” 不是可用的类别；可用：{'、'.join(allowed)}"
                              f"（例如 {example}）")
        out.append((key, _str_list(words, f"[{name}] {key}")))
    return tuple(out)


def _evidence(data: dict) -> EvidenceSettings:
    """[evidence]: `types` a list of suffixes (with or without the dot, any case), `max_mb` > 0."""
    raw = dict(_table(data, "evidence"))
    types = EVIDENCE_TYPES
    if "types" in raw:
        listed = _str_list(raw.pop("types"), "[evidence] types")
        types = tuple(dict.fromkeys(t.strip().lstrip(".").lower() for t in listed if t.strip().lstrip(".")))
        if not types:
            raise ConfigError("sancha.toml: [evidence] types 不能为空，例如 types = [\"pdf\", \"jpg\"]")
    settings = _section({"evidence": raw}, "evidence", EvidenceSettings)
    if not settings.max_mb > 0:
        raise ConfigError(f"sancha.toml: [evidence] max_mb 应大于 0，现在是 {settings.max_mb!r}")
    return EvidenceSettings(types=types, max_mb=settings.max_mb)


def _text(raw: dict, key: str, where: str, example: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"sancha.toml: {where} 缺少 {key}，例如 {key} = \"{example}\"")
    return value.strip()


def _upstream(data: dict) -> Upstream | None:
    raw = _table(data, "upstream")
    if not raw:
        return None
    unknown = sorted(set(raw) - {"name", "as_unit", "report"})
    if unknown:
        raise ConfigError(f"sancha.toml: [upstream] 中有未知的键 {', '.join(unknown)}；可用的键：name, as_unit, report")
    report = raw.get("report", "assigned")
    if report not in UPSTREAM_REPORTS:
        raise ConfigError(f"sancha.toml: [upstream] report 应为 \"assigned\"（只报上级交办的事项）或 \"all\""
                          f"（全部事项），现在是 {report!r}")
    return Upstream(_text(raw, "name", "[upstream]", "大观区人民政府办公室"),
                    _text(raw, "as_unit", "[upstream]", "海口镇"), report)


def _mapping(raw: dict, key: str, where: str, allowed: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    value = raw.get(key)
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"sancha.toml: {where} 缺少 {key}，例如 {key} = {{\"序号\" = \"upstream_id\", …}}")
    out = []
    for header, name in value.items():
        if not isinstance(name, str) or name not in allowed:
            raise ConfigError(f"sancha.toml: {where} {key} 中 “{header}” 对应的 {name!r} 不是可用的字段；"
                              f"可用的字段：{', '.join(allowed)}")
        out.append((str(header).strip(), name))
    return tuple(out)


def _upstream_lists(data: dict) -> tuple[UpstreamList, ...]:
    raw_lists = data.get("upstream_lists") or []
    if not isinstance(raw_lists, list) or not all(isinstance(r, dict) for r in raw_lists):
        raise ConfigError("sancha.toml: 上级清单应写成 [[upstream_lists]] 表数组")
    out: list[UpstreamList] = []
    for raw in raw_lists:
        unknown = sorted(set(raw) - {"name", "columns", "report_columns", "sheet"})
        if unknown:
            raise ConfigError(f"sancha.toml: [[upstream_lists]] 中有未知的键 {', '.join(unknown)}；"
                              "可用的键：name, columns, report_columns, sheet")
        name = _text(raw, "name", "[[upstream_lists]]", "市政府督查室")
        where = f"[[upstream_lists]] {name}"
        columns = _mapping(raw, "columns", where, LIST_FIELDS)
        fields = [f for _, f in columns]
        for needed in ("upstream_id", "problem", "unit"):
            if needed not in fields:
                raise ConfigError(f"sancha.toml: {where} columns 缺少对应 {needed} 的列"
                                  "（上级编号、事项和责任单位必须有）")
        if any(out_list.name == name for out_list in out):
            raise ConfigError(f"sancha.toml: [[upstream_lists]] {name} 写了两次")
        sheet = raw.get("sheet", "")
        out.append(UpstreamList(name, columns, _mapping(raw, "report_columns", where, REPORT_FIELDS),
                                sheet.strip() if isinstance(sheet, str) else ""))
    return tuple(out)


def _fonts(data: dict) -> Fonts:
    fonts = _section(data, "fonts", Fonts)
    blank = [key for key in Fonts.__dataclass_fields__ if not getattr(fonts, key).strip()]
    if blank:
        default = getattr(Fonts(), blank[0])
        raise ConfigError(f"sancha.toml: [fonts] {blank[0]} 不能为空；删去这一行即使用默认字体 {default}")
    return Fonts(**{key: getattr(fonts, key).strip() for key in Fonts.__dataclass_fields__})
