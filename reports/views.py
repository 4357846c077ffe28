"""Views: what a map shows, as a request (:class:`ViewRequest`), turned into map layers
(``layers.maps``) and a frame, drawn on screen (``layers.render``), as PNG (``layers.png``) or
as one offline HTML file (``layers.html``).

A view's scope is the city, a county, a township, a grid, a park, or a list of enterprises
(the current filters). The 城市总览 screen and the exports build their maps here from the
same request, so a snapshot shows what the screen shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

import duckdb
import pandas as pd

from data import queries
from layers.colors import TIER_COLORS
from layers.maps import (
    HEX_GREYS,
    INDEX_BINS,
    MapBundle,
    Overlay,
    boundaries_overlay,
    enterprises_overlay,
    hazards_overlay,
    incidents_overlay,
    overview_map,
    polygon_records,
)
from layers.png import Frame, render_png
from layers.spec import LayerSpec
from reports.asof import outputs_as_of
from reports.marks import Mark
from riskmap.i18n import t, value
from scoring.model import load_model
from scoring.report import period_bounds
from scoring.run import default_as_of

SCOPES = ("city", "county", "township", "grid", "park", "enterprises")
#: Optional layers of a city or county map, in the order they are drawn.
OVERLAYS = ("grids", "parks", "enterprises", "hazards", "incidents")
COLOURINGS = ("index", "count")


@dataclass(frozen=True)
class ViewRequest:
    """What a map shows, as plain data: the screens build their maps from one and the exports
    draw the same one, so a snapshot is the view on screen. JSON-able (:meth:`to_json`,
    :meth:`from_json`): ``python -m riskmap export png --view '{…}'`` draws a screen's map on a
    schedule.

    ``scope`` is one of :data:`SCOPES`; every scope but ``city`` and ``enterprises`` needs
    ``key`` (county/township code, grid id, park id). For the city and a county: H3 ``res``,
    ``colour`` (area ``index`` or enterprise ``count``; a county map always counts — the
    stored index is city-wide per cell), ``names`` (label the areas), ``overlays`` (of
    :data:`OVERLAYS`), ``tiers`` (of the enterprises overlay) and ``days`` (of the incidents
    overlay). For ``enterprises``: ``usccs`` and a ``label`` saying how they were chosen (the
    filter), which the map's caption states; the whole city is drawn around them.
    """

    scope: str = "city"
    key: str | None = None
    res: int = 8
    colour: str = "index"
    names: bool = False
    overlays: tuple[str, ...] = ("parks",)
    tiers: tuple[str, ...] = ()
    days: int = 30
    usccs: tuple[str, ...] = ()
    label: str | None = None
    lang: str = "zh"

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ViewError(f"unknown scope {self.scope!r}; one of {', '.join(SCOPES)}")
        if self.colour not in COLOURINGS:
            raise ViewError(f"unknown colouring {self.colour!r}; one of {', '.join(COLOURINGS)}")
        if self.scope in ("county", "township", "grid", "park") and not self.key:
            raise ViewError(f"a {self.scope} view needs the {self.scope}'s code as key")
        unknown = set(self.overlays) - set(OVERLAYS)
        if unknown:
            raise ViewError(f"unknown overlays {sorted(unknown)}; of {', '.join(OVERLAYS)}")

    def to_json(self) -> str:
        import json

        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ViewRequest:
        """A request from its JSON (keys left out take their defaults); ViewError if it is not one."""
        import json

        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ViewError(f"not JSON: {exc}") from None
        if not isinstance(raw, dict) or set(raw) - set(cls.__dataclass_fields__):
            raise ViewError(f"a view request is an object with keys of {', '.join(cls.__dataclass_fields__)}")
        for name in ("overlays", "tiers", "usccs"):
            if name in raw:
                raw[name] = tuple(raw[name])
        return cls(**raw)


class ViewError(ValueError):
    """A view that names something the database does not have."""


@dataclass
class View:
    bundle: MapBundle
    frame: Frame
    place: str = ""  # the area it shows, as its title names it (file names carry it)


def _outline(layer_id: str, frame: pd.DataFrame, color: tuple[int, int, int], width: float) -> tuple[LayerSpec, list]:
    rows = polygon_records(frame["geom"], pd.DataFrame({"code": frame["code"].astype(str),
                                                        "name": frame["name"].astype(str)}))
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


def overlay(con: duckdb.DuckDBPyConnection, name: str, req: ViewRequest, as_of: dt.date) -> Overlay:
    """One optional layer of a city or county map (see :data:`OVERLAYS`), in ``req.lang``."""
    lang = req.lang
    if name == "grids":
        return boundaries_overlay("grids", queries.grid_geometries(con), (70, 110, 200), 0.5, t("tip_grid", lang),
                                  t("layer_grids", lang))
    if name == "parks":
        return boundaries_overlay("parks", queries.park_geometries(con), (0, 140, 70), 2, t("tip_park", lang),
                                  t("layer_parks", lang))
    if name == "enterprises":
        return enterprises_overlay(queries.enterprise_points(con, list(req.tiers)), TIER_COLORS, {
            "legend_title": t("legend_enterprises", lang), "tip": t("tip_enterprise", lang),
            "tip_cluster": t("tip_cluster", lang)}, tier_names={k: str(value(k, lang)) for k in TIER_COLORS})
    if name == "hazards":
        return hazards_overlay(queries.open_hazards_by_enterprise(con, as_of), {
            "legend_title": t("legend_hazards", lang), "major": t("hz_major", lang), "other": t("hz_other", lang),
            "overdue": t("hz_overdue", lang), "tip": t("tip_hazards", lang)})
    start, end = period_bounds(as_of, req.days)
    return incidents_overlay(queries.incidents_between(con, start, end), {
        "legend_title": t("legend_incidents", lang), "fatal": t("inc_fatal", lang), "other": t("inc_other", lang),
        "tip": t("tip_incident", lang)})


#: County outlines: darker and thicker than the township lines (60, 60, 60; 1 px) they lie on.
COUNTY_LINE = (30, 30, 30)


def _county_outlines(con: duckdb.DuckDBPyConnection, towns: pd.DataFrame) -> pd.DataFrame:
    """``code``, ``name`` and simplified ``geom`` of the counties holding ``towns``, as
    :func:`data.queries.township_geometries` simplifies townships; none where the counties
    themselves stand in for townships (their outlines are the township lines already)."""
    import shapely

    if queries.meta(con).get("unit_level") == "county":
        return pd.DataFrame({"code": [], "name": [], "geom": []})
    df = con.execute("SELECT code, name, ST_AsWKB(ST_SimplifyPreserveTopology(geom, 0.0003)) AS wkb FROM county "
                     "WHERE geom IS NOT NULL AND list_contains($codes, code) ORDER BY code",
                     {"codes": sorted({str(c) for c in towns["county_code"].dropna()})}).df()
    df["geom"] = shapely.from_wkb([bytes(b) for b in df.pop("wkb")])
    return df


def _area_map(con: duckdb.DuckDBPyConnection, req: ViewRequest, towns: pd.DataFrame, as_of: dt.date) -> MapBundle:
    """The city or a county: H3 hexes under the area outlines, with the request's overlays."""
    lang = req.lang
    county = req.scope == "county"
    by_index = req.colour == "index" and not county  # the stored index is city-wide per cell
    if county:
        hexes = queries.hex_counts_in(con, req.res, "township_code", towns["code"].tolist())
    else:
        hexes = queries.hex_index(con, req.res) if by_index else queries.hex_counts(con, req.res)
    counts = dict(con.execute("SELECT township_code, count(*) FROM enterprise GROUP BY 1").fetchall())
    tw = towns.assign(enterprises=towns["code"].map(counts).fillna(0))
    labels = {"tip_township": t("tip_township", lang), "legend_note": t("legend_note", lang),
              "tip_hex": t("tip_hex_index" if by_index else "tip_hex", lang),
              "legend_title": t("legend_hex_index" if by_index else "legend_hex", lang)}
    # Under the tier dots the hexagons turn grey: tiers and YlOrRd classes share their hues
    # (layers.maps.HEX_GREYS says why).
    bundle = overview_map(hexes, tw, labels, show_names=req.names or county,
                          value="index" if by_index else "enterprises", bins=INDEX_BINS if by_index else None,
                          palette=HEX_GREYS if "enterprises" in req.overlays else None)
    counties = _county_outlines(con, towns)
    if len(counties):  # above the township lines, under every overlay and the names
        bundle.add(boundaries_overlay("counties", counties, COUNTY_LINE, 2.5, legend=t("layer_counties", lang)))
    for name in OVERLAYS:
        if name not in req.overlays:
            continue
        layer = overlay(con, name, req, as_of)
        if county and name in ("grids", "parks"):  # only the county's own (they also set the map's extent)
            import shapely

            area = shapely.union_all(list(towns["geom"]))
            data = layer.datasets[name]
            layer.datasets[name] = [r for r in data if shapely.Polygon(r["polygon"]).intersects(area)]
        bundle.add(layer)
    return bundle


