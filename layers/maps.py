"""Ready-made maps: specs + datasets + legend for a page or a snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.h3cells import cells_to_str
from layers.colors import YL_OR_RD, Bins, nice_count_bins
from layers.render import selected_values
from layers.spec import AREA_ALPHA, HEX_OPACITY, LayerSpec, Legend, LegendEntry

#: Most raw points one map layer sends to the browser; beyond it points are aggregated.
MAX_POINTS = 10_000


@dataclass
class Overlay:
    """Extra layers drawn over a map's base layers, with their own legend."""

    specs: list[LayerSpec]
    datasets: dict[str, list[dict[str, Any]]]
    legend: Legend | None = None
    aggregated: bool = False


@dataclass
class MapBundle:
    specs: list[LayerSpec]
    datasets: dict[str, list[dict[str, Any]]]
    legend: Legend
    bins: Bins
    view_points: tuple[list[float], list[float]]
    more_legends: list[Legend] = field(default_factory=list)
    #: Whether an overlay drew aggregated circles instead of every point (more than MAX_POINTS).
    aggregated: bool = False

    def add(self, overlay: Overlay) -> MapBundle:
        """Draw ``overlay`` above the base layers but under any text labels."""
        clash = set(overlay.datasets) & set(self.datasets)
        if clash:
            raise ValueError(f"dataset names already used: {sorted(clash)}")
        first_text = next((i for i, s in enumerate(self.specs) if s.type == "text"), len(self.specs))
        self.specs[first_text:first_text] = overlay.specs
        self.datasets.update(overlay.datasets)
        if overlay.legend:
            self.more_legends.append(overlay.legend)
        self.aggregated |= overlay.aggregated
        return self


#: Fixed classes for a 0-100 index, so colours mean the same thing on every date.
INDEX_BINS = Bins((0.0, 20.0, 40.0, 60.0, 80.0, 100.01), YL_OR_RD[1:])
INDEX_LABELS = ("0–20", "20–40", "40–60", "60–80", "80–100")


def polygon_records(geoms: Any, props: pd.DataFrame) -> list[dict[str, Any]]:
    """One record per polygon part: exterior ring as [[lon, lat], ...] plus properties."""
    out = []
    for geom, (_, row) in zip(geoms, props.iterrows()):
        if geom is None or geom.is_empty:
            continue
        for part in shapely.get_parts(geom):
            ring = np.round(shapely.get_coordinates(part.exterior), 5).tolist()
            out.append({"polygon": ring, **row.to_dict()})
    return out


def overview_map(hexes: pd.DataFrame, townships: pd.DataFrame, labels: dict[str, str],
                 show_names: bool = True, value: str = "enterprises", bins: Bins | None = None) -> MapBundle:
    """City overview: H3 hexes coloured by a value under township boundaries.

    Parameters
    ----------
    hexes : DataFrame with ``cell`` (uint64) and the ``value`` column
    townships : DataFrame with ``code``, ``name``, ``geom`` and ``enterprises``
    labels : translated strings: ``legend_title``, ``tip_hex`` and ``tip_township``
        (format strings with ``{n}`` and ``{name}``), ``legend_note``.
    value : column to colour by; counts get quantile bins unless ``bins`` is given.
    """
    values = hexes[value].to_numpy()
    bins = bins or nice_count_bins(values)
    hex_rows = [
        {"hex": h, "color": c, "tip": labels["tip_hex"].format(n=n)}
        for h, c, n in zip(cells_to_str(hexes["cell"].to_numpy()), bins.colors_for(values), values)
    ]
    props = pd.DataFrame({
        "code": townships["code"].astype(str),
        "name": townships["name"].astype(str),
        "tip": [labels["tip_township"].format(name=nm, n=int(n))
                for nm, n in zip(townships["name"], townships["enterprises"])],
    })
    poly_rows = polygon_records(townships["geom"], props)
    centres = shapely.point_on_surface(np.asarray(townships["geom"], dtype=object))
    xy = shapely.get_coordinates(centres)
    text_rows = [{"position": [round(x, 5), round(y, 5)], "text": str(nm)}
                 for (x, y), nm in zip(xy, townships["name"])]
    # Picking takes the topmost layer, so the townships' invisible fill lies under the hexes
    # (a click on a hex picks the hex, elsewhere the township) and their outlines on top.
    specs = [
        LayerSpec("townships", "polygon", "township_polygons", pickable=True,
                  vis={"filled": True, "stroked": False, "get_fill_color": [0, 0, 0, 0]}),
        LayerSpec("hex", "h3", "hexes", pickable=True),
        LayerSpec("township_lines", "polygon", "township_polygons"),
        LayerSpec("township_names", "text", "township_labels", visible=show_names),
    ]
    bin_labels = bins.labels() if bins is not INDEX_BINS else list(INDEX_LABELS)
    legend = Legend(labels["legend_title"],
                    tuple(LegendEntry(c, lab) for c, lab in zip(bins.colors, bin_labels)),
                    labels.get("legend_note", ""), opacity=HEX_OPACITY)
    return MapBundle(specs, {"hexes": hex_rows, "township_polygons": poly_rows,
                             "township_labels": text_rows}, legend, bins,
                     (xy[:, 0].tolist(), xy[:, 1].tolist()))


