"""Command line: ``python -m riskmap <command>`` from the repository root.

Commands
--------
init     start a city: a new database from its boundary files (区县 alone is enough) and an administrator
demo     generate the demo city's import files and build the database from them
build    (re)build the database from a folder of import files
manifest the documentation of manifest.json, generated from its declarations
report   print the import report (files, accepted/rejected rows, issues) of the database
score    score every enterprise as of a date: tiers and the top of the list, part by part
backtest score as of T and compare with the incidents of the following year
listing  townships and enterprises listed for rectification, with reasons; --compare a date
robustness  Monte Carlo over the weights: rank intervals and listing frequency per township
draw     a reproducible 双随机 draw stratified by tier, with inspectors; seed logged
lift     hazard-finding rate of risk-list against 双随机 inspections, by quarter and department, with intervals
due      enterprises due for inspection by their tier's interval
model    the methodology document, generated from the model config
info     print what the database holds
import   import one ledger (xlsx/csv) into the database: checked row by row, upsert by key
users    accounts and roles: list, add, disable, enable, password; the audit log
export   briefing files: map snapshot (PNG/HTML), weekly report, ledgers, Word/PDF briefing
closures closures that are checked: the re-check survival rate and the flagged closures, with reasons
recheck-sample  a reproducible re-inspection sample of closed hazards, by level and department; logged
escalation  the escalation ladder of overdue hazards; --confirm HAZARD --step STEP --by USER confirms a step
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from data import paths

if TYPE_CHECKING:
    from data.build import BuildReport
    from scoring.model import Model

_T0 = time.perf_counter()  # the progress lines count seconds from the start of the command


def _progress(stage: str, fraction: float) -> None:
    print(f"[{fraction * 100:5.1f}%] {time.perf_counter() - _T0:6.1f}s  {stage}", flush=True)


def _print_build(report: BuildReport) -> None:
    print()
    print(f"{'文件':<18}{'表':<12}{'坐标系':<11}{'读取':>9}{'接受':>9}{'拒绝':>7}{'提示':>7}")
    for f in report.files:
        print(f"{f.file:<18}{f.table:<12}{f.crs:<11}{f.rows_read:>9}{f.accepted:>9}"
              f"{f.rejected:>7}{f.warnings:>7}")
    if report.unplaced_enterprises:
        unit = "区县" if report.meta.get("unit_level") == "county" else "乡镇"
        print(f"\n{report.unplaced_enterprises} 家企业坐标不在任何{unit}边界内（已保留，见 report）")
    stages = "  ".join(f"{k} {v:.2f}s" for k, v in report.timings_s.items())
    print(f"\n用时 {report.total_s:.1f} 秒：{stages}")
    print(f"数据库：{report.db_path}")


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import DemoConfig, generate_city
    from riskmap.pipeline import rebuild

    out = Path(args.out) if args.out else paths.demo_source_dir()
    cfg = DemoConfig(seed=args.seed, enterprises=args.enterprises,
                     as_of=dt.date.fromisoformat(args.as_of))
    print(f"生成示意城市（种子 {cfg.seed}，{cfg.enterprises} 家企业）→ {out}")
    summary = generate_city(cfg, out, _progress)
    print("  " + "，".join(f"{k} {v}" for k, v in summary.items() if k != "injected_errors"))
    if args.no_build:
        return 0
    db = Path(args.db) if args.db else paths.db_path()
    print(f"\n建库 → {db}")
    _print_build(rebuild(out, db, _progress))
    from riskmap.accounts import DEMO_ACCOUNTS, ROLE_NAMES
    from riskmap.pipeline import create_demo_accounts

    grid = create_demo_accounts(db)
    print("\n示意账号（仅供示意城市使用）：" + "；".join(
        f"{ROLE_NAMES[r]} {u} / {p}" + (f"（网格 {grid}）" if r == "grid" else "") for u, _, r, p in DEMO_ACCOUNTS))
    return 0


def _json_arg(path: str | None, what: str) -> dict | None:
    """A JSON object from a file named on the command line, or None; bad files are a CliError."""
    import json

    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CliError(f"{what}文件不存在：{path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{what}文件 {path} 不是有效的 JSON：{exc}") from None
    if not isinstance(data, dict):
        raise CliError(f"{what}文件 {path} 应为一个对象 {{…}}")
    return data


def _iso_date(text: str) -> str:
    """An argparse type: a date written YYYY-MM-DD (returned as written), else a usage error."""
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”无法识别，应写作 YYYY-MM-DD，如 2026-11-30") from None
    return text


def _checked_crs(name: str | None) -> str | None:
    from geo.crs import CRSNameError, check_crs_name

    if name is None:
        return None
    try:
        return check_crs_name(name)
    except CRSNameError as exc:
        raise CliError(str(exc)) from None


def cmd_init(args: argparse.Namespace) -> int:
    from data.build import BuildError
    from riskmap.accounts import AccountError, Accounts
    from riskmap.pipeline import BOUNDARY_LAYERS, init_city

    db = Path(args.db) if args.db else paths.db_path()
    layers = {layer: getattr(args, layer) for layer in BOUNDARY_LAYERS if getattr(args, layer)}
    if not layers.get("county") and not layers.get("township"):
        raise CliError("至少需要一个行政区边界：--county 区县边界文件，或 --township 乡镇边界文件")
    checked = _checked_crs(args.crs) if args.crs else None
    crs = dict.fromkeys(layers, checked) if checked is not None else None
    headers = _json_arg(args.headers, "表头对应")
    accounts = Accounts(db.parent / "security.sqlite")
    password = None
    if args.admin and not any(u["username"] == args.admin for u in accounts.users()):
        import getpass

        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(f"{args.admin} 的密码：")
        try:
            accounts.check_password(password)
        except AccountError as exc:
            raise CliError(str(exc)) from None
    print(f"建立城市“{args.city}”→ {db}")
    try:
        # One map for every layer, or one per layer: {"county": {...}, "township": {...}}.
        per_layer = headers if headers and set(headers) <= set(BOUNDARY_LAYERS) else dict.fromkeys(layers, headers)
        report = init_city(db, args.city, layers, crs, _progress, replace=args.replace,
                           headers=per_layer if headers else None)
    except BuildError as exc:
        print(f"建立失败，未改动任何数据：{exc}", file=sys.stderr)
        return 2
    _print_build(report)
    level = "区县" if report.meta.get("unit_level") == "county" else "乡镇（街道）"
    print(f"\n各屏幕与报表按{level}汇总。")
    if password is not None:
        try:
            accounts.add(args.admin, args.admin, "admin", password, None, by="cli")
        except AccountError as exc:
            print(f"城市已建立，但管理员账号未创建：{exc}"
                  f"（用 python -m riskmap users add {args.admin} --role admin 重试）", file=sys.stderr)
            return 2
        print(f"管理员账号：{args.admin}")
    print("\n下一步：导入企业台账，例如\n  python -m riskmap import 企业台账.xlsx --table enterprise\n"
          "然后隐患、检查、执法、事故台账（--table hazard / inspection / enforcement / incident）。")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from data.manifest import manifest_markdown

    return _print_or_write(manifest_markdown(), args.write)


def _print_or_write(text: str, path: str | None) -> int:
    """A generated document to the file named, or to standard output."""
    if path:
        Path(path).write_text(text, encoding="utf-8")
        print(f"已写入 {path}")
    else:
        print(text, end="")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from data.build import BuildError
    from riskmap.pipeline import rebuild

    db = Path(args.db) if args.db else paths.db_path()
    try:
        report = rebuild(Path(args.source), db, _progress)
    except BuildError as exc:
        print(f"导入失败，数据库未改动：{exc}", file=sys.stderr)
        return 2
    _print_build(report)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    con = _open_db(args)
    print(con.sql("SELECT file AS 文件, table_name AS 表, crs AS 坐标系, rows_read AS 读取, "
                  "accepted AS 接受, rejected AS 拒绝, warnings AS 提示 FROM import_file"))
    issues = con.execute(
        "SELECT file, row, column_name, value, severity, reason FROM import_issue "
        "ORDER BY file, row LIMIT ?", [args.limit]).fetchall()
    for file, row, col, value, sev, reason in issues:
        tag = {"error": "错误", "warning": "提示", "info": "跳过"}.get(sev, "提示")
        print(f"[{tag}] {file} 第 {row} 行 “{col}” = {value!r}：{reason}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from scoring.measures import measures_as_of
    from scoring.model import load_model, score
    from scoring.run import default_as_of
    from scoring.targets import score_parts

    con = _open_db(args)
    model = load_model(args.model) if args.model else load_model()
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else default_as_of(con)
    scored = score(measures_as_of(con, as_of, model), model)  # the model's own windows too
    print(f"模型 {model.version}，评估日 {as_of}，企业 {len(scored)} 家")
    counts = scored["tier"].value_counts()
    for t in model.tiers:
        print(f"  {t.name}（{t.color}）：{int(counts.get(t.name, 0))} 家，每 {t.inspect_every_days} 天检查一次")
    top = scored.sort_values(["score", "uscc"], ascending=[False, True]).head(args.top)
    for _, r in top.iterrows():
        parts = sorted(score_parts(r, model), key=lambda p: -p.points)  # largest first; ties keep the model's order
        detail = "，".join(f"{p.name} {p.points:.1f}" for p in parts)
        print(f"  {r['uscc']} {r['tier']} {r['score']:.1f} 分 = {detail}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from scoring.backtest import backtest
    from scoring.model import load_model
    from scoring.run import default_as_of

    con = _open_db(args)
    as_of = (dt.date.fromisoformat(args.as_of) if args.as_of
             else default_as_of(con) - dt.timedelta(days=args.horizon))
    r = backtest(con, load_model(), as_of, args.horizon)
    print(f"回测：{r.as_of} 评分，看其后 {r.horizon_days} 天的事故（模型 {r.model_version}）")
    print(f"  企业 {r.enterprises} 家，其后发生事故 {r.enterprises_with_incident} 家（基准率 {r.base_rate:.2%}）")
    print(f"  AUC {r.auc:.3f}（0.5 为随机）")
    for k, p in r.precision_at_k.items():
        print(f"  前 {k} 家命中率 {p:.1%}（随机约 {r.base_rate:.1%}）")
    for share, s in r.share_of_incidents_in_top.items():
        print(f"  排名前 {share:.0%} 的企业占其后事故的 {s:.1%}")
    return 0


def _scoring_inputs(args: argparse.Namespace) -> tuple[duckdb.DuckDBPyConnection, Model, dt.date]:
    from data.build import unit_level
    from riskmap.i18n import set_unit_level
    from scoring.model import load_model
    from scoring.run import default_as_of

    con = _open_db(args)
    set_unit_level(unit_level(con))  # 乡镇, or 区县 where counties stand in
    as_of = dt.date.fromisoformat(args.as_of) if getattr(args, "as_of", None) else default_as_of(con)
    return con, load_model(), as_of


def cmd_listing(args: argparse.Namespace) -> int:
    from scoring.listing import compare_listings
    from scoring.run import model_outputs

    con, model, as_of = _scoring_inputs(args)
    now = model_outputs(con, as_of, model)
    tw = now["listing_township"]
    names = dict(con.execute("SELECT code, name FROM township").fetchall())
    from riskmap.i18n import unit_text

    print(unit_text(f"乡镇挂牌督办（评估日 {as_of}，模型 {model.version}）：{len(tw)} 个"))
    from scoring.model import LEVEL_ORDER

    tw = tw.assign(_lv=tw["level"].map(LEVEL_ORDER.index)).sort_values(["_lv", "index_rank"])
    for _, r in tw.iterrows():
        print(f"  [{r['level']}] {names.get(r['key'], r['key'])}（{r['key']}），期限 {r['deadline']}")
        for sentence in r["reasons"].split("；"):
            print(f"      · {sentence}")
    ent = now["listing_enterprise"]
    print(f"企业重大隐患挂牌督办：{len(ent)} 家（" + "，".join(
        f"{lv} {n}" for lv, n in ent["level"].value_counts().items()) + "）")
    if args.compare:
        before_date = dt.date.fromisoformat(args.compare)
        before = model_outputs(con, before_date, model)["area_township"]
        from scoring.listing import apply_listing

        assert model.township_listing is not None  # now["listing_township"] above exists
        b = apply_listing(before, model.township_listing, before_date, model)
        a = apply_listing(now["area_township"], model.township_listing, as_of, model)
        diff = compare_listings(b, a, "key")
        print(f"与 {before_date} 相比：")
        for status in ("新挂牌", "继续挂牌", "摘牌"):
            keys = diff.loc[diff["status"] == status, "key"]
            print(f"  {status} {len(keys)} 个：" + "、".join(names.get(k, k) for k in keys))
    return 0


def cmd_robustness(args: argparse.Namespace) -> int:
    from scoring.measures import measures_as_of
    from scoring.run import model_outputs
    from scoring.uncertainty import township_robustness

    con, model, as_of = _scoring_inputs(args)
    areas = model_outputs(con, as_of, model)["area_township"].rename(columns={"key": "township_code"})
    t0 = time.perf_counter()
    r = township_robustness(measures_as_of(con, as_of, model), areas, model, args.draws, args.spread, args.seed)
    names = dict(con.execute("SELECT code, name FROM township").fetchall())
    print(f"权重扰动 ±{r.spread:.0%}，{r.draws} 次（种子 {r.seed}，用时 {time.perf_counter() - t0:.1f} 秒）")
    shown = r.table[r.table["p_listed"] > 0].sort_values("p_listed", ascending=False)
    for _, row in shown.iterrows():
        print(f"  {names.get(row['township_code'], row['township_code'])}：挂牌概率 {row['p_listed']:.0%}，"
              f"排名 {row['rank_p05']}–{row['rank_p95']}（中位 {row['rank_median']:g}），{row['robustness']}")
    return 0


def cmd_draw(args: argparse.Namespace) -> int:
    from riskmap.draws import DrawError, draw_and_record
    from scoring.measures import measures_as_of
    from scoring.model import score

    con, model, as_of = _scoring_inputs(args)
    inspectors = None
    if args.roster:  # a file for this draw only, instead of the roster table
        from data.readers import ImportFileError, read_table_file

        try:  # UTF-8 or GBK, a title row above the header: read as any ledger is
            inspectors = (read_table_file(Path(args.roster)).to_pandas()
                          .rename(columns={"姓名": "name", "部门": "department"}))
        except ImportFileError as exc:
            raise CliError(str(exc)) from None
        if not {"name", "department"} <= set(inspectors.columns):
            raise CliError(f"{Path(args.roster).name}：检查人员名单应有“姓名”和“部门”两列")
    seed = args.seed if args.seed is not None else int(time.time())
    db = Path(args.db) if args.db else paths.db_path()
    try:
        d = draw_and_record(con, score(measures_as_of(con, as_of), model), model, args.size, seed, "cli",
                            inspectors, folder=db.parent)
    except DrawError as exc:
        raise CliError(f"无法抽查：{exc}") from None
    print(f"双随机抽查：随机种子 {d.seed}（已记录于 {db.parent / 'draw_log.jsonl'}），抽取 {d.size} 家，分层：" +
          "，".join(f"{k} {v}" for k, v in d.allocation.items()))
    from riskmap.i18n import t

    if d.control:
        print(t("draw_control", n=d.control, share=f"{model.lift.control_share:.0%}", rest=d.size - d.control))
    for _, r in d.targets.iterrows():
        print(f"  {r['uscc']} {r['tier']} {r['score']:.1f} 分  {r['method']}  检查人员：{r['inspectors']}")
    return 0


def cmd_lift(args: argparse.Namespace) -> int:
    from reports.lift import lift_lines, lift_rows, lift_summary, lift_view, pct, unknown_note
    from riskmap.i18n import t
    from scoring.lift import ALL

    con, model, end = _scoring_inputs(args)
    start = dt.date.fromisoformat(args.start) if args.start else None
    rows = lift_rows(con, end, model.lift, start)
    settings = model.lift
    print(t("lift_cli_title", end=end, pct=pct(settings), min=settings.min_inspections))
    print(lift_summary(rows, settings, period=t("lift_range", lo=start, hi=end) if start else None))
    if unknown_note(rows):
        print(unknown_note(rows))
    shown = rows[rows["department"].isin(args.department)] if args.department else rows
    if args.totals:
        shown = shown[(shown["quarter"] == ALL) | (shown["department"] == ALL)]
    for line in lift_lines(shown, settings):
        print(line)
    if args.out:
        from data import paths
        from reports.spreadsheets import to_xlsx
        from riskmap.accounts import Accounts
        from riskmap.marked import cli_mark, os_user, record_export

        # Marked and audited like every export: the account --user names, else --user or the OS user.
        db = Path(args.db) if args.db else paths.db_path()
        accounts = Accounts(db.parent / "security.sqlite")
        mark = cli_mark(accounts, args.user)
        data = to_xlsx(lift_view(shown, settings), t("lift_title").split("：")[0], mark)
        out = Path(args.out)
        out.write_bytes(data)
        record_export(accounts, mark, out.name, data, export="lift", page="cli", path=str(out.resolve()),
                      os_user=os_user())
        print(f"已写入 {args.out}")
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    from scoring.backtest import due_for_inspection
    from scoring.measures import measures_as_of
    from scoring.model import score

    con, model, as_of = _scoring_inputs(args)
    measures = measures_as_of(con, as_of)
    due = due_for_inspection(score(measures, model), measures, as_of)
    print(f"到期应检（评估日 {as_of}，按等级检查间隔）：{len(due)} 家，"
          f"其中从未检查 {int(due['never_inspected'].sum())} 家")
    for tier, n in due["tier"].value_counts().reindex([t.name for t in model.tiers]).fillna(0).items():
        print(f"  {tier}：{int(n)} 家")
    for _, r in due.head(args.top).iterrows():
        late = "从未检查" if r["never_inspected"] else f"逾期 {int(r['days_overdue'])} 天（应于 {r['next_due']} 检查）"
        print(f"  {r['uscc']} {r['tier']} {r['score']:.1f} 分，{late}")
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from scoring.docs import model_markdown
    from scoring.model import load_model

    return _print_or_write(model_markdown(load_model()), args.write)


def _open_db(args: argparse.Namespace) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the database; a CliError saying how to make one if there is none."""
    from data.build import connect
    from data.importer import NO_DATABASE

    db = Path(args.db) if args.db else paths.db_path()
    if not db.exists():
        raise CliError(NO_DATABASE.format(db=db))
    return connect(db, read_only=True)


