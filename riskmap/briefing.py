"""Briefing exports shared by the app's buttons and the CLI: map snapshots of a view.

A *view* is a scope — the city, a county, a township, a grid, a park, or a list of
enterprises (the current filters) — turned into map layers (``layers.maps``) and drawn
server-side (``layers.png``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from data import queries
from layers.colors import TIER_COLORS
from layers.maps import (INDEX_BINS, MapBundle, boundaries_overlay, enterprises_overlay, overview_map,
                         polygon_records)
from layers.png import Frame, render_png
from layers.spec import LayerSpec
from riskmap.i18n import set_unit_level, t, value
from scoring.model import load_model
from scoring.run import default_as_of

SCOPES = ("city", "county", "township", "grid", "park", "enterprises")


class ViewError(ValueError):
    """A view that names something the database does not have."""


@dataclass
class View:
    bundle: MapBundle
    frame: Frame


def _outline(layer_id: str, frame: pd.DataFrame, color: tuple[int, int, int], width: float) -> tuple[LayerSpec, list]:
    rows = polygon_records(frame["geom"], pd.DataFrame({"name": frame["name"].astype(str)}))
    return LayerSpec(layer_id, "polygon", layer_id, vis={"get_line_color": list(color),
                                                         "line_width_min_pixels": width}), rows


def _points_bundle(points: pd.DataFrame, outlines: list[tuple[LayerSpec, list]], lang: str) -> MapBundle:
    ent = enterprises_overlay(points, TIER_COLORS, {"legend_title": t("legend_enterprises", lang),
                                                    "tip": t("tip_enterprise", lang),
                                                    "tip_cluster": t("tip_cluster", lang)},
                              tier_names={k: str(value(k, lang)) for k in TIER_COLORS})
    specs = [s for s, _ in outlines]
    datasets = {s.data: rows for s, rows in outlines}
    xs = [p[0] for _, rows in outlines for r in rows for p in r["polygon"]] or points["lon"].tolist()
    ys = [p[1] for _, rows in outlines for r in rows for p in r["polygon"]] or points["lat"].tolist()
    assert ent.legend is not None
    bundle = MapBundle(specs, datasets, ent.legend, INDEX_BINS, (xs, ys))
    bundle.specs.extend(ent.specs)
    bundle.datasets.update(ent.datasets)
    return bundle


def build_view(con: duckdb.DuckDBPyConnection, scope: str = "city", key: str | None = None,
               lang: str = "zh", res: int = 8, by_index: bool = True,
               usccs: list[str] | None = None, label: str | None = None) -> View:
    """The map of one scope with its frame (title, subtitle, legends, note), in ``lang``.

    Parameters
    ----------
    scope : one of :data:`SCOPES`; every scope but ``city`` and ``enterprises`` needs ``key``
        (county/township code, grid id, park id).
    res, by_index : H3 resolution and colouring of the city and county maps.
    usccs, label : for ``enterprises``: the enterprises (e.g. the current filter) and a
        description of how they were chosen.
    """
    if scope not in SCOPES:
        raise ViewError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    meta = queries.meta(con)
    as_of = default_as_of(con)
    city = meta.get("city_name") or ""
    towns = queries.township_geometries(con)
    all_tiers = list(TIER_COLORS)
    if scope in ("city", "county"):
        if scope == "county":
            towns = towns[towns["county_code"] == key]
            if towns.empty:
                raise ViewError(f"no county with code {key!r}")
            names = dict(con.execute("SELECT code, name FROM county").fetchall())
            place = names.get(key, key)
            hexes = queries.hex_counts_in(con, res, "township_code", towns["code"].tolist())
            by_index = False  # the stored index is city-wide per cell; a county map shows counts
        else:
            place = city
            hexes = queries.hex_index(con, res) if by_index else queries.hex_counts(con, res)
        counts = dict(con.execute("SELECT township_code, count(*) FROM enterprise GROUP BY 1").fetchall())
        tw = towns.assign(enterprises=towns["code"].map(counts).fillna(0))
        labels = {"tip_hex": "{n}", "tip_township": "{name}", "legend_note": "",
                  "legend_title": t("legend_hex_index" if by_index else "legend_hex", lang)}
        bundle = overview_map(hexes, tw, labels, show_names=scope == "county",
                              value="index" if by_index else "enterprises", bins=INDEX_BINS if by_index else None)
        parks = queries.park_geometries(con)
        if scope == "county":  # only the county's own parks (they also set the map's extent)
            import shapely

            area = shapely.union_all(list(towns["geom"]))
            parks = parks[np.array([bool(g.intersects(area)) for g in parks["geom"]], dtype=bool)]
        bundle.add(boundaries_overlay("parks", parks, (0, 140, 70), 1.5, None, t("layer_parks", lang)))
        what = t("snap_hex", lang, r=res)
    elif scope == "township":
        one = towns[towns["code"] == key]
        if one.empty:
            raise ViewError(f"no township with code {key!r}")
        place = f"{city}{one['name'].iloc[0]}"
        grids = queries.grid_geometries(con)
        grids = grids[grids["township_code"] == key]
        bundle = _points_bundle(queries.enterprise_points(con, all_tiers, "township_code", [key]),
                                [_outline("grids", grids, (70, 110, 200), 0.8),
                                 _outline("township", one, (30, 30, 30), 2.0)], lang)
        what = t("snap_points", lang)
    elif scope == "grid":
        one = queries.grid_geometry(con, str(key))
        if one.empty:
            raise ViewError(f"no grid with id {key!r}")
        place = f"{city}{one['name'].iloc[0]}"
        bundle = _points_bundle(queries.enterprise_points(con, all_tiers, "grid_id", [str(key)]),
                                [_outline("grid", one, (30, 30, 160), 2.0)], lang)
        what = t("snap_points", lang)
    elif scope == "park":
        parks = queries.park_geometries(con)
        one = parks[parks["code"] == key]
        if one.empty:
            raise ViewError(f"no park with id {key!r}")
        place = str(one["name"].iloc[0])
        bundle = _points_bundle(queries.enterprise_points(con, all_tiers, "park_id", [str(key)]),
                                [_outline("park", one, (0, 140, 70), 2.0)], lang)
        what = t("snap_points", lang)
    else:
        points = queries.enterprise_points(con, all_tiers, "uscc", list(usccs or []))
        if points.empty:
            raise ViewError("no placed enterprise in the list")
        involved = towns[towns["code"].isin(
            [c for (c,) in con.execute("SELECT DISTINCT township_code FROM enterprise WHERE "
                                       "list_contains($u, uscc)", {"u": list(usccs or [])}).fetchall()])]
        bundle = _points_bundle(points, [_outline("townships", involved, (90, 90, 90), 0.8)], lang)
        place = city
        what = label or t("snap_selection", lang, n=len(points))
    legends = [bundle.legend, *bundle.more_legends]
    note = meta.get("data_note", "") if meta.get("illustrative") == "1" else ""
    frame = Frame(
        title=f"{place} {t('snap_title', lang)}",
        subtitle=f"{what} · {t('as_of', lang)} {as_of}",
        note=note, legends=legends, north=t("north", lang), km=t("km", lang), m=t("metre", lang),
        credit=t("snap_credit", lang, version=load_model().version, today=dt.date.today()),
    )
    return View(bundle, frame)


def snapshot_png(con: duckdb.DuckDBPyConnection, size: str = "slide", **view_args: object) -> bytes:
    """PNG of a view (see :func:`build_view`) at ``slide`` (1920×1080) or ``a4`` (300 dpi) size."""
    view = build_view(con, **view_args)  # type: ignore[arg-type]
    return render_png(view.bundle.specs, view.bundle.datasets, view.frame, size)


#: Layer ids of the views, as named in an exported map's layer switcher.
LAYER_LABELS = {"hex": "layer_hex", "township_lines": "layer_townships", "parks": "layer_parks",
                "grids": "layer_grids", "enterprises": "layer_enterprises", "township": "layer_townships",
                "townships": "layer_townships", "grid": "layer_grids", "park": "layer_parks"}


def snapshot_html(con: duckdb.DuckDBPyConnection, lang: str = "zh", **view_args: object) -> str:
    """A view (see :func:`build_view`) as one self-contained HTML file that works offline."""
    from layers.html import to_html

    view = build_view(con, lang=lang, **view_args)  # type: ignore[arg-type]
    names = {k: t(v, lang) for k, v in LAYER_LABELS.items()}
    return to_html(view.bundle.specs, view.bundle.datasets, view.frame.title, view.frame.legends,
                   f"{view.frame.subtitle} · {view.frame.note}".strip(" ·"), names)


@dataclass
class Area:
    """A reporting area: the whole city (code None), a county or a township."""

    code: str | None
    name: str
    townships: list[str] | None  # None: the whole city
    parts: list[tuple[str, list[str]]]  # (name, townships) of the rows under it


def area_of(con: duckdb.DuckDBPyConnection, code: str | None = None) -> Area:
    """The city (no code), a county (6 digits) or a township (9 digits), with its sub-areas."""
    towns = con.execute("SELECT code, name, county_code FROM township ORDER BY code").fetchall()
    counties = con.execute("SELECT code, name FROM county ORDER BY code").fetchall()
    city = queries.meta(con).get("city_name") or ""
    if not code:
        if not counties:  # a city with townships but no county layer: a row per township
            return Area(None, city, None, [(n, [t]) for t, n, _ in towns])
        return Area(None, city, None, [(n, [t for t, _, cc in towns if cc == c]) for c, n in counties])
    county = dict(counties).get(code)
    if county:
        mine = [(t, n) for t, n, cc in towns if cc == code]
        return Area(code, county, [t for t, _ in mine], [(n, [t]) for t, n in mine])
    town = {t: n for t, n, _ in towns}.get(code)
    if town:
        return Area(code, town, [code], [(town, [code])])
    raise ViewError(f"no county or township with code {code!r}")


def weekly_report_xlsx(con: duckdb.DuckDBPyConnection, end: dt.date | None = None, days: int = 7,
                       area: str | None = None) -> bytes:
    """The weekly report workbook for the ``days`` ending ``end`` (default: the data's as-of
    date) and an area: the 周报表 of seed 000 附件2 by sub-area with a total row, each
    department's figures and its line, and the daily statistics table of seed 004 附件1."""
    import io

    from openpyxl import Workbook

    from layers.export import write_form
    from scoring.report import (DAILY_FORM, DEPARTMENT_COLUMNS, WEEKLY_FORM, daily_figures, department_figures,
                                department_sentence, weekly_figures)

    end = end or default_as_of(con)
    start = end - dt.timedelta(days=days - 1)
    where = area_of(con, area)
    period = f"{start} 至 {end}"
    total = "合计"
    wb = Workbook()
    ws = wb.active
    ws.title = "周报表"
    rows = [(name, weekly_figures(con, start, end, tws)) for name, tws in where.parts]
    rows.append((total, weekly_figures(con, start, end, where.townships)))
    write_form(ws, f"{where.name}小微企业安全生产和消防安全综合整治工作周报表",
               f"填报单位：{where.name}　　统计时间：{period}", "地区", tuple((lab, k) for k, lab in WEEKLY_FORM), rows,
               ["填报人：　　　　　联系电话：　　　　　审核领导："])

    ws = wb.create_sheet("部门报送")
    from data.vocab import DEPARTMENTS

    dep = department_figures(con, start, end, where.townships, list(DEPARTMENTS))
    drows = [(r["department"], r.to_dict()) for _, r in dep.iterrows()]
    drows.append((total, dep.drop(columns="department").sum().to_dict()))
    write_form(ws, f"{where.name}各部门整治工作情况", f"统计时间：{period}", "部门",
               tuple((lab, k) for k, lab in DEPARTMENT_COLUMNS), drows,
               [department_sentence(r) for _, r in dep.iterrows()])

    ws = wb.create_sheet("每日统计表")
    srows = [(name, daily_figures(con, start, end, tws)) for name, tws in where.parts]
    srows.append((total, daily_figures(con, start, end, where.townships)))
    write_form(ws, f"{where.name}消防安全综合整治工作情况统计表", f"报送单位：{where.name}　　统计时间：{period}",
               "地区", DAILY_FORM, srows,
               ["清理两违面积：台账只记录现存违法建筑面积，未记录拆除面积，请填报人补填。"],
               percent_keys=("rectification_pct",))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: What ``export`` makes: kind -> (description, file suffix).
