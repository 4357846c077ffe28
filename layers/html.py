"""One-file interactive HTML maps with folium, working with no network.

folium's page loads Leaflet, jQuery and Bootstrap from CDNs. Here every CDN reference is
removed and Leaflet 1.9.4 (vendored in ``layers/vendor``, BSD-2-Clause) is written into the
page itself, images included as data: URLs, so the file opens offline on any machine. Only
plain Leaflet is used: GeoJSON layers, circle markers, tooltips and a layer switcher.

Tooltips are built from the datasets' ``tip`` column, HTML-escaped here: Leaflet inserts
tooltip content as HTML, and names come from imported files.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from layers.render import legend_html
from layers.spec import LayerSpec, Legend

VENDOR = Path(__file__).resolve().parent / "vendor" / "leaflet-1.9.4"


@cache
def leaflet_inline() -> str:
    """Leaflet's CSS (images as data: URLs) and JS as inline ``<style>`` and ``<script>``."""
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")

    def data_url(match: re.Match[str]) -> str:
        path = VENDOR / match.group(1)
        if not path.exists():  # e.g. marker icons: not shipped, not used
            return "url(data:,)"
        return "url(data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() + ")"

    css = re.sub(r"url\((images/[^)]+)\)", data_url, css)
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    return f"<style>{css}</style>\n<script>{js}</script>"


def _color(c: Any) -> str:
    return "#{:02x}{:02x}{:02x}".format(*[int(v) for v in list(c)[:3]])


def _alpha(c: Any, default: float = 1.0) -> float:
    c = list(c)
    return c[3] / 255 if len(c) > 3 else default


def _setting(spec: LayerSpec, key: str, record: Mapping[str, Any], default: Any) -> Any:
    v = spec.vis.get(key, default)
    if isinstance(v, str) and not v.startswith('"'):
        return record.get(v, default)
    return v


def _tip(record: Mapping[str, Any]) -> str:
    return html.escape(str(record.get("tip", ""))).replace("\n", "<br>")


