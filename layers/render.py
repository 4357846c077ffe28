"""Turn layer specs and datasets into a pydeck Deck, with no basemap by default.

Tooltips are plain text (deck.gl sets ``innerText``), so names imported from user files
are never interpreted as HTML. Nor as deck.gl JSON: every string that reaches a Deck goes
through :func:`inert_value` (see :data:`INERT_MARK`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import numpy as np
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from layers.basemap import Basemap, raster_style, to_gcj02
from layers.spec import HEX_OPACITY, LAYER_TYPES, LayerSpec, Legend

# Unquoted family names: pydeck passes a string literal only when it is wrapped in quotes.
CJK_FONTS = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"

def offline_style_url(style: dict[str, Any]) -> str:
    """A map style as a ``data:`` URL, the form Streamlit's deck component accepts; the style
    itself is never downloaded."""
    return "data:application/json," + quote(json.dumps(style, separators=(",", ":")))


_DEFAULTS: dict[str, dict[str, Any]] = {
    "h3": {"get_hexagon": "hex", "get_fill_color": "color", "extruded": False, "opacity": HEX_OPACITY,
           "stroked": False},
    "polygon": {"get_polygon": "polygon", "filled": False, "stroked": True,
                "get_line_color": [60, 60, 60], "line_width_min_pixels": 1},
    "text": {"get_position": "position", "get_text": "text", "get_size": 12, "get_color": [20, 20, 20],
             "character_set": '"auto"', "font_family": f'"{CJK_FONTS}"', "get_text_anchor": '"middle"',
             "get_alignment_baseline": '"center"', "background": True,
             "get_background_color": [255, 255, 255, 170], "background_padding": [2, 1]},
    "scatter": {"get_position": "position", "get_fill_color": "color", "get_radius": 60,
                "radius_min_pixels": 2},
}


#: The id of the background layer of a map without a basemap.
PAPER = "paper"


def _rgb(colour: str) -> list[int]:
    """``#rrggbb`` as [r, g, b]."""
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


class LayerDataError(ValueError):
    """A dataset lacks a column its layer needs, or a layer setting is not one we can send."""


#: deck.gl's JSON converter (``@deck.gl/json``, ``convertString``) runs any string value that
#: starts with ``@@=`` as an expression and resolves one that starts with ``@@#`` as a constant
#: or enumeration — anywhere in the JSON, data rows included; an object with a ``@@type`` or
#: ``@@function`` key becomes a class instance or a function call. A name such as ``@@#foo``
#: stopped the whole map from drawing. A zero-width space in front keeps such a string text:
#: it reads the same and no longer starts with ``@@``.
INERT_MARK = "\u200b"


def inert_text(text: str) -> str:
    """``text`` as deck.gl's JSON converter leaves it: prefixed with :data:`INERT_MARK` when it
    starts with ``@@`` (or with the mark itself, so that :func:`restored_text` is exact)."""
    return INERT_MARK + text if text.startswith(("@@", INERT_MARK)) else text


def restored_text(text: str) -> str:
    """The inverse of :func:`inert_text`: a value as it was before it was drawn."""
    return text[len(INERT_MARK):] if text.startswith(INERT_MARK) else text


def inert_value(value: Any) -> Any:
    """A copy of a record (dicts, lists, strings, numbers) with every string and every key made
    inert by :func:`inert_text`; the value itself is left as it was."""
    if isinstance(value, str):
        return inert_text(value)
    if isinstance(value, Mapping):
        return {inert_text(k) if isinstance(k, str) else k: inert_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [inert_value(v) for v in value]
    return value


_QUOTES = ("'", '"', "`")


def _layer_setting(spec: LayerSpec, key: str, value: Any) -> Any:
    """A visual setting as pydeck may pass it on: an accessor (a bare string pydeck turns into
    ``@@=name``) must be one of our column names; a quoted constant (pydeck strips the quotes)
    is made inert; anything else goes through :func:`inert_value`."""
    if isinstance(value, str) and len(value) >= 2 and value[0] in _QUOTES and value[0] == value[-1]:
        return value[0] + inert_text(value[1:-1]) + value[0]
    names = [value] if isinstance(value, str) else value if isinstance(value, list) and value and all(
        isinstance(v, str) for v in value) else None
    if names is not None:
        bad = [n for n in names if not n.isidentifier()]
        if bad:
            raise LayerDataError(f"layer {spec.id!r}: accessor {key}={value!r} is not a column name")
        return value
    return inert_value(value)


def check_datasets(specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping]]) -> None:
    for spec in specs:
        if spec.data not in datasets:
            raise LayerDataError(f"layer {spec.id!r}: no dataset {spec.data!r}")
        rows = datasets[spec.data]
        if len(rows):
            missing = [c for c in spec.required_columns if c not in rows[0]]
            if missing:
                raise LayerDataError(f"layer {spec.id!r}: dataset {spec.data!r} lacks {missing}")


