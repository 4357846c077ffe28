"""Ready-made maps: specs + datasets + legend for a page or a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.h3cells import cells_to_str
from layers.colors import YL_OR_RD, Bins, nice_count_bins
from layers.spec import Legend, LegendEntry, LayerSpec


@dataclass
class MapBundle:
    specs: list[LayerSpec]
    datasets: dict[str, list[dict[str, Any]]]
    legend: Legend
    bins: Bins
    view_points: tuple[list[float], list[float]]


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
        "name": townships["name"].astype(str),
        "tip": [labels["tip_township"].format(name=nm, n=int(n))
                for nm, n in zip(townships["name"], townships["enterprises"])],
    })
    poly_rows = polygon_records(townships["geom"], props)
    centres = shapely.point_on_surface(np.asarray(townships["geom"], dtype=object))
    xy = shapely.get_coordinates(centres)
    text_rows = [{"position": [round(x, 5), round(y, 5)], "text": str(nm)}
                 for (x, y), nm in zip(xy, townships["name"])]
    specs = [
        LayerSpec("hex", "h3", "hexes", pickable=True),
        LayerSpec("townships", "polygon", "township_polygons", pickable=True,
                  vis={"filled": True, "get_fill_color": [0, 0, 0, 0]}),
        LayerSpec("township_names", "text", "township_labels", visible=show_names),
    ]
    bin_labels = bins.labels() if bins is not INDEX_BINS else list(INDEX_LABELS)
    legend = Legend(labels["legend_title"],
                    tuple(LegendEntry(c, lab) for c, lab in zip(bins.colors, bin_labels)),
                    labels.get("legend_note", ""))
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
        "color": [c + [190] for c in colors],
        "line": [LISTED_OUTLINE if listed else [90, 90, 90] for listed in townships["listed"]],
        "width": [3 if listed else 1 for listed in townships["listed"]],
        "tip": [labels["tip"].format(name=n, index=float(i), rank=int(r))
                for n, i, r in zip(townships["name"], townships["index"], townships["index_rank"])],
    })
    rows = polygon_records(townships["geom"], props)
    listed_first = sorted(rows, key=lambda r: r["width"])  # red outlines drawn last, on top
    specs = [LayerSpec("area_index", "polygon", "areas", pickable=True,
                       vis={"filled": True, "get_fill_color": "color", "get_line_color": "line",
                            "get_line_width": "width", "line_width_units": '"pixels"'})]
    datasets: dict[str, list[dict[str, Any]]] = {"areas": []}
    if context is not None:  # e.g. township outlines under small areas such as parks
        datasets["context"] = polygon_records(context["geom"], pd.DataFrame({"name": context["name"].astype(str)}))
        specs.insert(0, LayerSpec("context", "polygon", "context",
                                  vis={"get_line_color": [150, 150, 150], "line_width_min_pixels": 1}))
    legend = Legend(labels["legend_title"], tuple(
        LegendEntry(c, lab) for c, lab in zip(INDEX_BINS.colors, INDEX_LABELS)))
    xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(townships["geom"], dtype=object)))
    datasets["areas"] = listed_first
    return MapBundle(specs, datasets, legend, INDEX_BINS,
                     (xy[:, 0].tolist(), xy[:, 1].tolist()))


def grid_map(grid: pd.DataFrame, enterprises: pd.DataFrame, tier_colors: dict[str, tuple[int, int, int]],
             labels: dict[str, str]) -> MapBundle:
    """One grid cell outlined, its enterprises as dots coloured by tier.

    Parameters
    ----------
    grid : DataFrame with ``geom`` and ``name`` (one row)
    enterprises : DataFrame with ``uscc``, ``lon``, ``lat``, ``name``, ``tier``, ``score``
    labels : ``legend_title`` and ``tip`` (format string with ``name``, ``tier``, ``score``)
    """
    placed = enterprises.dropna(subset=["lon", "lat"])
    dots = [{"position": [round(x, 6), round(y, 6)], "color": list(tier_colors.get(t, (128, 128, 128))),
             "uscc": u, "tip": labels["tip"].format(name=n, tier=t, score=float(s) if s == s else 0.0)}
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
    legend = Legend(labels["legend_title"], tuple(LegendEntry(c, t) for t, c in tier_colors.items()))
    xs = [p[0] for r in outline for p in r["polygon"]] or placed["lon"].tolist()
    ys = [p[1] for r in outline for p in r["polygon"]] or placed["lat"].tolist()
    return MapBundle(specs, {"grid": outline, "enterprises": dots}, legend, INDEX_BINS, (xs, ys))