def view_place(con: duckdb.DuckDBPyConnection, req: ViewRequest) -> str:
    """The area a view shows, as its title names it: the city (a list of enterprises too), a
    county, the city's township or grid, a park; the key itself when nothing has it."""
    city = queries.meta(con).get("city_name") or ""
    sql = {"county": "SELECT name FROM county WHERE code = ?", "township": "SELECT name FROM township WHERE code = ?",
           "grid": "SELECT name FROM grid WHERE grid_id = ?", "park": "SELECT name FROM park WHERE park_id = ?"}
    if req.scope not in sql:
        return city
    row = con.execute(sql[req.scope], [req.key]).fetchone()
    name = str(row[0]) if row and row[0] is not None else str(req.key)
    return f"{city}{name}" if req.scope in ("township", "grid") else name


def build_view(con: duckdb.DuckDBPyConnection, req: ViewRequest = ViewRequest(), as_of: dt.date | None = None) -> View:
    """The map of one request with its frame (title, subtitle, legends, caption, note), in
    ``req.lang``, as of ``as_of`` (default: the data's as-of date): the scores, tiers and area
    indices of that day (``reports.asof``), the hazards open and the incidents before it."""
    as_of = as_of or default_as_of(con)
    with outputs_as_of(con, as_of) as dated:
        return _build_view(dated, req, as_of)