def cmd_info(args: argparse.Namespace) -> int:
    from data.tables import TABLES

    con = _open_db(args)
    for k, v in con.execute("SELECT key, value FROM meta ORDER BY key").fetchall():
        print(f"{k}: {v}")
    from data.build import unit_level
    from data.queries import scalar

    stand_in = unit_level(con) == "county"
    for t in TABLES:
        note = "，由区县代替：本市没有乡镇边界" if stand_in and t.name == "township" else ""
        print(f"{t.title}（{t.name}{note}）：{scalar(con, f'SELECT count(*) FROM {t.name}')}")
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    """Every figure of ``scoring.metrics`` for a period and area, with what it counts: the same
    numbers, by the same SQL, as the pages and the exports."""
    from reports.figures import figure_text
    from reports.views import ViewError
    from reports.weekly import area_of
    from scoring.metrics import METRICS, figures
    from scoring.report import period_bounds
    from scoring.run import default_as_of

    con = _open_db(args)
    start, end = period_bounds(dt.date.fromisoformat(args.end) if args.end else default_as_of(con), args.days)
    try:
        where = area_of(con, args.area)
    except ViewError:
        print(f"没有代码为 {args.area} 的区县或乡镇", file=sys.stderr)
        return 2
    got = figures(con, start, end, [m.key for m in METRICS], where.townships, args.department, args.level)
    print(f"{where.name}　{start} 至 {end}")
    for m in METRICS:
        print(f"{m.label[0]}\t{figure_text(m.key, got[m.key])}\t{m.definition[0]}")
    return 0


