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
