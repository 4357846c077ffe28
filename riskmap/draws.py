"""The 双随机 draw as an act on the record: inspectors from the roster table, the seeded draw
(``scoring.draw``), its line in the draw log and its entry in the audit log — one function for
the 检查目标 page and ``python -m riskmap draw`` alike."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from data import paths
from scoring.draw import Draw, append_log, draw_inspections
from scoring.model import Model


class DrawError(ValueError):
    """A draw that cannot be made (no roster, too few inspectors); the message says why."""


def roster(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The inspectors (``badge``, ``name``, ``department``, ``phone``) as the connection may see them."""
    return con.execute("SELECT badge, name, department, phone FROM inspector ORDER BY department, name, badge").df()


def draw_and_record(con: duckdb.DuckDBPyConnection, candidates: pd.DataFrame, model: Model, size: int, seed: int,
                    by: str | None, inspectors: pd.DataFrame | None = None, folder: Path | None = None) -> Draw:
    """Draw ``size`` of ``candidates`` (``uscc``, ``tier``, ``score``) with inspectors from the
    roster (or ``inspectors``), the model's ``[lift] control_share`` of them as the random
    control, then write the draw log line (``draw_log.jsonl``) and the audit
    entry naming ``by``, both in ``folder`` (default: the data directory, beside the database).

    Raises
    ------
    DrawError
        No inspector on the roster, or fewer than a target needs.
    """
    from riskmap.accounts import Accounts

    people = roster(con) if inspectors is None else inspectors
    if people.empty:
        raise DrawError("还没有检查人员名单：请在“数据管理”页导入检查人员（执法证号、姓名、部门），"
                        "或 python -m riskmap import 名单.xlsx --table inspector")
    try:
        d = draw_inspections(candidates, people[["name", "department"]], model, size, seed,
                             model.plan.inspectors_per_target, model.lift.control_share)
    except ValueError as exc:
        raise DrawError(str(exc)) from exc
    folder = folder or paths.data_dir()
    append_log(d, folder / "draw_log.jsonl")
    Accounts(folder / "security.sqlite").log(by, "draw", {"seed": d.seed, "size": d.size, "allocation": d.allocation,
                                                     "targets": d.targets["uscc"].tolist(), "control": d.control,
                                                     "control_share": model.lift.control_share})
    return d
