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

from pipeline.config import Config, ConfigError, parse_config

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


def safe_filename(name: str, fallback: str = "未命名") -> str:
    """A name safe as one path component on Windows and Linux (no separators, no dots-only)."""
    cleaned = _UNSAFE.sub("_", name).strip().strip(".").strip()
    return cleaned[:120] or fallback


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
        try:
            text = self.config_path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError(
                f"找不到配置文件 {self.config_path}。请先运行 sancha init {self.root}，或用 -C 指定工作区。"
            ) from None
        return parse_config(text)

    def unit_outbox(self, unit: str) -> Path:
        """outbox/<unit>/ — built from a registered unit name only, sanitised."""
        return self.outbox / safe_filename(unit)

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