LISTED_OUTLINE = [200, 0, 0]


def area_index_map(townships: pd.DataFrame, labels: dict[str, str],
                   context: pd.DataFrame | None = None) -> MapBundle:
    """Areas (townships, parks) filled by area index, listed ones outlined in red.

    Parameters
    ----------
    townships : DataFrame with ``geom``, ``name``, ``index``, ``index_rank`` and ``listed``
        (one row per area)
    labels : ``legend_title`` and ``tip`` (format string with ``name``, ``index``, ``rank``)
    context : DataFrame with ``geom`` and ``name``, optional
        Outlines drawn underneath for orientation.
    """
    colors = INDEX_BINS.colors_for(townships["index"].fillna(0).to_numpy())
    props = pd.DataFrame({
        "code": townships["code"].astype(str) if "code" in townships else townships["name"].astype(str),
        "name": townships["name"].astype(str),
        "color": [c + [AREA_ALPHA] for c in colors],
        "tip": [labels["tip"].format(name=n, index=float(i), rank=int(r))
                for n, i, r in zip(townships["name"], townships["index"], townships["index_rank"])],
    })
    listed = townships["listed"].to_numpy(dtype=bool)
    # Line widths stay in deck.gl's default units (metres) with a floor in pixels: per-feature
    # widths in pixel units made the same outlines take seconds to draw in software WebGL
    # (measured in headless Chromium: ~4 s of canvas readback against ~0.6 s).
    specs = [LayerSpec("area_index", "polygon", "areas", pickable=True,
                       vis={"filled": True, "get_fill_color": "color", "get_line_color": [90, 90, 90],
                            "line_width_min_pixels": 1}),
             LayerSpec("listed", "polygon", "listed",  # red outlines on top of every fill
                       vis={"get_line_color": LISTED_OUTLINE, "line_width_min_pixels": 3})]
    datasets: dict[str, list[dict[str, Any]]] = {
        "areas": polygon_records(townships["geom"], props),
        "listed": polygon_records(townships["geom"][listed], props[["code", "name"]][listed]),
    }
    if context is not None:  # e.g. township outlines under small areas such as parks
        datasets["context"] = polygon_records(context["geom"], pd.DataFrame({"name": context["name"].astype(str)}))
        specs.insert(0, LayerSpec("context", "polygon", "context",
                                  vis={"get_line_color": [150, 150, 150], "line_width_min_pixels": 1}))
    legend = Legend(labels["legend_title"], tuple(
        LegendEntry(c, lab) for c, lab in zip(INDEX_BINS.colors, INDEX_LABELS)), opacity=AREA_ALPHA / 255)
    xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(townships["geom"], dtype=object)))
    return MapBundle(specs, datasets, legend, INDEX_BINS,
                     (xy[:, 0].tolist(), xy[:, 1].tolist()))