def _build_view(con: duckdb.DuckDBPyConnection, req: ViewRequest, as_of: dt.date) -> View:
    lang = req.lang
    meta = queries.meta(con)
    towns = queries.township_geometries(con)
    all_tiers = list(TIER_COLORS)
    key = req.key
    place = view_place(con, req)
    caption = ""
    if req.scope in ("city", "county"):
        if req.scope == "county":
            towns = towns[towns["county_code"] == key]
            if towns.empty:
                raise ViewError(f"no county with code {key!r}")
        bundle = _area_map(con, req, towns, as_of)
        what = t("snap_hex", lang, r=req.res)
    elif req.scope == "township":
        one = towns[towns["code"] == key]
        if one.empty:
            raise ViewError(f"no township with code {key!r}")
        grids = queries.grid_geometries(con)
        grids = grids[grids["township_code"] == key]
        bundle = _points_bundle(queries.enterprise_points(con, all_tiers, "township_code", [str(key)]),
                                [_outline("grids", grids, (70, 110, 200), 0.8),
                                 _outline("township", one, (30, 30, 30), 2.0)], lang)
        what = t("snap_points", lang)
    elif req.scope == "grid":
        one = queries.grid_geometry(con, str(key))
        if one.empty:
            raise ViewError(f"no grid with id {key!r}")
        bundle = _points_bundle(queries.enterprise_points(con, all_tiers, "grid_id", [str(key)]),
                                [_outline("grid", one, (30, 30, 160), 2.0)], lang)
        what = t("snap_points", lang)
    elif req.scope == "park":
        parks = queries.park_geometries(con)
        one = parks[parks["code"] == key]
        if one.empty:
            raise ViewError(f"no park with id {key!r}")
        bundle = _points_bundle(queries.enterprise_points(con, all_tiers, "park_id", [str(key)]),
                                [_outline("park", one, (0, 140, 70), 2.0)], lang)
        what = t("snap_points", lang)
    else:
        usccs = list(req.usccs)
        points = queries.enterprise_points(con, all_tiers, "uscc", usccs)
        if points.empty:
            raise ViewError("no placed enterprise in the list")
        # Every township as context (drawing only those holding a chosen enterprise left holes
        # where the others are, and no city around them).
        bundle = _points_bundle(points, [_outline("townships", towns, (90, 90, 90), 0.8)], lang)
        what = t("snap_selection", lang, n=len(points))
        caption = t("snap_filter", lang, filter=req.label or t("snap_filter_unsaid", lang), n=len(points))
    legends = [bundle.legend, *bundle.more_legends]
    note = meta.get("data_note", "") if meta.get("illustrative") == "1" else ""
    frame = Frame(
        title=f"{place} {t('snap_title', lang)}",
        subtitle=f"{what} · {t('as_of', lang)} {as_of}",
        note=note, legends=legends, north=t("north", lang), km=t("km", lang), m=t("metre", lang),
        credit=t("snap_credit", lang, version=load_model().version, today=dt.date.today()),
        caption=caption,
    )
    return View(bundle, frame, str(place))