def view_for(lon: Sequence[float], lat: Sequence[float]) -> dict[str, float]:
    """A view centred on the points, zoomed to fit them roughly (web-mercator zoom)."""
    lo, la = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lo) & np.isfinite(la)
    if not ok.any():
        return {"longitude": 120.65, "latitude": 27.85, "zoom": 9.0}
    lo, la = lo[ok], la[ok]
    span = max(lo.max() - lo.min(), (la.max() - la.min()) * 1.2, 0.01)
    zoom = float(np.clip(np.log2(360 / span) + 0.1, 3, 16))
    return {"longitude": float((lo.min() + lo.max()) / 2), "latitude": float((la.min() + la.max()) / 2),
            "zoom": round(zoom, 2)}


def fit_view(lon: Sequence[float], lat: Sequence[float], width_px: float, height_px: float,
             padding_px: float = 20) -> dict[str, float]:
    """The web-mercator view that shows every point inside a map of ``width_px`` × ``height_px``
    (CSS pixels) with ``padding_px`` to spare on each side: centred on the points' bounds,
    the largest zoom at which both spans fit (deck.gl: 512 px per world at zoom 0)."""
    lo, la = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lo) & np.isfinite(la)
    if not ok.any():
        return view_for([], [])
    lo, la = lo[ok], la[ok]

    def y(lat_deg: np.ndarray | float) -> np.ndarray:  # mercator y in world units (0..1)
        phi = np.radians(np.clip(lat_deg, -85.05, 85.05))
        return (1 - np.log(np.tan(phi) + 1 / np.cos(phi)) / np.pi) / 2

    x0, x1 = (lo.min() + 180) / 360, (lo.max() + 180) / 360
    y0, y1 = float(y(la.max())), float(y(la.min()))
    w, h = max(width_px - 2 * padding_px, 1.0), max(height_px - 2 * padding_px, 1.0)
    span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    zoom = float(np.clip(np.log2(min(w / span_x, h / span_y) / 512), 0, 20))
    ym = (y0 + y1) / 2
    lat_c = float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * ym)))))
    return {"longitude": float((lo.min() + lo.max()) / 2), "latitude": lat_c, "zoom": round(zoom, 3)}


def to_pydeck(specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping]],
              view: Mapping[str, float], basemap: Basemap | None = None, height: int = 640,
              background: str = "#f7f5f0", publish: Callable[[list[Any]], str] | None = None) -> FrozenDeck:
    """Build a ``pydeck.Deck`` from specs.

    Parameters
    ----------
    basemap : Basemap, optional
        Raster tiles under the overlays. None (the default) draws no basemap: fully offline.
        For GCJ-02 tiles the overlays are shifted into GCJ-02 (see ``layers.basemap``).
    publish : callable, optional
        Stores a layer's rows and returns the URL deck.gl fetches them from
        (``layers.store``); None puts the rows inside the deck.
    """
    if basemap is None:  # the paper colour under everything, drawn by deck.gl itself
        specs = [LayerSpec(PAPER, "polygon", PAPER, vis={"filled": True, "stroked": False,
                                                         "get_fill_color": _rgb(background)}), *specs]
        datasets = {**datasets, PAPER: [{"polygon": [[-180, -85], [180, -85], [180, 85], [-180, 85]]}]}
    layers = deck_layers(specs, datasets, basemap, publish)
    # Without a basemap there is no map library at all: pydeck's default style with no provider
    # tells Streamlit to draw deck.gl alone (any other empty style gets a remote Carto one; a
    # style of our own started MapLibre, its workers and a second WebGL context for a plain
    # colour). Raster tiles travel as an inline style (a data: URL): nothing else is fetched.
    style = {"map_style": offline_style_url(raster_style(basemap))} if basemap else {}
    return FrozenDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(**view, pitch=0, bearing=0),
        map_provider=None,
        tooltip={"text": "{tip}"},
        height=height,
        **style,
    )


