"""Accounts, roles, login sessions and the audit log, in one SQLite file beside the database
(``security.sqlite`` in the data directory), so they survive every rebuild and import.

Passwords are stored as Argon2id hashes (:data:`HASHER`: OWASP's first recommended setting).
Five failed logins in
fifteen minutes lock an account for fifteen minutes; each attempt takes its place in the count
inside a write transaction *before* its password is checked, so thirty guesses at once get five
checks. A login opens a session: a random token the browser keeps in an HttpOnly cookie, stored
here only as its SHA-256. Sessions end on logout, on disabling the account or changing its
password (every session of that user at once), after ``idle_minutes`` without a run and after
``max_hours`` in all (``settings.toml`` in the data directory, ``[sessions]``).

The file is in WAL mode and every write takes the write lock up front (``BEGIN IMMEDIATE``)
with a 30 s busy timeout: many logins and audit entries at once queue instead of failing
with "database is locked". Every login, failed login, import, export, 双随机 draw, listing
decision and account change is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
import time
import tomllib
import weakref
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
    # A meeting-room screen: the big screen only, nothing to click through, nothing to export.
    "display": frozenset({"big_screen"}),
}
ROLE_NAMES = {"leader": "领导", "office": "安委办", "grid": "网格员", "admin": "管理员", "display": "大屏"}
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
CREATE TABLE IF NOT EXISTS sessions (
  token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, created REAL NOT NULL, seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);
CREATE TABLE IF NOT EXISTS screen_links (
  key_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, days INTEGER NOT NULL, created TEXT NOT NULL,
  created_by TEXT, revoked INTEGER NOT NULL DEFAULT 0);
"""

#: Seconds between two updates of a session's last-seen time (a run more often writes nothing).
SEEN_EVERY = 60

#: One lock per user name in this process: attempts at one account are checked one after the
#: other, each against the count its predecessors left (see :meth:`Accounts.login`).
#: Weakly held: a lock lives while an attempt holds it, so names tried once cost no memory.
_LOGIN_LOCKS: weakref.WeakValueDictionary[str, _Lock] = weakref.WeakValueDictionary()
_LOGIN_LOCKS_GUARD = threading.Lock()


