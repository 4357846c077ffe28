"""Optional basemaps. The default is none: the map draws fully offline. A basemap is a raster
tile source inside the inline map style; for tiles in GCJ-02 (Amap-style), every overlay is
shifted into GCJ-02 so that it lands on the right street (≈540 m near Wenzhou)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.crs import wgs84_to_gcj02
from layers.spec import LayerSpec

TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
            "&TILECOL={{x}}&tk={tk}")
_URL = re.compile(r"^https?://[^\s\"'<>]+$")


class BasemapError(ValueError):
    """A basemap setting that cannot be used (the message says why, in Chinese)."""


@dataclass(frozen=True)
class Basemap:
    """Raster tile URLs (``{z}/{x}/{y}`` templates) and the coordinate system of the tiles."""

    tiles: tuple[str, ...]
    crs: str = "wgs84"  # or "gcj02"
    attribution: str = ""


def tianditu(tk: str) -> Basemap:
    """天地图 vector map with annotations; its tiles are in CGCS2000 (WGS-84 to well under a metre)."""
    tk = tk.strip()
    if not re.fullmatch(r"[0-9a-fA-F]{16,64}", tk):
        raise BasemapError("天地图密钥（tk）应为 16–64 位十六进制字符")
    return Basemap(tuple(TIANDITU.format(s=0, layer=layer, tk=tk) for layer in ("vec", "cva")), "wgs84", "天地图")


def xyz(url: str, crs: str = "wgs84") -> Basemap:
    """Any XYZ tile URL with ``{z}``, ``{x}`` and ``{y}``."""
    url = url.strip()
    if not _URL.match(url) or not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise BasemapError("瓦片地址应以 http(s):// 开头并包含 {z}、{x}、{y}")
    if crs not in ("wgs84", "gcj02"):
        raise BasemapError("瓦片坐标系应为 WGS-84 或 GCJ-02")
    return Basemap((url,), crs)


def raster_style(basemap: Basemap) -> dict[str, Any]:
    """A MapLibre style whose only sources are the basemap's raster tiles."""
    sources = {f"tiles{i}": {"type": "raster", "tiles": [u], "tileSize": 256, "attribution": basemap.attribution}
               for i, u in enumerate(basemap.tiles)}
    layers = [{"id": "background", "type": "background", "paint": {"background-color": "#f7f5f0"}}]
    layers += [{"id": name, "type": "raster", "source": name} for name in sources]
    return {"version": 8, "name": "basemap", "sources": sources, "layers": layers}


def _shift(coords: Any) -> Any:
    arr = np.asarray(coords, dtype=float)
    lon, lat = wgs84_to_gcj02(arr[..., 0], arr[..., 1])
    return np.round(np.stack([lon, lat], axis=-1), 7).tolist()


def to_gcj02(specs: list[LayerSpec], datasets: dict[str, list[dict[str, Any]]]) -> tuple[list[LayerSpec], dict]:
    """Shift every overlay into GCJ-02. H3 layers become polygon layers of shifted cell outlines
    (deck.gl would otherwise draw each hexagon from its id, in WGS-84)."""
    import h3

    out_specs: list[LayerSpec] = []
    out: dict[str, list[dict[str, Any]]] = {}
    for spec in specs:
        rows = datasets[spec.data]
        if spec.type == "h3":
            polys = [{**{k: v for k, v in r.items() if k != "hex"},
                      "polygon": _shift([[lng, lat] for lat, lng in h3.cell_to_boundary(r["hex"])])} for r in rows]
            out[spec.data] = polys
            vis = {"filled": True, "stroked": False, "get_fill_color": "color", **{
                k: v for k, v in spec.vis.items() if k not in ("get_hexagon", "extruded")}}
            out_specs.append(LayerSpec(spec.id, "polygon", spec.data, vis, spec.visible, spec.pickable))
            continue
        if spec.data not in out:
            shifted = []
            for r in rows:
                r = dict(r)
                if "polygon" in r:
                    r["polygon"] = _shift(r["polygon"])
                if "position" in r:
                    r["position"] = _shift(r["position"])
                shifted.append(r)
            out[spec.data] = shifted
        out_specs.append(spec)
    return out_specs, out