def deck_layers(specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping]],
                basemap: Basemap | None = None, publish: Callable[[list[Any]], str] | None = None) -> list[pdk.Layer]:
    """The pydeck layers of ``specs`` (the visible ones), shifted into GCJ-02 for such a
    basemap; see :func:`to_pydeck`."""
    check_datasets(specs, datasets)
    if basemap and basemap.crs == "gcj02":
        specs, datasets = to_gcj02(list(specs), {k: [dict(r) for r in v] for k, v in datasets.items()})
    layers = []
    for spec in specs:
        if not spec.visible:
            continue
        kwargs = {k: _layer_setting(spec, k, v) for k, v in {**_DEFAULTS[spec.type], **spec.vis}.items()}
        # Names from imported files are in the data: none may start deck.gl's "@@" syntax.
        rows = inert_value(list(datasets[spec.data]))
        layers.append(pdk.Layer(LAYER_TYPES[spec.type][0], data=publish(rows) if publish else rows,
                                id=inert_text(spec.id), pickable=spec.pickable, **kwargs))
    return layers


def with_layers(deck: FrozenDeck, specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping]],
                basemap: Basemap | None = None) -> FrozenDeck:
    """A copy of ``deck`` with ``specs`` drawn on top of its layers (a selection's outline, a
    few rows sent inline); ``deck`` itself, perhaps a cached one, is left as it was."""
    import copy

    out = copy.copy(deck)
    out.layers = [*deck.layers, *deck_layers(specs, datasets, basemap)]
    out._json = None
    return out


class FrozenDeck(pdk.Deck):
    """A ``pydeck.Deck`` that serialises itself once, compactly: pages keep their decks in a
    cache and Streamlit asks for the JSON on every run (50 ms for the city map, per run, per
    user). pydeck's own JSON is indented by two spaces and escapes every Chinese character
    (``\\uXXXX``): the city map at H3 level 8 was 1,155 KB of it, 5x its compact form."""

    _json: str | None = None

    def to_json(self) -> str:
        if self._json is None:
            self._json = json.dumps(self, sort_keys=True, default=default_serialize,
                                    separators=(",", ":"), ensure_ascii=False)
        return self._json


def legend_html(legend: Legend, paper: str = "#f7f5f0") -> str:
    """A compact HTML legend; every label is escaped (labels may carry imported names). Each
    swatch is the class colour at the opacity it is drawn with, over the map's paper colour:
    the colour a reader sees on the map."""
    a = min(max(float(legend.opacity), 0.0), 1.0)
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:12px;white-space:nowrap">'
        f'<span style="width:16px;height:12px;background:linear-gradient(rgba{(*e.color, a)},rgba{(*e.color, a)}),'
        f'{paper};border:1px solid #888;margin-right:4px;display:inline-block"></span>'
        f"{html.escape(e.label)}</span>"
        for e in legend.entries
    )
    note = f'<div style="color:#666;font-size:0.8em">{html.escape(legend.note)}</div>' if legend.note else ""
    return (f'<div style="font-size:0.9em;line-height:1.8"><b>{html.escape(legend.title)}</b>'
            f"&nbsp;&nbsp;{items}{note}</div>")


def on_map(legend: str) -> str:
    """Legend HTML (:func:`legend_html`) laid over the lower left corner of the map drawn just
    before it: a zero-height anchor after the map, the legend lifted into the map by the gap
    between two elements (Streamlit's 1rem) and a margin."""
    return ('<div class="rm-map-legend" style="position:relative;height:0;z-index:5">'
            '<div style="position:absolute;left:10px;bottom:calc(1rem + 10px);max-width:calc(100% - 20px);'
            'background:rgba(255,255,255,.92);border:1px solid #ccc;border-radius:4px;padding:4px 8px;'
            f'font-size:.85em">{legend}</div></div>')


def selected_values(selection: Mapping[str, Any] | None, layer_id: str, field: str) -> list[Any]:
    """Values of ``field`` in the objects picked on layer ``layer_id`` of a map selection
    (Streamlit's ``{"indices": {...}, "objects": {layer: [record, ...]}}``), as they were
    before they were drawn (see :func:`inert_text`)."""
    if not selection:
        return []
    objects = (selection.get("objects") or {}).get(layer_id) or []
    return [restored_text(o[field]) if isinstance(o[field], str) else o[field]
            for o in objects if isinstance(o, Mapping) and field in o]