def _features(spec: LayerSpec, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of one layer, each feature carrying its own style."""
    feats = []
    if spec.type == "h3":
        import h3

        opacity = float(spec.vis.get("opacity", 0.75))
        for r in rows:
            ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(r["hex"])]
            feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                          "properties": {"tip": _tip(r), "style": {
                              "fillColor": _color(r["color"]), "fillOpacity": opacity, "stroke": False}}})
    elif spec.type == "polygon":
        filled = bool(spec.vis.get("filled", False))
        for r in rows:
            fill = _setting(spec, "get_fill_color", r, [0, 0, 0, 0])
            line = _setting(spec, "get_line_color", r, [60, 60, 60])
            width = float(_setting(spec, "get_line_width", r, spec.vis.get("line_width_min_pixels", 1)))
            feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [r["polygon"]]},
                          "properties": {"tip": _tip(r), "style": {
                              "fill": filled and _alpha(fill) > 0, "fillColor": _color(fill),
                              "fillOpacity": _alpha(fill), "color": _color(line),
                              "weight": width, "stroke": spec.vis.get("stroked", True) is not False}}})
    elif spec.type == "scatter":
        base = float(spec.vis.get("radius_min_pixels", 3))
        for r in rows:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": r["position"]},
                          "properties": {"tip": _tip(r), "radius": base * (1 + (r["n"] ** 0.5) / 2 if "n" in r else 1),
                                         "style": {"fillColor": _color(r["color"]), "fillOpacity": 0.9,
                                                   "color": "#333333", "weight": 0.7}}})
    return {"type": "FeatureCollection", "features": feats}


#: How each GeoJSON layer is drawn: per-feature style, circle markers, escaped tooltips.
_LAYER_JS = """
(function () {{
  var data = {data};
  var layer = L.geoJSON(data, {{
    style: function (f) {{ return f.properties.style; }},
    pointToLayer: function (f, latlng) {{
      return L.circleMarker(latlng, Object.assign({{radius: f.properties.radius}}, f.properties.style));
    }},
    onEachFeature: function (f, l) {{ if (f.properties.tip) {{ l.bindTooltip(f.properties.tip, {{sticky: true}}); }} }}
  }});
  layer.addTo({map});
  overlays[{name}] = layer;
}})();
"""


def to_html(specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping[str, Any]]],
            title: str, legends: Sequence[Legend], note: str = "", layer_names: Mapping[str, str] | None = None,
            view: Mapping[str, float] | None = None) -> str:
    """A self-contained HTML page of the map: pan, zoom, tooltips and a layer switcher.

    Parameters
    ----------
    layer_names : display name of each layer id in the layer switcher (default: the id)
    view : ``longitude``, ``latitude``, ``zoom`` of the first view (default: fit the data)
    """
    import folium

    names = dict(layer_names or {})
    fmap = folium.Map(location=[view["latitude"], view["longitude"]] if view else [0, 0],
                      zoom_start=int(view["zoom"]) if view else 2, tiles=None, control_scale=True)
    # No CDN: no jQuery, Bootstrap or Font Awesome, and Leaflet itself inline.
    fmap.default_js = []
    fmap.default_css = []
    root: Any = fmap.get_root()  # a branca Figure (header, html, script)
    root.header.add_child(folium.Element(leaflet_inline()), name="leaflet_inline")
    root.header.add_child(folium.Element(
        "<style>html,body{margin:0;height:100%;font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',"
        "'Microsoft YaHei',sans-serif}.riskmap-box{position:absolute;z-index:1000;background:rgba(255,255,255,.92);"
        "padding:6px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)}</style>"), name="riskmap_css")
    title_html = f'<div class="riskmap-box" style="top:10px;left:50px;font-size:18px">{html.escape(title)}</div>'
    legend_div = "".join(legend_html(leg) for leg in legends)
    note_html = f'<div style="color:#a01010;font-size:12px">{html.escape(note)}</div>' if note else ""
    root.html.add_child(folium.Element(title_html + f'<div class="riskmap-box" style="bottom:60px;left:10px;'
                                       f'max-width:45%">{legend_div}{note_html}</div>'))
    map_js = fmap.get_name()
    script = ["var overlays = window.overlays = {};"]
    bounds: list[list[float]] = []
    loose: list[list[float]] = []
    for spec in specs:
        rows = datasets[spec.data]
        invisible = spec.type == "polygon" and spec.vis.get("stroked") is False and not any(
            _alpha(_setting(spec, "get_fill_color", r, [0, 0, 0, 0])) > 0 for r in rows[:50])
        if not spec.visible or spec.type == "text" or not rows or invisible:
            continue  # labels are in the tooltips; an invisible picking layer has no place here
        fc = _features(spec, rows)
        for f in fc["features"]:  # the view fits the boundaries, not a stray point outside them
            g = f["geometry"]
            if g["type"] == "Point":
                pts = [g["coordinates"]]
            else:
                ring = g["coordinates"][0]
                pts = ring[:: max(1, len(ring) // 8)]
            (bounds if spec.type == "polygon" else loose).extend([[p[1], p[0]] for p in pts])
        script.append(_LAYER_JS.format(data=json.dumps(fc, ensure_ascii=False, separators=(",", ":")),
                                       map=map_js, name=json.dumps(names.get(spec.id, spec.id), ensure_ascii=False)))
    script.append(f"L.control.layers(null, overlays, {{collapsed: false}}).addTo({map_js});")
    bounds = bounds or loose
    if bounds and not view:
        lats = [b[0] for b in bounds]
        lons = [b[1] for b in bounds]
        script.append(f"{map_js}.fitBounds([[{min(lats)}, {min(lons)}], [{max(lats)}, {max(lons)}]]);")
    # folium writes the map's own script after the elements added here: run once the page is parsed.
    root.script.add_child(folium.Element("window.addEventListener('DOMContentLoaded', function () {\n"
                                         + "\n".join(script) + "\n});"), name="riskmap_layers")
    out = root.render()
    # The page must reach nothing: fail loudly if any remote reference slipped in.
    remote = re.findall(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", out)
    remote += re.findall(r"""url\(\s*["']?(?:https?:)?//[^)]+""", out)
    if remote:
        raise RuntimeError(f"exported map would load remote files: {remote[:3]}")
    return out
