"""The mark every exported file carries: who made it, when, and that it is 内部资料.

A PNG map draws it in its bottom band (``layers.png.Frame.mark``), every page of the PDF
briefing along its top edge, the Word briefing in each section's header and every sheet of a
workbook in its printed header (``reports.spreadsheets.print_setup``). The same line is the
``mark`` of the file's audit entry (``riskmap.marked``).

The name is user-supplied (an account's name, an operating-system user, a ``--user``
option): it is written as text everywhere — matplotlib draws it without mathtext
(``layers.png.literal_text``), an Excel header gets its ``&`` doubled (``&P`` would be the
page number), and it never lands in a cell, where it could be read as a formula.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from riskmap.i18n import t, value

try:  # the tz database is on most machines; China has kept UTC+8 without summer time since 1991
    from zoneinfo import ZoneInfo

    SHANGHAI: dt.tzinfo = ZoneInfo("Asia/Shanghai")
except (ImportError, KeyError):  # ZoneInfoNotFoundError is a KeyError
    SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

#: Most characters of a name the mark shows (an Excel header holds 255 characters in all).
NAME_CHARS = 40
#: Control characters, line and paragraph breaks, and invisible format characters (a
#: right-to-left override would reorder the line): each becomes one space in a mark.
_NOT_IN_MARK = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    """``text`` on one line, without what no font draws, at most :data:`NAME_CHARS` long."""
    one_line = " ".join(_NOT_IN_MARK.sub(" ", str(text)).split())
    return one_line if len(one_line) <= NAME_CHARS else one_line[:NAME_CHARS - 1] + "…"


@dataclass(frozen=True)
class Mark:
    """Who exported a file and when.

    ``name`` is the account's name (or the operating-system user's), ``account`` its login
    name, ``role`` the role as the accounts file names it (安委办, 命令行 …; shown in
    ``lang``), ``at`` the time of the export (Asia/Shanghai, to the minute).
    """

    name: str
    account: str
    role: str
    at: dt.datetime
    lang: str = "zh"

    @classmethod
    def now(cls, name: str, account: str, role: str, lang: str = "zh") -> Mark:
        """The mark of an export made now."""
        return cls(name, account, role, dt.datetime.now(SHANGHAI), lang)

    @property
    def minute(self) -> str:
        """The time of the export in Beijing time, to the minute: ``2026-12-02 09:30``."""
        at = self.at.astimezone(SHANGHAI) if self.at.tzinfo else self.at
        return at.strftime("%Y-%m-%d %H:%M")

    @property
    def who(self) -> str:
        """``示意安委办（账号 office，安委办）``; ``root（命令行）`` when the name is the login."""
        name, account, role = _clean(self.name), _clean(self.account), value(_clean(self.role), self.lang)
        if name == account:
            return t("mark_who_alone", self.lang, name=name, role=role)
        return t("mark_who", self.lang, name=name, account=account, role=role)

    @property
    def text(self) -> str:
        """The line the file carries: 内部资料, who and when."""
        return t("mark_line", self.lang, who=self.who, at=self.minute)


def excel_header_text(text: str) -> str:
    """``text`` as an Excel header or footer shows it as written: ``&`` starts Excel's codes
    (``&P`` page, ``&"font"``…), a literal one is written ``&&``."""
    return text.replace("&", "&&")