EXPORTS = {
    "png": ("地图快照（PNG）", "png"),
    "html": ("交互地图（单个 HTML 文件，离线可用）", "html"),
    "weekly": ("周报表、部门报送与每日统计表（Excel）", "xlsx"),
    "five": ("五张清单（Excel）", "xlsx"),
    "six": ("六个清单（Excel）", "xlsx"),
    "parks": ("园区隐患整治清单（Excel）", "xlsx"),
    "docx": ("通报（Word）", "docx"),
    "pdf": ("通报（PDF）", "pdf"),
}


def export(con: duckdb.DuckDBPyConnection, kind: str, end: dt.date | None = None, days: int = 7,
           area: str | None = None, scope: str = "city", key: str | None = None, size: str = "slide",
           lang: str = "zh", usccs: list[str] | None = None, label: str | None = None) -> tuple[bytes, str]:
    """One briefing file as (bytes, file name): the app's download buttons and
    ``python -m riskmap export`` both come here, so they give the same files.

    Parameters
    ----------
    kind : one of :data:`EXPORTS`
    end, days : the period (default: the ``days`` ending at the data's as-of date)
    area : county or township code for the weekly report (default: the city)
    scope, key, size, usccs, label : the map view of ``png`` and ``html`` (see :func:`build_view`)
    """
    if kind not in EXPORTS:
        raise ViewError(f"unknown export {kind!r}; one of {', '.join(EXPORTS)}")
    set_unit_level(queries.meta(con).get("unit_level", "township"))  # labels name the city's own areas
    end = end or default_as_of(con)
    start = end - dt.timedelta(days=days - 1)
    suffix = EXPORTS[kind][1]
    stem = {"png": f"地图_{scope}{'_' + key if key else ''}_{size}", "html": f"地图_{scope}{'_' + key if key else ''}",
            "weekly": f"周报表{'_' + area if area else ''}", "five": "五张清单", "six": "六个清单",
            "parks": "园区隐患整治清单", "docx": "通报", "pdf": "通报"}[kind]
    name = f"{stem}_{end}.{suffix}"
    if kind == "png":
        return snapshot_png(con, size, scope=scope, key=key, lang=lang, usccs=usccs, label=label), name
    if kind == "html":
        return snapshot_html(con, lang, scope=scope, key=key, usccs=usccs, label=label).encode("utf-8"), name
    if kind == "weekly":
        return weekly_report_xlsx(con, end, days, area), name
    if kind in ("five", "six", "parks"):
        from riskmap import ledgers

        lists = {"five": ledgers.five_lists, "six": ledgers.six_lists, "parks": ledgers.park_lists}[kind](con, start, end)
        city = queries.meta(con).get("city_name") or ""
        return ledgers.workbook(lists, f"{city}{EXPORTS[kind][0].removesuffix('（Excel）')}", f"{start} 至 {end}"), name
    from riskmap.document import briefing_docx, briefing_pdf, build_briefing

    b = build_briefing(con, end, days, lang)
    return (briefing_docx(b) if kind == "docx" else briefing_pdf(b)), name
