"""Accounts of the web desk (`sancha user add|list|remove`), kept in the workspace's data/ folder
(data/users.json), never in sancha.toml: names, roles and scrypt hashes of the passwords.

scrypt (hashlib, OpenSSL) is memory-hard: n = 2**15, r = 8 takes 32 MiB and about 0.1 s per
check, which is what makes a stolen users.json slow to attack. The stored form is
`scrypt$n$r$p$salt$hash` (base64), so the parameters can grow without breaking old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.errors import Refused, UsageError
from pipeline.files import write_atomic
from pipeline.workspace import Workspace

ROLE_OFFICE = "督查室"  # may act: run the batch, and in phase 2 every office action
ROLE_LEADER = "领导"  # reads only: every POST is refused
ROLES = (ROLE_OFFICE, ROLE_LEADER)

USERS_FILE = "users.json"
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w\u4e00-\u9fff.\-]{1,32}$")

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 2**20


class AccountError(UsageError):
    """A user command that cannot be done as given (message in Chinese)."""


class NoSuchAccount(AccountError, Refused):
    """The account to remove does not exist."""

    exit_code = 1


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password_hash: str
    created_at: str

    @property
    def read_only(self) -> bool:
        return self.role != ROLE_OFFICE

    @property
    def fingerprint(self) -> str:
        """Changes when the password does: a session remembers it, so re-adding a user (a new
        password) ends the sessions opened with the old one."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_MAXMEM, dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# A hash of nothing anyone knows, checked when the name is unknown, so that a wrong name takes
# as long as a wrong password and the timing does not tell which names exist.
_DUMMY = hash_password(os.urandom(12).hex())


def users_path(ws: Workspace) -> Path:
    return ws.data / USERS_FILE


def load_accounts(ws: Workspace) -> dict[str, Account]:
    path = users_path(ws)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise AccountError(f"账号文件 {path} 无法读取（{e}）。"
                           "可删除该文件后用 sancha user add 重新添加账号。") from None
    return {u["name"]: Account(u["name"], u["role"], u["password_hash"], u.get("created_at", ""))
            for u in raw.get("users", [])}


def _save(ws: Workspace, accounts: dict[str, Account]) -> None:
    data = {"users": [{"name": a.name, "role": a.role, "password_hash": a.password_hash, "created_at": a.created_at}
                      for a in sorted(accounts.values(), key=lambda a: a.name)]}
    path = write_atomic(users_path(ws), (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    try:
        os.chmod(path, 0o600)  # on Windows this only clears the read-only bit; data/'s rights protect it there
    except OSError:
        pass


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise AccountError(f"用户名 “{name}” 不可用：请用 1–32 个汉字、字母、数字或 . _ -，例如 zhangsan 或 张三")
    return name


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码太短：至少 {MIN_PASSWORD} 个字符")


def add_account(ws: Workspace, name: str, role: str, password: str) -> Account:
    """Add a user, or give an existing one a new password and role."""
    name = check_name(name)
    if role not in ROLES:
        raise AccountError(f"角色 “{role}” 不存在：请写 {' 或 '.join(ROLES)}")
    check_new_password(password)
    ws.data.mkdir(parents=True, exist_ok=True)
    accounts = load_accounts(ws)
    account = Account(name, role, hash_password(password), datetime.now().isoformat(timespec="seconds"))
    accounts[name] = account
    _save(ws, accounts)
    return account


def remove_account(ws: Workspace, name: str) -> None:
    accounts = load_accounts(ws)
    if name not in accounts:
        known = "、".join(sorted(accounts)) or "（尚无账号）"
        raise NoSuchAccount(f"没有用户 “{name}”。现有用户：{known}")
    del accounts[name]
    _save(ws, accounts)


def authenticate(accounts: dict[str, Account], name: str, password: str) -> Account | None:
    account = accounts.get(name.strip())
    ok = check_password(password, account.password_hash if account else _DUMMY)
    return account if ok and account else None