def grid_map(grid: pd.DataFrame, enterprises: pd.DataFrame, tier_colors: dict[str, tuple[int, int, int]],
             labels: dict[str, str], tier_names: Mapping[str, str] | None = None) -> MapBundle:
    """One grid cell outlined, its enterprises as dots coloured by tier.

    Parameters
    ----------
    grid : DataFrame with ``geom`` and ``name`` (one row)
    enterprises : DataFrame with ``uscc``, ``lon``, ``lat``, ``name``, ``tier``, ``score``
    labels : ``legend_title`` and ``tip`` (format string with ``name``, ``tier``, ``score``)
    """
    placed = enterprises.dropna(subset=["lon", "lat"])
    shown = dict(tier_names or {})
    dots = [{"position": [round(x, 6), round(y, 6)], "color": list(tier_colors.get(t, (128, 128, 128))),
             "uscc": u, "tip": labels["tip"].format(name=n, tier=shown.get(t, t), score=float(s) if s == s else 0.0)}
            for x, y, u, n, t, s in zip(placed["lon"], placed["lat"], placed["uscc"], placed["name"],
                                        placed["tier"], placed["score"])]
    outline = polygon_records(grid["geom"], pd.DataFrame({"name": grid["name"].astype(str),
                                                         "tip": grid["name"].astype(str)}))
    specs = [
        LayerSpec("grid", "polygon", "grid", vis={"filled": True, "get_fill_color": [60, 90, 200, 40],
                                                 "get_line_color": [30, 30, 160], "line_width_min_pixels": 2}),
        LayerSpec("enterprises", "scatter", "enterprises", pickable=True,
                  vis={"get_radius": 12, "radius_min_pixels": 4, "stroked": True, "get_line_color": [40, 40, 40],
                       "line_width_min_pixels": 1}),
    ]
    legend = Legend(labels["legend_title"], tuple(LegendEntry(c, shown.get(t, t)) for t, c in tier_colors.items()))
    xs = [p[0] for r in outline for p in r["polygon"]] or placed["lon"].tolist()
    ys = [p[1] for r in outline for p in r["polygon"]] or placed["lat"].tolist()
    return MapBundle(specs, {"grid": outline, "enterprises": dots}, legend, INDEX_BINS, (xs, ys))


def boundaries_overlay(layer_id: str, areas: pd.DataFrame, color: tuple[int, int, int], width: float,
                       tip: str | None = None, legend: str | None = None) -> Overlay:
    """Outlines of areas (grids, parks) with an optional tooltip (format string with ``name``).

    Parameters
    ----------
    areas : DataFrame with ``code``, ``name`` and ``geom``
    """
    props = pd.DataFrame({"code": areas["code"].astype(str), "name": areas["name"].astype(str)})
    if tip:
        props["tip"] = [tip.format(name=n) for n in props["name"]]
    spec = LayerSpec(layer_id, "polygon", layer_id, pickable=bool(tip),
                     # Outlines only: a filled overlay would take every click meant for the hexes.
                     vis={"get_line_color": list(color), "line_width_min_pixels": width, "filled": False})
    key = Legend("", (LegendEntry(color, legend),)) if legend else None
    return Overlay([spec], {layer_id: polygon_records(areas["geom"], props)}, key)


def _positions(lon: Any, lat: Any) -> list[list[float]]:
    return np.round(np.column_stack([np.asarray(lon, float), np.asarray(lat, float)]), 6).tolist()


