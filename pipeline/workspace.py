"""Where things live in a workspace. The only module that knows the folder layout.

    sancha.toml        configuration (office, units, calendar, rules)
    inbox/             units drop files here (or in inbox/<unit>/)
    outbox/            what units and the office get back (outbox/<unit>/...)
    templates/         Word templates the office may edit
    data/ledger.sqlite the ledger (SQLite, WAL)
    data/archive/      every received file, byte-identical
    data/logs/         rotating log of the watcher and batches
    data/locks/        one-batch-at-a-time locks
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipeline.config import Config, ConfigError, decode_config, parse_config

CONFIG_NAME = "sancha.toml"

# What `sancha init` writes: a commented sancha.toml an admin fills in.
STARTER_CONFIG = """\
# sancha 工作区配置。改完保存即可，下次运行生效。
[office]
name = "某某区人民政府办公室"
doc_prefix = "某政办"          # 发文字号：某政办〔2026〕12号
cc = ["区纪委监委"]            # 抄送
aliases = ["督查室"]           # 督查室代各单位报送时“填报单位”可写的名称
contact = "区委区政府督查室，联系电话："

# 配合责任单位中可以出现的泛指（不是具体单位）
[groups]
phrases = ["各乡镇街道", "各预算单位", "区直各部门"]

# 每个单位一段：name 为规范名称，aliases 为各单位表格里常见的写法
[[units]]
name = "区财政局"
aliases = ["财政局", "区财政"]

[calendar]
# chinesecalendar 尚未收录的年份：国务院公布放假安排后在此补充（优先于内置日历）
holidays = []
workdays = []
"""

# Characters Windows forbids in file names, plus control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
# Names Windows reserves for devices, with or without an extension (CON, nul.txt, COM1.xlsx).
_RESERVED = re.compile(r"(?i)(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?")
# What a name sancha derives may take: 255 bytes (ext4) or UTF-16 units (NTFS) for one path
# component, less the room `files.write_atomic` needs for its temporary name (".{name}.tmp").
NAME_BYTES = 255 - len(".tmp") - 1
# Windows' classic MAX_PATH (260, with the terminating NUL): a path sancha writes stays under it
# while the workspace's own path leaves room, so Explorer, Excel and WPS can open it.
WINDOWS_PATH = 259
_MIN_NAME = 24  # a folder too deep for the path limit still gets names this long


def readable_name(name: str) -> str:
    """A file name as a person reads it: a name that is not UTF-8 (bytes the file system handed
    Python as surrogate escapes, such as GBK names from a Windows zip) decoded as GB18030 where
    that reads, else with each undecodable byte as U+FFFD. Other names are unchanged."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = name.encode("utf-8", "surrogateescape") if _only_escapes(name) else name.encode("utf-8", "replace")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def readable_path(text: str) -> str:
    """`readable_name` of each part of a "/"-separated path."""
    return "/".join(readable_name(part) for part in text.split("/"))


def _only_escapes(name: str) -> bool:
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in name)


def fit_name(text: str, max_bytes: int = NAME_BYTES) -> str:
    """`text` cut at a character boundary so that it takes at most `max_bytes` in UTF-8 and as
    many UTF-16 units (NTFS counts those): never half a character, never a lone joiner or
    variation selector at the end."""
    if len(text.encode("utf-8")) <= max_bytes and len(text.encode("utf-16-le")) // 2 <= max_bytes:
        return text
    out, used_bytes, used_units = [], 0, 0
    for ch in text:
        b, u = len(ch.encode("utf-8", "surrogatepass")), 2 if ord(ch) > 0xFFFF else 1
        if used_bytes + b > max_bytes or used_units + u > max_bytes:
            break
        out.append(ch)
        used_bytes, used_units = used_bytes + b, used_units + u
    while out and out[-1] in "\u200d\ufe0e\ufe0f":
        out.pop()
    return "".join(out)


def safe_filename(name: str, fallback: str = "未命名", max_bytes: int = NAME_BYTES) -> str:
    """A name safe as one path component on Windows and Linux: readable (see `readable_name`),
    no separators or characters Windows forbids, no leading dots or spaces, no trailing dots or
    spaces, no device name (CON, NUL.xlsx: a "_" in front), at most `max_bytes` (UTF-8 bytes
    and UTF-16 units) — cut at a character boundary."""
    cleaned = _UNSAFE.sub("_", readable_name(name)).strip().lstrip(". ").rstrip(". ")
    if _RESERVED.fullmatch(cleaned):
        cleaned = "_" + cleaned
    return fit_name(cleaned, max_bytes).rstrip(". ") or fallback


def split_name(name: str) -> tuple[str, str]:
    """(stem, extension) of a file name, readable; an "extension" longer than 12 characters or
    with spaces is part of the stem."""
    name = readable_name(name)
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 12 or not ext.strip() or " " in ext:
        return name, ""
    return stem, "." + safe_filename(ext, fallback="")


def derived_name(folder: Path, prefix: str, stem: str, suffix: str) -> str:
    """`prefix + stem + suffix` as one safe file name in `folder`, the stem shortened (never the
    prefix or suffix, which carry a date, an id or the extension) so that the name fits
    NAME_BYTES and, while the folder's path leaves room, the whole path fits WINDOWS_PATH."""
    fixed = len((prefix + suffix).encode("utf-8"))
    room = NAME_BYTES - fixed
    path_room = WINDOWS_PATH - len(str(folder)) - 1 - len(".tmp") - 1 - len(prefix + suffix)
    if path_room < room:
        room = max(path_room, min(room, _MIN_NAME))
    return prefix + safe_filename(stem, max_bytes=max(room, 1)) + suffix


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def db_path(self) -> Path:
        return self.data / "ledger.sqlite"

    @property
    def archive(self) -> Path:
        return self.data / "archive"

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def locks(self) -> Path:
        return self.data / "locks"

    @cached_property
    def config(self) -> Config:
        return self.read_config()

    def read_config(self) -> Config:
        """sancha.toml read and checked now (`config` keeps the first reading); ConfigError if broken."""
        try:
            text = decode_config(self.config_path.read_bytes())
        except FileNotFoundError:
            raise ConfigError(
                f"找不到配置文件 {self.config_path}。请先运行 sancha init {self.root}，或用 -C 指定工作区。"
            ) from None
        return parse_config(text)

    def use_config(self, config: Config) -> None:
        """From now on `config` is this one (the watcher's reloaded sancha.toml)."""
        self.__dict__["config"] = config

    def week_outbox(self, week: str) -> Path:
        """outbox/<YYYY-Www>/ — a weekly batch's own documents (the units' stay in their folders)."""
        return self.outbox / week

    def unit_outbox(self, unit: str) -> Path:
        """outbox/<unit>/ — built from a registered unit name only, sanitised."""
        return self.outbox / safe_filename(unit, max_bytes=120)

    def ensure(self) -> None:
        for d in (self.inbox, self.outbox, self.templates, self.data, self.archive, self.logs, self.locks):
            d.mkdir(parents=True, exist_ok=True)


def init_workspace(path: Path) -> Workspace:
    """A new workspace at `path` (or an existing one completed): its folders, a starter
    sancha.toml unless there is one, and the default Word templates where they are missing."""
    from pipeline.output.documents.templates import write_default_templates  # python-docx: only here

    ws = Workspace(Path(path).resolve())
    ws.ensure()
    if not ws.config_path.exists():
        ws.config_path.write_text(STARTER_CONFIG, encoding="utf-8")
    write_default_templates(ws.templates)
    return ws
