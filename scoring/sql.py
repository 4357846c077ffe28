"""SQL predicates of the model, written once: when a hazard is open, when a record is in a window.

A leaf: it imports nothing of ours, so that any room (``data`` included, if the architecture
allows it this module) can build its queries from the same definitions.

Every function returns a SQL fragment; ``t`` is the SQL expression of the date T (a
parameter such as ``$t``, or ``(SELECT d FROM t)``), ``alias`` the table alias, if any.
"""

from __future__ import annotations


def _col(alias: str | None, column: str) -> str:
    return f"{alias}.{column}" if alias else column


def hazard_open(t: str = "$t", alias: str | None = None, *, found: bool = True) -> str:
    """A hazard is open at T: (found on or before T and) not rectified on or before T.

    ``found=False`` leaves out ``found_on <= T``, for queries that already keep only the
    hazards found by T.
    """
    rectified = _col(alias, "rectified_on")
    unrectified = f"({rectified} IS NULL OR {rectified} > {t})"
    return f"{_col(alias, 'found_on')} <= {t} AND {unrectified}" if found else unrectified


def hazard_rectified(t: str = "$t", alias: str | None = None) -> str:
    """A hazard is rectified by T: the complement of :func:`hazard_open` among hazards found by T."""
    return f"NOT {hazard_open(t, alias, found=False)}"


def within_days(column: str, t: str, days: int) -> str:
    """``column`` lies after T - ``days``: with ``column <= T``, the ``days`` days ending on T."""
    return f"{column} > {t} - INTERVAL {int(days)} DAY"


def first_recheck_sql(t: str = "$t") -> str:
    """A query: per hazard closed (验收销号) on or before T, its first re-check dated on or after
    the closing day and on or before T (``hazard_id``, ``date``, ``outcome``; ties on a day go
    to the lower re-check id). The closure survives when that outcome is 属实整改."""
    return f"""SELECT r.hazard_id, min(r.date) AS date, arg_min(r.outcome, (r.date, r.id)) AS outcome
        FROM recheck r JOIN hazard hh ON hh.id = r.hazard_id
        WHERE hh.closed_on <= {t} AND r.date >= hh.closed_on AND r.date <= {t}
        GROUP BY r.hazard_id"""
