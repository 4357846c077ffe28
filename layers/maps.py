"""Ready-made maps: specs + datasets + legend for a page or a snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.h3cells import cells_to_str
from layers.colors import RGB, YL_OR_RD, Bins, nice_count_bins
from layers.png import text_width
from layers.render import selected_values, view_for
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

#: Hexagon classes when enterprise dots are drawn over them: a grey ramp (ColorBrewer Greys,
#: its black end left out). The tiers keep their official 红橙黄蓝 and YlOrRd shares their hues —
#: 较大's orange (253, 141, 60) is YlOrRd's 4th class exactly, 重大's red sits between its last two —
#: so a dot on a hexagon of its own colour vanished and a reader could not tell a tier from a
#: class. A ramp with no hue at all cannot be mistaken for any tier, on screen, in the PNG and in
#: the offline HTML alike (the colours are data, not a renderer's effect). A second, white ring
#: round each dot was the other choice: deck.gl strokes a dot once, so it takes a second layer,
#: which the offline HTML would list as a layer of its own, and it leaves the hues alike.
HEX_GREYS: tuple[RGB, ...] = (
    (240, 240, 240), (217, 217, 217), (189, 189, 189), (150, 150, 150), (115, 115, 115), (82, 82, 82),
)


def recoloured(bins: Bins, palette: Sequence[RGB]) -> Bins:
    """``bins`` with the last ``len(bins.colors)`` colours of ``palette`` (a palette's light end
    is the one left out, as :data:`INDEX_BINS` leaves out YlOrRd's palest)."""
    return Bins(bins.edges, tuple(palette[len(palette) - len(bins.colors):]))


#: Font size of the township labels (CSS pixels) and their background's padding (x, y), as
#: layers.render draws a text layer (``get_size``, ``background_padding``).
LABEL_FONT_PX = 12
LABEL_PADDING_PX = (2, 1)


def mercator_px(lon: Any, lat: Any, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web-mercator pixel coordinates (deck.gl: 512 px per world at zoom 0; y grows southward)."""
    scale = 512 * 2.0 ** zoom
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.05, 85.05))
    x = (np.asarray(lon, dtype=float) + 180) / 360 * scale
    y = (1 - np.log(np.tan(phi) + 1 / np.cos(phi)) / np.pi) / 2 * scale
    return x, y


def label_box_px(text: str, font_px: float = LABEL_FONT_PX,
                 padding_px: tuple[float, float] = LABEL_PADDING_PX) -> tuple[float, float]:
    """Estimated (width, height) in CSS pixels of a label with its background: a CJK character
    one em wide, a Latin one half an em (:func:`layers.png.text_width` counts them 2 and 1),
    one line of one em."""
    return text_width(text) * font_px / 2 + 2 * padding_px[0], font_px + 2 * padding_px[1]


def labels_that_fit(lon: Sequence[float], lat: Sequence[float], texts: Sequence[str], priority: Sequence[float],
                    zoom: float, font_px: float = LABEL_FONT_PX, gap_px: float = 2) -> list[int]:
    """Which labels to draw so that no two boxes overlap at ``zoom``: greedy, highest
    ``priority`` first (ties in the given order); a label is kept when its box, centred on its
    point and grown by ``gap_px``, meets no box kept before it.

    Parameters
    ----------
    lon, lat : label anchors (degrees, WGS-84), each label centred on its anchor
    texts : the labels; their boxes are :func:`label_box_px` at ``font_px``
    priority : e.g. each township's area: the largest are labelled first
    zoom : web-mercator zoom of the map's first view

    Returns
    -------
    Indices of the labels kept, in ascending order.
    """
    x, y = mercator_px(lon, lat, zoom)
    boxes = [label_box_px(str(t), font_px) for t in texts]
    order = sorted(range(len(boxes)), key=lambda i: -float(priority[i]))
    kept: list[int] = []
    for i in order:
        w, h = boxes[i]
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            continue
        if all(abs(x[i] - x[j]) * 2 >= w + boxes[j][0] + 2 * gap_px
               or abs(y[i] - y[j]) * 2 >= h + boxes[j][1] + 2 * gap_px for j in kept):
            kept.append(i)
    return sorted(kept)


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
                 show_names: bool = True, value: str = "enterprises", bins: Bins | None = None,
                 palette: Sequence[RGB] | None = None) -> MapBundle:
    """City overview: H3 hexes coloured by a value under township boundaries, each township
    named where its name fits (:func:`labels_that_fit` at the map's first view, largest first).

    Parameters
    ----------
    hexes : DataFrame with ``cell`` (uint64) and the ``value`` column
    townships : DataFrame with ``code``, ``name``, ``geom`` and ``enterprises``
    labels : translated strings: ``legend_title``, ``tip_hex`` and ``tip_township``
        (format strings with ``{n}`` and ``{name}``), ``legend_note``.
    value : column to colour by; counts get quantile bins unless ``bins`` is given.
    palette : the classes' colours, light to dark (e.g. :data:`HEX_GREYS` under tier dots);
        default the colours of ``bins``, and YlOrRd for counts.
    """
    values = hexes[value].to_numpy()
    index_classes = bins is not None and bins.edges == INDEX_BINS.edges
    if bins is None:
        bins = nice_count_bins(values, tuple(palette or YL_OR_RD))
    elif palette is not None:
        bins = recoloured(bins, palette)
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
    names = [str(nm) for nm in townships["name"]]
    # The first view is view_for(these points) (the page's, and a county map's): its zoom
    # decides which names fit without overlapping.
    zoom = view_for(xy[:, 0], xy[:, 1])["zoom"] if len(xy) else 9.0
    area = np.nan_to_num(shapely.area(np.asarray(townships["geom"], dtype=object)))
    fits = labels_that_fit(xy[:, 0], xy[:, 1], names, area, zoom) if len(xy) else []
    text_rows = [{"position": [round(float(xy[i, 0]), 5), round(float(xy[i, 1]), 5)], "text": names[i]}
                 for i in fits]
    # Picking takes the topmost pickable layer, so the townships' invisible fill lies under the
    # hexes (a click on a hex picks the hex, elsewhere the township; with the hexes made
    # unpickable, see :func:`pick_specs`, anywhere the township) and their outlines on top.
    # White, not black, at alpha 0: Streamlit draws a selected object at full alpha, and a
    # black one darkened every hexagon of a clicked township.
    specs = [
        LayerSpec("townships", "polygon", "township_polygons", pickable=True,
                  vis={"filled": True, "stroked": False, "get_fill_color": [255, 255, 255, 0]}),
        LayerSpec("hex", "h3", "hexes", pickable=True),
        LayerSpec("township_lines", "polygon", "township_polygons"),
        LayerSpec("township_names", "text", "township_labels", visible=show_names),
    ]
    bin_labels = list(INDEX_LABELS) if index_classes else bins.labels()
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
                         # a whole pixel of dark rim: a yellow 一般 dot stays visible on a pale cell
                         vis={"get_radius": 40, "radius_min_pixels": 3, "radius_max_pixels": 8,
                              "stroked": True, "get_line_color": [40, 40, 40], "line_width_min_pixels": 1})
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


#: What a click on the city map picks: hexagons where they are drawn (townships in the gaps), or
#: townships anywhere inside them.
PICK_MODES = ("hex", "township")


def pick_specs(specs: Sequence[LayerSpec], mode: str) -> list[LayerSpec]:
    """``specs`` for a click in ``mode`` (:data:`PICK_MODES`). deck.gl picks the topmost
    *pickable* layer under the pointer and draws no other into its picking buffer, so in
    ``township`` mode the hexagons, made unpickable, let a click through to the township's fill
    beneath them: anywhere inside a township gives that township, hexagons drawn or not."""
    if mode not in PICK_MODES:
        raise ValueError(f"unknown pick mode {mode!r}; one of {', '.join(PICK_MODES)}")
    if mode == "hex":
        return list(specs)
    return [replace(s, pickable=False) if s.id == "hex" else s for s in specs]


def picked_enterprise(selection: Any) -> str | None:
    """The credit code of the enterprise dot a click on the city map selected, or None (an
    aggregated circle stands for a cell: :func:`overview_pick` gives that)."""
    usccs = selected_values(selection, "enterprises", "uscc")
    return str(usccs[0]) if usccs else None


#: The selection's outline: a dark line over a wider white casing, so that it reads on every
#: fill and is told from the county lines (dark, no casing) beside it.
SELECTION_LINE = (10, 10, 10)
SELECTION_CASING = (255, 255, 255)


def hex_shape(cell: str) -> dict[str, Any]:
    """An H3 cell (hex string) as a polygon record (a closed [[lon, lat], ...] ring)."""
    import h3

    ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
    return {"polygon": ring + ring[:1], "hex": cell}


def area_shapes(areas: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    """The polygon records (one per part) of the area with ``code`` ``key`` in ``areas``
    (``code``, ``name``, ``geom``, as the geometry queries give them)."""
    one = areas[areas["code"].astype(str) == str(key)]
    props = pd.DataFrame({"code": one["code"].astype(str), "name": one["name"].astype(str)})
    return polygon_records(one["geom"], props)


def selection_overlay(shapes: Sequence[Mapping[str, Any]]) -> Overlay:
    """The selected feature outlined on top of the map: polygon records (``polygon``: a hexagon,
    a township's parts) or one point record (``position``: an enterprise dot, ringed). Nobody
    can pick it: a click goes to the map beneath, as before it was drawn.

    While anything is selected, Streamlit draws every object it did not select at 40 % alpha:
    each layer's fill colour, and a scatterplot's line colour too, but neither a polygon's
    outline nor a label's background. So the outlines are polygon lines, and the ring round a
    dot is the round, empty background of a one-em blank label (U+3000), sized in pixels like
    the dot: a dark ring over a wider white one, at full strength."""
    if shapes and "position" in shapes[0]:
        rows = [{"position": list(s["position"]), "text": "\u3000"} for s in shapes]
        blank = {"get_size": LABEL_FONT_PX, "get_color": [0, 0, 0, 0], "get_background_color": [0, 0, 0, 0]}
        # a 12-px em: the dark ring spans radii 10-13 px, the white one 8-15 px (a dot is 3-8 px)
        specs = [LayerSpec("selection_casing", "text", "selection",
                           vis={**blank, "background_padding": [9, 9], "background_border_radius": 15,
                                "get_border_color": list(SELECTION_CASING), "get_border_width": 7}),
                 LayerSpec("selection", "text", "selection",
                           vis={**blank, "background_padding": [7, 7], "background_border_radius": 13,
                                "get_border_color": list(SELECTION_LINE), "get_border_width": 3})]
    else:
        rows = [{"polygon": s["polygon"]} for s in shapes]
        specs = [LayerSpec("selection_casing", "polygon", "selection",
                           vis={"get_line_color": list(SELECTION_CASING), "line_width_min_pixels": 7}),
                 LayerSpec("selection", "polygon", "selection",
                           vis={"get_line_color": list(SELECTION_LINE), "line_width_min_pixels": 3.5})]
    return Overlay(specs, {"selection": rows})
