"""Measurements on the WGS-84 ellipsoid."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def area_km2(geoms: ArrayLike) -> NDArray[np.float64]:
    """Geodesic area of WGS-84 polygons in km² (pyproj.Geod, exact on the ellipsoid).

    Missing geometries give NaN.
    """
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    out = np.full(len(np.asarray(geoms, dtype=object)), np.nan)
    for i, g in enumerate(np.asarray(geoms, dtype=object)):
        if g is not None and not g.is_empty:
            area, _ = geod.geometry_area_perimeter(g)
            out[i] = abs(area) / 1e6
    return out


#: Areas already measured, by the geometry's WKB: boundaries change rarely, and every import
#: measures the same townships, grids and parks again (for the aggregates and for the scores).
_AREA_CACHE: dict[bytes, float] = {}
_AREA_CACHE_MAX = 100_000


def area_km2_of_wkb(wkbs: list[bytes]) -> NDArray[np.float64]:
    """:func:`area_km2` of WKB polygons, each measured once per process (keyed by its bytes)."""
    import hashlib

    import shapely

    keys = [hashlib.blake2b(w, digest_size=16).digest() for w in wkbs]
    missing = [i for i, k in enumerate(keys) if k not in _AREA_CACHE]
    if missing:
        if len(_AREA_CACHE) + len(missing) > _AREA_CACHE_MAX:
            _AREA_CACHE.clear()
        measured = area_km2(shapely.from_wkb([wkbs[i] for i in missing]))
        _AREA_CACHE.update({keys[i]: float(a) for i, a in zip(missing, measured)})
    return np.array([_AREA_CACHE[k] for k in keys], dtype=float)