def snapshot_png(con: duckdb.DuckDBPyConnection, req: ViewRequest = ViewRequest(), size: str = "slide",
                 as_of: dt.date | None = None, mark: Mark | None = None) -> bytes:
    """PNG of a view (as of ``as_of``, see :func:`build_view`) at ``slide`` (1920×1080) or
    ``a4`` (2480×3508, 300 dpi) size, with ``mark`` (who exported it, when) along its foot."""
    return view_png(build_view(con, req, as_of), size, mark)


def view_png(view: View, size: str = "slide", mark: Mark | None = None) -> bytes:
    """PNG of a view already built; ``mark``: who exported it and when, drawn along its foot."""
    frame = replace(view.frame, mark=mark.text) if mark else view.frame
    return render_png(view.bundle.specs, view.bundle.datasets, frame, size)


#: Layer ids of the views, as named in an exported map's layer switcher.
LAYER_LABELS = {"hex": "layer_hex", "township_lines": "layer_townships", "parks": "layer_parks",
                "grids": "layer_grids", "enterprises": "layer_enterprises", "township": "layer_townships",
                "townships": "layer_townships", "grid": "layer_grids", "park": "layer_parks",
                "hazards": "layer_hazards", "incidents": "layer_incidents", "counties": "layer_counties"}


def snapshot_html(con: duckdb.DuckDBPyConnection, req: ViewRequest = ViewRequest(),
                  as_of: dt.date | None = None) -> str:
    """A view (as of ``as_of``, see :func:`build_view`) as one self-contained HTML file that
    works offline."""
    return view_html(build_view(con, req, as_of), req.lang)


def view_html(view: View, lang: str = "zh") -> str:
    """One self-contained HTML file of a view already built."""
    from layers.html import to_html

    names = {k: t(v, lang) for k, v in LAYER_LABELS.items()}
    frame = view.frame
    text = " · ".join(x for x in (frame.subtitle, frame.caption, frame.note) if x)
    return to_html(view.bundle.specs, view.bundle.datasets, frame.title, frame.legends, text, names)


