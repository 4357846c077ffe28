"""One writer at a time per database: imports and rebuilds take :func:`database_lock`.

An import works on a copy of the database and swaps it in at the end. Two at once would each
copy the same old file, and the second swap would throw away the first's changes although
both reported success. So every writer holds an exclusive lock on ``.<db>.lock`` from before
it copies until after it has swapped; a second one waits, saying whom it waits for, and gives
up after :data:`WAIT_S` seconds with a sentence naming the holder — nothing is changed.

The lock is ``flock`` on the file: the kernel releases it when its holder exits, however it
exits (``kill -9`` included), so a lock left by a dead process is simply taken over. The file
itself says who holds it (pid, what, since when) for the waiting one's messages; it is never
deleted (deleting a lock file others may have opened would let two writers in).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long a second import or rebuild waits for the first before giving up.
WAIT_S = 300.0
#: How often the waiting one says so (seconds).
SAY_EVERY_S = 5.0

Say = Callable[[str, float], object]


class DatabaseBusy(RuntimeError):
    """Another import or rebuild kept the database for longer than the wait; nothing was done."""


def lock_path(db_path: Path) -> Path:
    """``.<db>.lock`` beside the database (hidden: it stays, see the module's docstring)."""
    return db_path.with_name(f".{db_path.name}.lock")


def holder(db_path: Path) -> str:
    """Who holds (or last held) the database, as a sentence part: 进程 123（导入 a.csv，自 10:02:03 起）."""
    try:
        info = json.loads(lock_path(db_path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or not info.get("pid"):
        return "另一进程"
    where = "" if info.get("host") in (None, socket.gethostname()) else f"，主机 {info['host']}"
    since = str(info.get("since", ""))[11:19] or "?"
    same = "（本服务中的另一会话）" if info.get("pid") == os.getpid() else ""
    return f"进程 {info['pid']}{same}（{info.get('what', '写入数据库')}{where}，自 {since} 起）"


@contextmanager
def database_lock(db_path: Path | str, what: str, say: Say | None = None,
                  wait_s: float | None = None) -> Iterator[None]:
    """Hold the database's write lock for the block; wait for it at most ``wait_s`` seconds
    (default :data:`WAIT_S`), telling ``say`` whom it waits for every few seconds.

    Raises
    ------
    DatabaseBusy
        Still held by another import or rebuild after the wait; the message names it.
    """
    import fcntl

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    wait = WAIT_S if wait_s is None else wait_s
    fd = os.open(lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        start = time.monotonic()
        said = -SAY_EVERY_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise  # no locks on this file system: say so rather than risk a lost import
            waited = time.monotonic() - start
            if waited >= wait:
                raise DatabaseBusy(f"数据库正被{holder(db_path)}使用，已等待 {waited:.0f} 秒仍未结束，本次未执行，"
                                   "数据库未改动；请等它完成后再试")
            if say and waited - said >= SAY_EVERY_S:
                say(f"等待{holder(db_path)}完成（已等待 {waited:.0f} 秒，最多 {wait:.0f} 秒）", 0.0)
                said = waited
            time.sleep(min(0.2, max(0.01, wait - waited)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "what": what,
                                  "since": dt.datetime.now().isoformat(timespec="seconds")},
                                 ensure_ascii=False).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
