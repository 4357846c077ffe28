"""Who exports a file: the mark it carries (``reports.marks.Mark``) and its entry in the audit
log — one way for the app's download buttons (``pages.screens.common.export_button``) and
``python -m riskmap export`` alike.

In the app the mark names the logged-in account (its name, login and role); on the command
line the account given by ``--user`` when there is one, else the ``--user`` text or the
operating-system user, with the role 命令行. A command-line entry also records the
operating-system user, whatever ``--user`` says.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from reports.marks import Mark
from riskmap.accounts import ROLE_NAMES, Accounts, User
from riskmap.i18n import t


def mark_of(user: User, lang: str = "zh") -> Mark:
    """The mark of an export ``user`` makes now."""
    return Mark.now(user.name, user.username, ROLE_NAMES.get(user.role, user.role), lang)


def os_user() -> str:
    """The operating-system user running this process ("" if it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container), no USER variable
        return ""


def cli_mark(accounts: Accounts, user: str | None = None, lang: str = "zh") -> Mark:
    """The mark of a command-line export made now: the account ``user`` names (its name and
    role), else ``user`` itself or the operating-system user, as 命令行."""
    given = (user or "").strip() or os_user() or "?"
    account = next((u for u in accounts.users() if u["username"] == given), None)
    if account is not None:
        return mark_of(User(account["username"], account["name"], account["role"], account["grid_id"]), lang)
    return Mark.now(given, given, t("mark_cli", lang), lang)


def record_export(accounts: Accounts, mark: Mark, file_name: str, content: bytes, **detail: object) -> None:
    """The audit entry of an exported file: its account, kind, file name, size, its mark's
    line and minute, and ``detail`` (page, scope, rows, the OS user…)."""
    kind = Path(file_name).suffix.lstrip(".").lower() or "file"
    accounts.log(mark.account, "export", {"kind": kind, "file": file_name, **detail, "bytes": len(content),
                                          "mark": mark.text, "marked_at": mark.minute})
