"""Closures that are checked, as acts on the record (issue 17, part 3): the re-inspection sample
drawn with its seed, written to a log line and the audit log; an escalation step confirmed by a
person allowed to decide, written to the escalation log and the audit log. One function each for
隐患闭环 and ``python -m riskmap recheck-sample`` / ``escalate`` alike, as
:func:`riskmap.draws.draw_and_record` is for the 双随机 draw.

Both logs are JSON lines beside the database (``recheck_sample_log.jsonl``,
``escalation_log.jsonl``), so they survive every rebuild and import.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from data import paths
from scoring.closures import closures_between, escalation, recheck_sample, strata_counts
from scoring.model import Closures, Model

SAMPLE_LOG = "recheck_sample_log.jsonl"
ESCALATION_LOG = "escalation_log.jsonl"


class ClosureError(ValueError):
    """A request about closures that cannot be done; the message (Chinese) says why."""


def closure_config(model: Model) -> Closures:
    if model.closures is None:
        raise ClosureError("模型未配置 [closures]（复查抽样、销号异常与升级督办），见 docs/MODEL.md")
    return model.closures


@dataclass
class Sample:
    """A re-inspection sample: its seed, the period of closures it drew from, and the rows."""

    seed: int
    as_of: dt.date
    window_days: int
    rows: pd.DataFrame  # the closures drawn, with their stratum
    strata: pd.DataFrame  # level, department, closures, drawn
    drawn_at: str = field(default_factory=lambda: dt.datetime.now().isoformat(timespec="seconds"))

    def record(self) -> dict:
        return {"seed": self.seed, "as_of": self.as_of.isoformat(), "window_days": self.window_days,
                "size": len(self.rows), "hazards": self.rows["id"].tolist(), "drawn_at": self.drawn_at,
                "strata": {f"{r.level}·{r.department}": [int(r.closures), int(r.drawn)]
                           for r in self.strata.itertuples()}}


def draw_sample(con: duckdb.DuckDBPyConnection, model: Model, as_of: dt.date, seed: int) -> Sample:
    """The stratified re-inspection sample of the closures of ``[closures] window_days`` ending
    on ``as_of`` (nothing written)."""
    cfg = closure_config(model)
    closures = closures_between(con, as_of, cfg.window_days)
    rows = recheck_sample(closures, cfg.per_stratum, seed)
    return Sample(seed, as_of, cfg.window_days, rows, strata_counts(closures, rows))


def sample_and_record(con: duckdb.DuckDBPyConnection, model: Model, as_of: dt.date, seed: int, by: str | None,
                      folder: Path | None = None) -> Sample:
    """:func:`draw_sample`, then its line in the sample log and its audit entry naming ``by``,
    both in ``folder`` (default: the data directory)."""
    from riskmap.accounts import Accounts

    s = draw_sample(con, model, as_of, seed)
    folder = folder or paths.data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    record = s.record()
    with open(folder / SAMPLE_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    keys = ("seed", "as_of", "window_days", "size", "hazards")
    Accounts(folder / "security.sqlite").log(by, "recheck_sample", {k: record[k] for k in keys})
    return s


def log_mtime(folder: Path | None = None) -> float:
    """When the escalation log last changed (0 before the first confirmation): a cache key."""
    path = (folder or paths.data_dir()) / ESCALATION_LOG
    return path.stat().st_mtime if path.exists() else 0.0


def confirmed_pairs(folder: Path | None = None) -> tuple[tuple[str, str], ...]:
    """:func:`confirmations` as sorted (hazard id, step id) pairs, as an export request carries them."""
    return tuple(sorted((h, s) for h, steps in confirmations(folder).items() for s in steps))


def confirmations(folder: Path | None = None) -> dict[str, set[str]]:
    """The escalation steps confirmed so far: hazard id -> step ids (from the escalation log)."""
    path = (folder or paths.data_dir()) / ESCALATION_LOG
    out: dict[str, set[str]] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(line)
            out.setdefault(str(r["hazard_id"]), set()).add(str(r["step"]))
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line (a crash mid-write) confirms nothing
    return out


def confirmation_log(folder: Path | None = None) -> pd.DataFrame:
    """Every confirmation, newest first: hazard id, step, its name, who, when."""
    path = (folder or paths.data_dir()) / ESCALATION_LOG
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    cols = ["hazard_id", "step", "step_name", "step_on", "by", "at"]
    return pd.DataFrame(rows, columns=cols).iloc[::-1].reset_index(drop=True)


def ladder(con: duckdb.DuckDBPyConnection, model: Model, as_of: dt.date, folder: Path | None = None) -> pd.DataFrame:
    """Every overdue open hazard on the ladder as of ``as_of`` (:func:`scoring.closures.escalation`),
    with the confirmations of the escalation log; longest overdue first."""
    from data.queries import overdue_hazards

    cfg = closure_config(model)
    od = overdue_hazards(con, as_of)
    od["deadline"] = pd.to_datetime(od["deadline"]).dt.date
    return escalation(od.drop(columns=["days_overdue"]), as_of, cfg.escalation, confirmations(folder))


def confirm_step(user: object, hazard_id: str, step: str, model: Model, ladder_rows: pd.DataFrame,
                 folder: Path | None = None, **detail: object) -> dict:
    """Confirm the proposed step ``step`` of ``hazard_id`` on behalf of ``user`` (a
    ``riskmap.accounts.User`` allowed to ``decide``): a line of the escalation log and an audit
    entry. ``ladder_rows`` is :func:`ladder`'s table, so only a step proposed now is confirmed;
    ``detail`` goes with the entry (the CLI's operating-system user: ``--by`` names an account
    without a login, so the audit says who typed it).

    Raises
    ------
    ClosureError
        No such user right, hazard or proposal.
    """
    from riskmap.accounts import Accounts

    if user is None or not getattr(user, "can", lambda _p: False)("decide"):
        raise ClosureError("只有安委办或管理员可以确认升级督办")
    row = ladder_rows[(ladder_rows["id"] == hazard_id) & (ladder_rows["step"] == step) & ladder_rows["proposed"]]
    if row.empty:
        raise ClosureError(f"隐患 {hazard_id} 当前没有待确认的“{step}”升级")
    names = {s.id: s.name for s in closure_config(model).escalation}
    r = row.iloc[0]
    by: str | None = getattr(user, "username", None)
    record = {"hazard_id": hazard_id, "step": step, "step_name": names[step], "step_on": str(r["step_on"]),
              "by": by, "at": dt.datetime.now().isoformat(timespec="seconds"), **detail}
    folder = folder or paths.data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ESCALATION_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    Accounts(folder / "security.sqlite").log(by, "escalation_confirm",
                                             {k: record[k] for k in ("hazard_id", "step", "step_name", "step_on",
                                                                     *detail)})
    return record


def record_recheck(user: object, hazard_id: str, date: dt.date, outcome: str, checker: str,
                   department: str | None = None, db: Path | None = None) -> str:
    """Enter one re-check on behalf of ``user`` (allowed to ``decide``): a one-row 复查记录 file
    imported like any ledger (checked, upserted, the database swapped atomically), then an audit
    entry. Returns the new re-check id.

    Raises
    ------
    ClosureError
        No right to enter it, or the row was rejected (the reason, e.g. an unknown hazard id).
    """
    import csv
    import secrets
    import tempfile

    from data.importer import ImportError_
    from data.tables import RECHECK
    from riskmap.accounts import Accounts
    from riskmap.pipeline import import_file

    if user is None or not getattr(user, "can", lambda _p: False)("decide"):
        raise ClosureError("只有安委办或管理员可以录入复查结果")
    db = db or paths.db_path()
    rid = f"FC{dt.datetime.now():%Y%m%d%H%M%S}{secrets.token_hex(2).upper()}"
    row = {"id": rid, "hazard_id": hazard_id.strip(), "date": date.isoformat(), "outcome": outcome,
           "checker": checker.strip(), "department": department or ""}
    with tempfile.TemporaryDirectory(prefix="recheck_") as tmp:
        path = Path(tmp) / "复查录入.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow([RECHECK.column(k).header for k in row])
            w.writerow(list(row.values()))
        try:
            result = import_file(db, path, "recheck", progress=None)
        except ImportError_ as exc:
            raise ClosureError(str(exc)) from None
    if result.rejected:
        why = "；".join(f"{r.column_name}：{r.reason}" for r in result.issues.itertuples() if r.severity == "error")
        raise ClosureError(f"复查结果未录入：{why}")
    Accounts(db.parent / "security.sqlite").log(getattr(user, "username", None), "recheck_record",
                                                {**row, "by_page": True})
    return rid