def cmd_closures(args: argparse.Namespace) -> int:
    """The re-check survival rate beside 整改率 (scoring.report.hazard_figures, summed over the
    city) and every flagged closure of the window with its reasons."""
    from reports.closures import flag_table, flagged_closures, rule_counts
    from riskmap.i18n import t
    from scoring.closures import closures_count
    from scoring.report import hazard_figures

    con, model, as_of = _scoring_inputs(args)
    f = hazard_figures(con, as_of)
    total, rect, n, k = (int(f[c].sum()) for c in ("total", "rectified", "rechecked", "recheck_survived"))
    if n:
        rate = f"{rect / total:.1%}" if total else "—"
        print(t("cl_survival", as_of=as_of, n=n, k=k, rate=f"{k / n:.1%}", rect=rate))
    else:
        print(t("cl_survival_none", as_of=as_of))
    if model.closures is None:
        return 0
    flagged = flagged_closures(con, model, as_of)
    days = model.closures.window_days
    n_closed = closures_count(con, as_of, days)
    rules = "，".join(f"{t('cl_rule_' + r)} {c}" for r, c in rule_counts(flagged).items())
    print(t("cl_flags_count", days=days, n=n_closed, k=len(flagged), rules=rules))
    for row in flag_table(flagged).itertuples(index=False):
        print("  " + "\t".join("" if v is None else str(v) for v in row))
    return 0