def enterprises_overlay(points: pd.DataFrame, tier_colors: dict[str, tuple[int, int, int]],
                        labels: dict[str, str], cap: int = MAX_POINTS,
                        tier_names: Mapping[str, str] | None = None) -> Overlay:
    """Enterprises as dots coloured by tier; beyond ``cap`` they are aggregated to H3 r9 cells.

    Parameters
    ----------
    points : DataFrame with ``uscc``, ``name``, ``lon``, ``lat``, ``h3_r9`` (uint64), ``tier``, ``score``
    labels : ``legend_title``; ``tip`` (format string with ``name``, ``tier``, ``score``) and
        ``tip_cluster`` (with ``n`` and ``tier``, the worst tier in the cell)
    tier_names : tier names as shown (e.g. in English), default the tiers themselves
    """
    order = {t: i for i, t in enumerate(tier_colors)}  # tiers listed worst first
    shown = dict(tier_names or {})
    legend = Legend(labels["legend_title"], tuple(LegendEntry(c, shown.get(t, t)) for t, c in tier_colors.items()))
    grey = (128, 128, 128)
    if len(points) <= cap:
        points = points.sort_values("score", kind="mergesort")  # drawn in order: the riskiest on top
        rows = [{"position": pos, "color": list(tier_colors.get(t, grey)), "uscc": u,
                 "tip": labels["tip"].format(name=n, tier=shown.get(t, t), score=float(s))}
                for pos, u, n, t, s in zip(_positions(points["lon"], points["lat"]), points["uscc"],
                                           points["name"], points["tier"], points["score"])]
        spec = LayerSpec("enterprises", "scatter", "enterprise_points", pickable=True,
                         vis={"get_radius": 40, "radius_min_pixels": 3, "radius_max_pixels": 8,
                              "stroked": True, "get_line_color": [40, 40, 40], "line_width_min_pixels": 0.5})
        return Overlay([spec], {"enterprise_points": rows}, legend)
    import h3

    rank = points["tier"].map(order).fillna(len(order))
    cells = (points.assign(_rank=rank).groupby("h3_r9", sort=True)
             .agg(n=("uscc", "size"), worst=("_rank", "min")).reset_index())
    names = list(tier_colors)
    rows = []
    for cell, n, worst in zip(cells_to_str(cells["h3_r9"].to_numpy()), cells["n"], cells["worst"]):
        lat, lng = h3.cell_to_latlng(cell)
        tier = names[int(worst)] if worst < len(names) else ""
        rows.append({"position": [round(lng, 6), round(lat, 6)], "color": list(tier_colors.get(tier, grey)),
                     "n": int(n), "r": round(40 * float(np.sqrt(n)), 1), "hex": cell,
                     "tip": labels["tip_cluster"].format(n=int(n), tier=shown.get(tier, tier))})
    spec = LayerSpec("enterprises", "scatter", "enterprise_points", pickable=True,
                     vis={"get_radius": "r", "radius_min_pixels": 3, "radius_max_pixels": 30,
                          "stroked": True, "get_line_color": [40, 40, 40], "line_width_min_pixels": 0.5})
    return Overlay([spec], {"enterprise_points": rows}, legend, aggregated=True)


HAZARD_MAJOR = (200, 0, 0)
HAZARD_OTHER = (255, 140, 0)
OVERDUE_RING = (40, 0, 60)


