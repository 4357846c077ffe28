"""Accounts, roles and the audit log, in one SQLite file beside the database
(``security.sqlite`` in the data directory), so they survive every rebuild and import.

Passwords are stored as Argon2id hashes (argon2-cffi defaults). Five failed logins in
fifteen minutes lock an account for fifteen minutes. Every login, failed login, import,
export, 双随机 draw, listing decision and account change is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: role -> what it may do. ``grid`` sees only its own grid (see ``data.access``).
ROLES: dict[str, frozenset[str]] = {
    "leader": frozenset({"view"}),
    "office": frozenset({"view", "export", "draw", "decide", "people"}),
    "grid": frozenset({"view", "export", "people"}),
    "admin": frozenset({"view", "export", "draw", "decide", "people", "import", "users", "audit"}),
}
ROLE_NAMES = {"leader": "领导", "office": "安委办", "grid": "网格员", "admin": "管理员"}
MIN_PASSWORD = 8
LOCK_AFTER = 5
LOCK_MINUTES = 15

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, grid_id TEXT,
  password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, username TEXT, action TEXT NOT NULL, detail TEXT);
CREATE INDEX IF NOT EXISTS audit_user_at ON audit (username, at);
"""


class AccountError(ValueError):
    """A request about accounts that cannot be done (message in Chinese, for the user)."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    grid_id: str | None = None

    def can(self, permission: str) -> bool:
        return permission in ROLES.get(self.role, frozenset())


class Accounts:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.hasher = PasswordHasher()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:  # one transaction, committed on success
                yield db
        finally:
            db.close()

    # --- users ---------------------------------------------------------------------------
    def add(self, username: str, name: str, role: str, password: str, grid_id: str | None = None,
            by: str | None = None) -> User:
        username = username.strip()
        if not username or not username.isprintable() or len(username) > 64:
            raise AccountError("用户名不能为空，且不超过 64 个字符")
        if role not in ROLES:
            raise AccountError(f"未知角色 {role}（可选：{'、'.join(ROLES)}）")
        if role == "grid" and not grid_id:
            raise AccountError("网格员账号必须指定网格编号")
        self.check_password(password)
        with self._db() as db:
            if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
                raise AccountError(f"用户名 {username} 已存在")
            db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, 0, ?)",
                       [username, name, role, grid_id if role == "grid" else None, self.hasher.hash(password),
                        _now()])
        self.log(by, "user_add", {"username": username, "role": role, "grid_id": grid_id})
        return User(username, name, role, grid_id if role == "grid" else None)

    def set_disabled(self, username: str, disabled: bool, by: str | None = None) -> None:
        with self._db() as db:
            if not db.execute("UPDATE users SET disabled = ? WHERE username = ?", [int(disabled), username]).rowcount:
                raise AccountError(f"没有用户 {username}")
        self.log(by, "user_disable" if disabled else "user_enable", {"username": username})

    @staticmethod
    def check_password(password: str) -> None:
        """Refuse a password the rules do not allow (before anything is done with it)."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"密码至少 {MIN_PASSWORD} 位")

    def set_password(self, username: str, password: str, by: str | None = None) -> None:
        self.check_password(password)
        with self._db() as db:
            if not db.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                              [self.hasher.hash(password), username]).rowcount:
                raise AccountError(f"没有用户 {username}")
        self.log(by, "password_set", {"username": username})

    def users(self) -> list[dict]:
        with self._db() as db:
            rows = db.execute("SELECT username, name, role, grid_id, disabled, created_at FROM users "
                              "ORDER BY role, username").fetchall()
        return [dict(zip(("username", "name", "role", "grid_id", "disabled", "created_at"), r)) for r in rows]

    # --- login ---------------------------------------------------------------------------
    def login(self, username: str, password: str) -> User:
        """The user, if the password is right and the account usable; else AccountError.

        Every attempt is logged. The message does not say whether the user exists.
        """
        with self._db() as db:
            row = db.execute("SELECT name, role, grid_id, password_hash, disabled FROM users WHERE username = ?",
                             [username]).fetchone()
            since = (dt.datetime.now() - dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
            # Failures since the last successful login, within the window.
            failures = db.execute("SELECT count(*) FROM audit WHERE username = ? AND action = 'login_failed' "
                                  "AND at >= ? AND id > coalesce((SELECT max(id) FROM audit WHERE username = ? "
                                  "AND action = 'login'), 0)", [username, since, username]).fetchone()[0]
        if failures >= LOCK_AFTER:
            self.log(username, "login_locked", {})
            raise AccountError(f"登录失败次数过多，请 {LOCK_MINUTES} 分钟后再试")
        ok = False
        if row is not None:
            try:
                ok = self.hasher.verify(row[3], password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
        else:
            self.hasher.hash(password)  # the same work as a real check: no timing hint that the user is unknown
        if not ok or row is None or row[4]:
            self.log(username, "login_failed", {"disabled": bool(row and row[4])})
            raise AccountError("用户名或密码错误，或账号已停用")
        self.log(username, "login", {})
        return User(username, row[0], row[1], row[2])

    # --- audit ---------------------------------------------------------------------------
    def log(self, username: str | None, action: str, detail: dict | None = None) -> None:
        with self._db() as db:
            db.execute("INSERT INTO audit (at, username, action, detail) VALUES (?, ?, ?, ?)",
                       [_now(), username, action, json.dumps(detail or {}, ensure_ascii=False, default=str)])

    def audit_log(self, limit: int = 1000) -> list[dict]:
        with self._db() as db:
            rows = db.execute("SELECT at, username, action, detail FROM audit ORDER BY id DESC LIMIT ?",
                              [limit]).fetchall()
        return [dict(zip(("at", "username", "action", "detail"), r)) for r in rows]


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


#: Demo accounts of the demo city (documented in the README; created only for illustrative data).
DEMO_ACCOUNTS = (
    ("leader", "示意领导", "leader", "demo-leader-2026"),
    ("office", "示意安委办", "office", "demo-office-2026"),
    ("grid", "示意网格员", "grid", "demo-grid-2026"),
    ("admin", "示意管理员", "admin", "demo-admin-2026"),
)


def ensure_demo_accounts(accounts: Accounts, grid_id: str) -> None:
    """Create the demo accounts that do not exist yet (the 网格员 gets ``grid_id``)."""
    have = {u["username"] for u in accounts.users()}
    for username, name, role, password in DEMO_ACCOUNTS:
        if username not in have:
            accounts.add(username, name, role, password, grid_id if role == "grid" else None, by="demo")