def cmd_recheck_sample(args: argparse.Namespace) -> int:
    from riskmap.closures import ClosureError, sample_and_record

    con, model, as_of = _scoring_inputs(args)
    seed = args.seed if args.seed is not None else int(time.time())
    db = Path(args.db) if args.db else paths.db_path()
    try:
        s = sample_and_record(con, model, as_of, seed, "cli", folder=db.parent)
    except ClosureError as exc:
        raise CliError(str(exc)) from None
    print(f"复查抽样：随机种子 {s.seed}（已记录于 {db.parent / 'recheck_sample_log.jsonl'}），"
          f"{s.as_of} 前 {s.window_days} 天的销号中抽取 {len(s.rows)} 项")
    for r in s.strata.itertuples():
        print(f"  {r.level}·{r.department}：销号 {r.closures} 项，抽取 {r.drawn} 项")
    for r in s.rows.itertuples():
        print(f"  {r.id}\t{r.stratum}\t{r.name}\t发现 {r.found_on}\t销号 {r.closed_on}")
    return 0


def cmd_escalation(args: argparse.Namespace) -> int:
    from reports.closures import ladder_table
    from riskmap.accounts import Accounts, User
    from riskmap.closures import ClosureError, confirm_step, ladder

    con, model, as_of = _scoring_inputs(args)
    db = Path(args.db) if args.db else paths.db_path()
    try:
        rows = ladder(con, model, as_of, folder=db.parent)
        if args.confirm:
            if not (args.step and args.by):
                raise CliError("确认升级需要 --step（升级级别的 id）和 --by（确认人的用户名）")
            account = next((u for u in Accounts(db.parent / "security.sqlite").users()
                            if u["username"] == args.by and not u["disabled"]), None)
            if account is None:
                raise CliError(f"没有启用的账号 {args.by}")
            user = User(account["username"], account["name"], account["role"], account["grid_id"])
            from riskmap.marked import os_user

            r = confirm_step(user, args.confirm, args.step, model, rows, folder=db.parent, page="cli",
                             os_user=os_user())
            print(f"已确认隐患 {r['hazard_id']} 升级为{r['step_name']}（{r['step_on']}），记入审计日志")
            return 0
    except ClosureError as exc:
        raise CliError(str(exc)) from None
    table = ladder_table(rows[rows["step"].notna()] if not args.all else rows)
    print("\t".join(table.columns))
    for row in table.itertuples(index=False):
        print("\t".join("" if v is None or v != v else str(v) for v in row))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import os

    from reports.exports import EXPORTS, ExportRequest, export
    from reports.views import ViewError, ViewRequest
    from riskmap.accounts import Accounts
    from riskmap.marked import cli_mark, os_user, record_export

    con = _open_db(args)
    db = Path(args.db) if args.db else paths.db_path()
    accounts = Accounts(db.parent / "security.sqlite")
    end = dt.date.fromisoformat(args.end) if args.end else None
    t0 = time.perf_counter()
    print(f"正在生成{EXPORTS[args.kind][0]}……", flush=True)
    try:
        view = (ViewRequest.from_json(args.view) if args.view
                else ViewRequest(args.scope, args.key, lang=args.lang))
        from riskmap.closures import confirmed_pairs

        request = ExportRequest(end, args.days, args.area, view, args.size, confirmed_pairs(db.parent))
        # Who exports (on the file, in the audit log): the account --user names, else --user or the OS user.
        mark = cli_mark(accounts, args.user, request.lang)
        data, name = export(con, args.kind, request, mark)
    except ViewError as exc:
        print(f"无法导出：{exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(name)
    if out.is_dir():
        out = out / name
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, out)  # a reader never sees half a file
    record_export(accounts, mark, out.name, data, export=args.kind, page="cli", path=str(out.resolve()),
                  os_user=os_user())
    print(f"已写入 {out}（{len(data) / 1024:,.0f} KB，用时 {time.perf_counter() - t0:.1f} 秒）")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import pandas as pd

    from data.importer import BOUNDARIES, ImportError_
    from riskmap.pipeline import import_boundary_file, import_file

    db = Path(args.db) if args.db else paths.db_path()
    headers = _json_arg(args.headers, "表头对应")
    values = _json_arg(args.values, "取值对应")
    for column, answers in (values or {}).items():
        if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
            raise CliError(f"取值对应文件中“{column}”应为 {{文件中的取值: 标准取值}}，如 "
                           '{"department": {"安监站": "应急管理局"}}')
    crs = _checked_crs(args.crs)
    if args.header_row is not None and args.header_row < 1:
        raise CliError("--header-row 应为表头所在的行号（从 1 开始）")
    try:
        if args.table in BOUNDARIES:  # a whole layer, replaced; every point placed again
            if args.header_row:
                raise CliError("--header-row 只用于台账（xlsx、csv），边界文件没有表头行")
            r = import_boundary_file(db, Path(args.file), args.table, crs, _progress, headers, values)
        else:
            r = import_file(db, Path(args.file), args.table, crs or "auto", headers, _progress, values, args.header_row)
    except ImportError_ as exc:
        print(f"导入失败，数据库未改动：{exc}", file=sys.stderr)
        return 2
    print(f"\n{r.file} → {r.table}：读取 {r.rows_read} 行 = 接受 {r.accepted} + 拒绝 {r.rejected}；"
          f"新增 {r.inserted}，更新 {r.updated}，未变 {r.unchanged}；提示 {r.warnings} 条；用时 {r.seconds:.1f} 秒")
    for row in r.issues.head(args.show).itertuples():
        kind = {"error": "拒绝", "warning": "提示", "info": "跳过"}.get(row.severity, "提示")
        where = "文件" if pd.isna(row.row) else f"第 {int(row.row)} 行"  # no row: about the whole file
        value = row.value if isinstance(row.value, str) else ""
        print(f"  [{kind}] {where} {row.column_name}“{value}”：{row.reason}")
    if len(r.issues) > args.show:
        print(f"  ……共 {len(r.issues)} 条，完整清单：python -m riskmap report")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from riskmap.accounts import ROLE_NAMES, AccountError, Accounts

    db = Path(args.db) if args.db else paths.db_path()
    accounts = Accounts(db.parent / "security.sqlite")
    try:
        if args.action == "list":
            for u in accounts.users():
                state = "（已停用）" if u["disabled"] else ""
                print(f"{u['username']:<16}{u['name']:<12}{ROLE_NAMES[u['role']]:<6}{u['grid_id'] or '':<16}{state}")
        elif args.action == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("密码：")
            accounts.add(args.username, args.name or args.username, args.role, password, args.grid, by="cli")
            print(f"已添加 {args.username}（{ROLE_NAMES[args.role]}）")
        elif args.action in ("disable", "enable"):
            accounts.set_disabled(args.username, args.action == "disable", by="cli")
            print(f"已{'停用' if args.action == 'disable' else '启用'} {args.username}")
        elif args.action == "logout":  # every open login of the account ends (its password stays)
            print(f"已结束 {args.username} 的 {accounts.end_sessions(args.username, by='cli')} 个登录")
        elif args.action == "password":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("新密码：")
            accounts.set_password(args.username, password, by="cli")
            print(f"已修改 {args.username} 的密码")
        elif args.action == "demo":  # the documented demo accounts, for an illustrative database only
            from riskmap.pipeline import create_demo_accounts

            con = _open_db(args)
            demo = con.execute("SELECT value FROM meta WHERE key = 'illustrative'").fetchone()
            con.close()
            if not (demo and demo[0] == "1"):
                print("不是示意城市的数据库：不创建示意账号", file=sys.stderr)
                return 2
            create_demo_accounts(db)
        elif args.action == "screen-link":  # shown once; whoever has it sees the big screen
            key = accounts.add_screen_link(args.username, args.days, by="cli")
            print(f"{args.base_url.rstrip('/')}/auth/screen/{key}")
            print("此链接免密打开大屏，请只设在会议室屏幕的浏览器上；停用：users revoke-links " + args.username,
                  file=sys.stderr)
        elif args.action == "revoke-links":
            print(f"已停用 {args.username} 的 {accounts.revoke_screen_links(args.username, by='cli')} 个大屏链接")
        elif args.action == "audit":
            for e in accounts.audit_log(args.limit):
                print(f"{e['at']}  {e['username'] or '—':<14}{e['action']:<16}{e['detail']}")
    except AccountError as exc:
        print(f"失败：{exc}", file=sys.stderr)
        return 2
    return 0