class _Lock:
    """A lock that a weak reference can point to (``threading.Lock`` cannot be)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def _login_lock(username: str) -> _Lock:
    with _LOGIN_LOCKS_GUARD:
        lock = _LOGIN_LOCKS.get(username)
        if lock is None:
            lock = _LOGIN_LOCKS[username] = _Lock()
        return lock


@dataclass(frozen=True)
class SessionPolicy:
    """How long a login lasts: ``idle_minutes`` without a run, ``max_hours`` in all."""

    idle_minutes: float = 120
    max_hours: float = 12

    @classmethod
    def from_file(cls, path: Path) -> SessionPolicy:
        """The ``[sessions]`` table of ``settings.toml`` (defaults where absent)."""
        if not path.exists():
            return cls()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8")).get("sessions", {})
            policy = cls(**{k: float(v) for k, v in raw.items()})
        except (tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
            raise AccountError(f"{path.name} 的 [sessions] 有误（可用 idle_minutes、max_hours）：{exc}") from None
        if policy.idle_minutes <= 0 or policy.max_hours <= 0:
            raise AccountError(f"{path.name}：idle_minutes 与 max_hours 须大于 0")
        return policy


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


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


#: Accounts files this process has set up (schema, WAL), as (path, exists) so that a file
#: removed since is set up again.
_READY: set[tuple[str, bool]] = set()


#: Argon2id with 19 MiB, 2 passes, 1 lane — the first setting the OWASP Password Storage Cheat
#: Sheet recommends. argon2-cffi's default (64 MiB, 3 passes, 4 lanes: RFC 9106's second) cost
#: ten times the CPU per login: a morning's logins (100 in ten seconds, bench/load.py) queued
#: every first page behind them on a 2-core server. Hashes of the old setting still verify,
#: and are replaced by this one at their next successful login.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: The least time a login answer takes while old hashes remain (their check took 0.09 s here).
LOGIN_SECONDS = 0.12
#: How a hash of :data:`HASHER`'s setting starts.
HASH_PREFIX = f"$argon2id$v=19$m={HASHER.memory_cost},t={HASHER.time_cost},p={HASHER.parallelism}$"


class Accounts:
    def __init__(self, path: Path | str, policy: SessionPolicy | None = None):
        self.path = Path(path)
        self.hasher = HASHER
        self.policy = policy or SessionPolicy.from_file(self.path.parent / "settings.toml")
        # The gate and every script run open the store: set the file up once per process.
        if (str(self.path.resolve()), self.path.exists()) in _READY:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            db.executescript(_SCHEMA)
        finally:
            db.close()
        _READY.add((str(self.path.resolve()), True))

    @contextmanager
    def _db(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; a writing one takes the write lock first (``BEGIN IMMEDIATE``), so
        it waits its turn (busy timeout 30 s) instead of failing when it upgrades a read."""
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
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
            if disabled:
                db.execute("DELETE FROM sessions WHERE username = ?", [username])
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
            db.execute("DELETE FROM sessions WHERE username = ?", [username])  # every open login ends
        self.log(by, "password_set", {"username": username})

    def has_users(self) -> bool:
        with self._db(write=False) as db:
            return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def users(self) -> list[dict]:
        with self._db(write=False) as db:
            rows = db.execute("SELECT username, name, role, grid_id, disabled, created_at FROM users "
                              "ORDER BY role, username").fetchall()
        return [dict(zip(("username", "name", "role", "grid_id", "disabled", "created_at"), r)) for r in rows]

    # --- login ---------------------------------------------------------------------------
    def login(self, username: str, password: str) -> User:
        """The user, if the password is right and the account usable; else AccountError.

        Every attempt is logged. The message does not say whether the user exists. Attempts at
        one account are checked one at a time in this process, and each is counted (a
        ``login_failed`` entry, turned into ``login`` on success) in the same write transaction
        that reads the count, before its password is checked: thirty guesses at once get five
        checks, and fifty right passwords at once all get in. Across several server processes
        on one accounts file at most one attempt per process is in flight: at most
        ``LOCK_AFTER + processes - 1`` checks.
        """
        if not username or len(username) > 64 or not username.isprintable():  # no such account can exist
            raise AccountError("用户名或密码错误，或账号已停用")
        started = time.monotonic()
        try:
            with _login_lock(username):
                return self._login(username, password)
        finally:
            # While any account still has a hash of the heavier old setting, every answer takes
            # at least LOGIN_SECONDS, waited outside the account's lock and without the CPU: an
            # unknown name, a new hash and an old one cannot be told apart by their time.
            if self.old_hashes():
                time.sleep(max(0.0, LOGIN_SECONDS - (time.monotonic() - started)))

    def old_hashes(self) -> bool:
        """Whether any account's password hash is of another setting than :data:`HASHER`'s."""
        with self._db(write=False) as db:
            return db.execute("SELECT 1 FROM users WHERE substr(password_hash, 1, ?) != ? LIMIT 1",
                              [len(HASH_PREFIX), HASH_PREFIX]).fetchone() is not None

    def _login(self, username: str, password: str) -> User:
        since = (dt.datetime.now() - dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
        with self._db() as db:
            row = db.execute("SELECT name, role, grid_id, password_hash, disabled FROM users WHERE username = ?",
                             [username]).fetchone()
            # Failures since the last successful login, within the window.
            failures = db.execute("SELECT count(*) FROM audit WHERE username = ? AND action = 'login_failed' "
                                  "AND at >= ? AND id > coalesce((SELECT max(id) FROM audit WHERE username = ? "
                                  "AND action = 'login'), 0)", [username, since, username]).fetchone()[0]
            locked = failures >= LOCK_AFTER
            attempt = None if locked else db.execute(
                "INSERT INTO audit (at, username, action, detail) VALUES (?, ?, 'login_failed', ?)",
                [_now(), username, json.dumps({"disabled": bool(row and row[4])})]).lastrowid
        if locked:
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
            raise AccountError("用户名或密码错误，或账号已停用")
        # An older setting: hashed anew now that we have the password (before the write lock).
        fresh = self.hasher.hash(password) if self.hasher.check_needs_rehash(row[3]) else None
        with self._db() as db:  # the counted attempt becomes the login
            db.execute("UPDATE audit SET action = 'login', detail = '{}' WHERE id = ?", [attempt])
            if fresh:
                db.execute("UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                           [fresh, username, row[3]])
        return User(username, row[0], row[1], row[2])

    # --- sessions --------------------------------------------------------------------------
    def open_session(self, user: User) -> str:
        """A new session of ``user``: the token for the browser's cookie (stored here hashed)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._db() as db:
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", [token_hash(token), user.username, now, now])
            # Sessions past their time are dropped here, so the table never grows without end.
            db.execute("DELETE FROM sessions WHERE created < ? OR seen < ?",
                       [now - self.policy.max_hours * 3600, now - self.policy.idle_minutes * 60])
        return token

    def session_user(self, token: str | None) -> User | None:
        """The user of a live session, or None (no such token, expired, account disabled or
        gone). A run counts as activity: the idle clock restarts (written once a minute)."""
        if not token:
            return None
        key, now = token_hash(token), time.time()
        with self._db(write=False) as db:
            row = db.execute("SELECT s.created, s.seen, u.username, u.name, u.role, u.grid_id FROM sessions s "
                             "JOIN users u USING (username) WHERE s.token_sha256 = ? AND u.disabled = 0",
                             [key]).fetchone()
        if row is None:
            return None
        created, seen = row[0], row[1]
        if now - created > self.policy.max_hours * 3600 or now - seen > self.policy.idle_minutes * 60:
            self.end_session(token, reason="expired")
            return None
        if now - seen > SEEN_EVERY:
            with self._db() as db:
                db.execute("UPDATE sessions SET seen = ? WHERE token_sha256 = ?", [now, key])
        return User(row[2], row[3], row[4], row[5])

    def end_session(self, token: str | None, reason: str = "logout") -> None:
        """End one session (logout, or expiry found on use)."""
        if not token:
            return
        with self._db() as db:
            row = db.execute("DELETE FROM sessions WHERE token_sha256 = ? RETURNING username",
                             [token_hash(token)]).fetchone()
        if row:
            self.log(row[0], "logout" if reason == "logout" else "session_expired", {})

    def end_sessions(self, username: str, by: str | None = None) -> int:
        """End every session of ``username`` at once; how many there were."""
        with self._db() as db:
            n = db.execute("DELETE FROM sessions WHERE username = ?", [username]).rowcount
        self.log(by, "sessions_ended", {"username": username, "sessions": n})
        return n

    def open_sessions(self, username: str) -> int:
        with self._db(write=False) as db:
            return int(db.execute("SELECT count(*) FROM sessions WHERE username = ?", [username]).fetchone()[0])

    # --- screen links ----------------------------------------------------------------------
    def add_screen_link(self, username: str, days: int = 30, by: str | None = None) -> str:
        """A link key that opens the big screen as ``username`` (a 大屏 account, which sees
        nothing else) without a password: for the meeting-room screen's browser. Stored
        hashed; shown once. ``days``: the screen's period."""
        with self._db() as db:
            row = db.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()
            if row is None:
                raise AccountError(f"没有用户 {username}")
            if row[0] != "display":
                raise AccountError(f"{username} 不是大屏账号：免密链接只能给大屏账号（它只能看大屏）")
            key = secrets.token_urlsafe(32)
            db.execute("INSERT INTO screen_links VALUES (?, ?, ?, ?, ?, 0)",
                       [token_hash(key), username, int(days), _now(), by])
        self.log(by, "screen_link_add", {"username": username, "days": int(days)})
        return key

    def screen_link(self, key: str | None) -> tuple[User, int] | None:
        """The 大屏 account and period of a live link key; None for a revoked or unknown key,
        or an account disabled or no longer a 大屏 account."""
        if not key:
            return None
        with self._db(write=False) as db:
            row = db.execute("SELECT u.username, u.name, u.role, l.days FROM screen_links l JOIN users u "
                             "USING (username) WHERE l.key_sha256 = ? AND l.revoked = 0 AND u.disabled = 0",
                             [token_hash(key)]).fetchone()
        if row is None or row[2] != "display":
            return None
        return User(row[0], row[1], row[2]), int(row[3])

    def revoke_screen_links(self, username: str, by: str | None = None) -> int:
        """Revoke every link of ``username`` and end its sessions; how many links there were."""
        with self._db() as db:
            n = db.execute("UPDATE screen_links SET revoked = 1 WHERE username = ? AND revoked = 0",
                           [username]).rowcount
            db.execute("DELETE FROM sessions WHERE username = ?", [username])
        self.log(by, "screen_links_revoked", {"username": username, "links": n})
        return n

    # --- audit ---------------------------------------------------------------------------
    def log(self, username: str | None, action: str, detail: dict | None = None) -> None:
        with self._db() as db:
            db.execute("INSERT INTO audit (at, username, action, detail) VALUES (?, ?, ?, ?)",
                       [_now(), username, action, json.dumps(detail or {}, ensure_ascii=False, default=str)])

    def audit_log(self, limit: int = 1000) -> list[dict]:
        with self._db(write=False) as db:
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