def hazards_overlay(open_hazards: pd.DataFrame, labels: dict[str, str]) -> Overlay:
    """Enterprises with open hazards: red if any is 重大, orange otherwise; a dark ring if any is
    overdue; radius grows with the number open.

    Parameters
    ----------
    open_hazards : DataFrame with ``name``, ``lon``, ``lat``, ``open``, ``major``, ``overdue``
        (one row per enterprise, as :func:`data.queries.open_hazards_by_enterprise` gives)
    labels : ``legend_title``, ``major``, ``other``, ``overdue``; ``tip`` (format string with
        ``name``, ``open``, ``major`` and ``overdue``)
    """
    h = open_hazards
    rows = [{"position": pos, "n": int(o), "r": round(30 * float(np.sqrt(o)), 1),
             "color": list(HAZARD_MAJOR if m else HAZARD_OTHER),
             "line": list(OVERDUE_RING) + [255 if d else 0],
             "tip": labels["tip"].format(name=nm, open=int(o), major=int(m), overdue=int(d))}
            for pos, nm, o, m, d in zip(_positions(h["lon"], h["lat"]), h["name"], h["open"], h["major"],
                                        h["overdue"])]
    spec = LayerSpec("hazards", "scatter", "hazard_points", pickable=True,
                     vis={"get_radius": "r", "radius_min_pixels": 3, "radius_max_pixels": 14,
                          "stroked": True, "get_line_color": "line", "line_width_min_pixels": 1.5,
                          "opacity": 0.85})
    legend = Legend(labels["legend_title"], (LegendEntry(HAZARD_MAJOR, labels["major"]),
                                             LegendEntry(HAZARD_OTHER, labels["other"]),
                                             LegendEntry(OVERDUE_RING, labels["overdue"])))
    return Overlay([spec], {"hazard_points": rows}, legend)


INCIDENT_FATAL = (110, 0, 130)
INCIDENT_OTHER = (60, 60, 60)


def incidents_overlay(incidents: pd.DataFrame, labels: dict[str, str]) -> Overlay:
    """Incidents at their (WGS-84) location: purple with deaths, dark grey otherwise.

    Parameters
    ----------
    incidents : DataFrame with ``date``, ``lon``, ``lat``, ``kind``, ``deaths``, ``injuries``, ``name``
    labels : ``legend_title``, ``fatal``, ``other``; ``tip`` (format string with ``date``, ``kind``,
        ``name``, ``deaths``, ``injuries``)
    """
    d = incidents
    rows = [{"position": pos, "color": list(INCIDENT_FATAL if k > 0 else INCIDENT_OTHER),
             "tip": labels["tip"].format(date=str(dt)[:10], kind=kind, name=nm if isinstance(nm, str) else "—",
                                         deaths=int(k), injuries=int(j))}
            for pos, dt, kind, nm, k, j in zip(_positions(d["lon"], d["lat"]), d["date"], d["kind"], d["name"],
                                               d["deaths"], d["injuries"])]
    spec = LayerSpec("incidents", "scatter", "incident_points", pickable=True,
                     vis={"get_radius": 80, "radius_min_pixels": 5, "radius_max_pixels": 12, "stroked": True,
                          "get_line_color": [255, 255, 255], "line_width_min_pixels": 1.5})
    legend = Legend(labels["legend_title"], (LegendEntry(INCIDENT_FATAL, labels["fatal"]),
                                             LegendEntry(INCIDENT_OTHER, labels["other"])))
    return Overlay([spec], {"incident_points": rows}, legend)


#: Map layers a click can select an area on: (layer id, field, area column or "h3" for a cell).
PICKABLE_AREAS = (("hex", "hex", "h3"), ("enterprises", "hex", "h3"), ("townships", "code", "township_code"),
                  ("grids", "code", "grid_id"), ("parks", "code", "park_id"))


def overview_pick(selection: Any) -> tuple[str, str | int, str] | None:
    """What a click on the city map selected, as (area column, key, label), or None.

    A hexagon (or an aggregated enterprise circle, which stands for one H3 r9 cell) gives
    ``("h3_r<res>", cell as int, cell as hex string)``; a township, grid or park gives its
    column, code and name.
    """
    import h3

    for layer, field_name, column in PICKABLE_AREAS:
        picked = selected_values(selection, layer, field_name)
        if not picked:
            continue
        key = str(picked[0])
        if column == "h3":
            if not h3.is_valid_cell(key):
                continue
            return f"h3_r{h3.get_resolution(key)}", int(key, 16), key
        names = selected_values(selection, layer, "name")
        return column, key, str(names[0]) if names else key
    return None