def schema_of(db: Path) -> str | None:
    """The schema version a database file was built with (None: no file, or not readable)."""
    from data.build import connect, schema_version

    if not db.exists():
        return None
    try:
        return schema_version(connect(db, read_only=True))
    except duckdb.Error:  # any unreadable file counts as "needs a rebuild"
        return None


def cmd_check_schema(args: argparse.Namespace) -> int:
    from data.tables import SCHEMA_VERSION

    db = Path(args.db) if args.db else paths.db_path()
    found = schema_of(db)
    if found == str(SCHEMA_VERSION):
        return 0
    print(f"数据库 {db} 需要重建：结构版本 {found or '无'}，当前 {SCHEMA_VERSION}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riskmap", description="风险一张图 命令行")
    parser.add_argument("--db", help=f"数据库文件（默认 {paths.db_path()}，可用 RISKMAP_DATA_DIR 改）")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="建立城市：由边界文件新建数据库（只有区县边界也可以），并创建管理员账号")
    p.add_argument("--city", required=True, help="城市名称，如“某某市”")
    p.add_argument("--county", help="区县边界（GeoJSON、zip 打包的 Shapefile 或 GeoPackage）")
    p.add_argument("--township", help="乡镇（街道）边界")
    p.add_argument("--grid", help="网格边界")
    p.add_argument("--park", help="园区边界")
    p.add_argument("--crs", help="边界的坐标系（默认用文件自带的 .prj；没有时按数值判断）")
    p.add_argument("--headers", help="边界属性名对应关系 JSON 文件：{属性名: 列名或标准表头}，"
                                     "如 {\"QHDM_1\": \"code\"}；各图层不同时写成 {\"county\": {…}, \"township\": {…}}")
    p.add_argument("--admin", help="管理员用户名（密码随后输入）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读管理员密码（脚本用）")
    p.add_argument("--replace", action="store_true", help="已有数据库时重新开始（原库另存一份）")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("manifest", help="manifest.json 的说明（由声明生成）")
    p.add_argument("--write", help="写入文件，如 docs/MANIFEST.md")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("demo", help="生成示意城市并建库")
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument("--enterprises", type=int, default=20_000)
    p.add_argument("--as-of", type=_iso_date, default="2026-11-20", help="数据截止日期")
    p.add_argument("--out", help="导入文件输出目录")
    p.add_argument("--no-build", action="store_true", help="只生成文件，不建库")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("build", help="从导入文件目录重建数据库")
    p.add_argument("source", help="含 manifest.json 或标准文件名的目录")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("report", help="查看导入报告")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("score", help="按评估日计算企业风险评分与分级")
    p.add_argument("--as-of", type=_iso_date, help="评估日（默认为数据截止日）")
    p.add_argument("--model", help="模型文件（默认 scoring/model.toml）")
    p.add_argument("--top", type=int, default=10, help="列出得分最高的企业数")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("backtest", help="回测：按某日评分，看其后的事故")
    p.add_argument("--as-of", type=_iso_date, help="评分日（默认为数据截止日前 horizon 天）")
    p.add_argument("--horizon", type=int, default=365, help="向后看的天数")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("listing", help="乡镇与企业挂牌督办名单及理由")
    p.add_argument("--as-of", type=_iso_date, help="评估日（默认为数据截止日）")
    p.add_argument("--compare", type=_iso_date, help="与另一评估日比较：新挂牌、继续挂牌、摘牌")
    p.set_defaults(func=cmd_listing)

    p = sub.add_parser("robustness", help="权重扰动下乡镇排名区间与挂牌概率")
    p.add_argument("--as-of", type=_iso_date)
    p.add_argument("--draws", type=int, help="模拟次数（默认取模型 [robustness] 的 draws）")
    p.add_argument("--spread", type=float, help="权重扰动幅度，0.25 即 ±25%%（默认取模型的 spread）")
    p.add_argument("--seed", type=int, help="随机种子（默认取模型的 seed）")
    p.set_defaults(func=cmd_robustness)

    p = sub.add_parser("draw", help="双随机抽查（按风险等级分层）")
    p.add_argument("--size", type=int, default=50)
    p.add_argument("--seed", type=int, help="随机种子（默认取当前时间，并记录）")
    p.add_argument("--roster", help="只用于本次抽查的检查人员名单文件（姓名,部门）；默认用已导入的检查人员表")
    p.add_argument("--as-of", type=_iso_date)
    p.set_defaults(func=cmd_draw)

    p = sub.add_parser("lift", help="检查选取成效：风险清单与双随机抽查的隐患发现率，按季度和部门，含置信区间")
    p.add_argument("--as-of", type=_iso_date, help="统计截止日期（默认数据截至日期）")
    p.add_argument("--start", type=_iso_date, help="统计起始日期（默认全部检查记录）")
    p.add_argument("--department", action="append", help="只列该部门（可多次给出；“合计”为各部门合计）")
    p.add_argument("--totals", action="store_true", help="只列各季度合计、各部门合计和总计")
    p.add_argument("--out", help="另存为 Excel 文件")
    p.add_argument("--user", help="导出人：文件上标注并记入审计日志（账号名，或任意姓名；默认操作系统用户）")
    p.set_defaults(func=cmd_lift)
    p = sub.add_parser("closures", help="销号复查：复查属实率与疑似异常销号（附原因）")
    p.add_argument("--as-of", type=_iso_date)
    p.set_defaults(func=cmd_closures)

    p = sub.add_parser("recheck-sample", help="复查抽样：按隐患等级与责任部门分层抽取已销号隐患（随机种子记录在案）")
    p.add_argument("--seed", type=int, help="随机种子（默认取当前时间，并记录）")
    p.add_argument("--as-of", type=_iso_date)
    p.set_defaults(func=cmd_recheck_sample)

    p = sub.add_parser("escalation", help="逾期隐患升级督办：建议级别与日期；--confirm 隐患编号 "
                       "--step 级别 --by 用户名 确认")
    p.add_argument("--as-of", type=_iso_date)
    p.add_argument("--all", action="store_true", help="也列出尚未到第一级的逾期隐患")
    p.add_argument("--confirm", metavar="隐患编号")
    p.add_argument("--step", help="升级级别的 id（见 model.toml 的 [[closures.escalation]]）")
    p.add_argument("--by", help="确认人的用户名（须有确认权限：安委办或管理员）")
    p.set_defaults(func=cmd_escalation)

    p = sub.add_parser("due", help="按等级检查间隔到期应检的企业")
    p.add_argument("--as-of", type=_iso_date)
    p.add_argument("--top", type=int, default=20)
    p.set_defaults(func=cmd_due)

    p = sub.add_parser("model", help="输出模型说明（由配置生成）")
    p.add_argument("--write", help="写入文件，如 docs/MODEL.md")
    p.set_defaults(func=cmd_model)

    p = sub.add_parser("info", help="查看数据库概况")
    p.set_defaults(func=cmd_info)

    from reports.exports import EXPORTS
    from reports.views import SCOPES

    p = sub.add_parser("figures", help="统计期内的各项数字及其口径（与页面、导出同一定义）")
    p.add_argument("--end", type=_iso_date, help="统计截止日期（默认数据截至日期）")
    p.add_argument("--days", type=int, default=30, help="统计天数（默认 30）")
    p.add_argument("--area", help="区县或乡镇代码（默认全市）")
    p.add_argument("--department", action="append", help="只统计该部门的记录（可多次给出）")
    p.add_argument("--level", action="append", help="只统计该等级的隐患（可多次给出）")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("export", help="导出通报材料：地图快照、周报表、清单、Word/PDF 通报")
    p.add_argument("kind", choices=list(EXPORTS), help="；".join(f"{k} {v[0]}" for k, v in EXPORTS.items()))
    p.add_argument("--out", help="输出文件或文件夹（默认当前文件夹，按内容命名）")
    p.add_argument("--end", type=_iso_date, help="统计截止日期（默认数据截至日期）")
    p.add_argument("--days", type=int, default=7, help="统计天数（默认 7，即一周）")
    p.add_argument("--area", help="周报表的区县或乡镇代码（默认全市）")
    p.add_argument("--scope", choices=list(SCOPES), default="city", help="地图范围")
    p.add_argument("--view", help='地图请求 JSON（与页面相同），如 {"colour": "count", '
                                  '"overlays": ["parks", "incidents"]}；给出时 --scope、--key、--lang 不再使用')
    p.add_argument("--key", help="地图范围的代码：区县/乡镇代码、网格编号或园区编号")
    p.add_argument("--size", choices=["slide", "a4"], default="slide", help="PNG 尺寸：slide 1920×1080，a4 300 dpi")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--user", help="导出人：文件上标注并记入审计日志（账号名，或任意姓名；默认操作系统用户）")
    p.set_defaults(func=cmd_export)

    from data.importer import BOUNDARIES, IMPORTABLE

    p = sub.add_parser("import", help="导入一个台账文件（xlsx/csv，按主键新增或更新）或边界图层（替换整层）")
    p.add_argument("file", help="台账文件，或边界文件（GeoJSON、zip 打包的 Shapefile、GeoPackage）")
    p.add_argument("--table", required=True, choices=[*IMPORTABLE, *BOUNDARIES], help="导入到哪张表")
    p.add_argument("--crs", default=None,
                   help="坐标系：EPSG:4326、cgcs2000、EPSG:4549 等高斯-克吕格、gcj02、bd09，或 auto 按数值判断；"
                        "台账默认 auto（按数值和表头中写明的坐标系判断），边界默认用文件自带的（.prj）")
    p.add_argument("--headers", help="表头对应关系 JSON 文件：{文件中的表头: 列名或标准表头}（台账与边界均可）")
    p.add_argument("--values", help="取值对应关系 JSON 文件：{列名: {文件中的取值: 标准取值}}")
    p.add_argument("--header-row", type=int, help="表头所在的行号（从 1 开始；默认自动识别）")
    p.add_argument("--show", type=int, default=20, help="显示多少条问题（默认 20）")
    p.set_defaults(func=cmd_import)

    from riskmap.accounts import ROLES

    p = sub.add_parser("users", help="账号：list 列出 | add 添加 | disable 停用 | enable 启用 | password 改密码 | "
                                     "logout 结束其全部登录 | audit 审计日志 | demo 示意账号 | "
                                     "screen-link 大屏免密链接 | revoke-links 停用其大屏链接")
    p.add_argument("action", choices=["list", "add", "disable", "enable", "password", "logout", "audit", "demo",
                                      "screen-link", "revoke-links"])
    p.add_argument("username", nargs="?", default="")
    p.add_argument("--name", help="姓名")
    p.add_argument("--role", choices=list(ROLES), default="leader",
                   help="leader 领导、office 安委办、grid 网格员、admin 管理员、display 大屏（会议室屏幕，只显示大屏）")
    p.add_argument("--grid", help="网格员的网格编号")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读密码（脚本用）")
    p.add_argument("--limit", type=int, default=100, help="audit：显示多少条")
    p.add_argument("--days", type=int, choices=[7, 30, 90], default=30, help="screen-link：大屏的统计期（天）")
    p.add_argument("--base-url", default="http://localhost:8501", help="screen-link：本系统的网址")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("check-schema", help="数据库是否为当前结构版本（否则退出码 1）")
    p.set_defaults(func=cmd_check_schema)

    args = parser.parse_args(argv)
    from scoring.model import ModelConfigError

    try:
        return int(args.func(args))
    except (CliError, ModelConfigError) as exc:
        print(f"无法执行：{exc}", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as exc:  # an unreadable or locked file, a full disk…
        if os.environ.get("RISKMAP_TRACEBACK"):
            raise
        print(f"无法执行：{type(exc).__name__}: {exc}（设 RISKMAP_TRACEBACK=1 可看详细信息）", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and closed: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130


class CliError(Exception):
    """Bad input on the command line: printed as one Chinese sentence, never a traceback."""
