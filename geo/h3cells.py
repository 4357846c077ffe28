"""H3 cells. Internally a cell is a ``uint64``; hex strings exist only at the edges
(pydeck's H3HexagonLayer, CSV exports). 0 is H3's null cell and marks a missing point."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Resolutions computed for every enterprise: r7 ≈ 5.2 km², r8 ≈ 0.74 km², r9 ≈ 0.11 km².
RESOLUTIONS = (7, 8, 9)

Cells = NDArray[np.uint64]


def latlng_to_cells(lat: ArrayLike, lng: ArrayLike, res: int) -> Cells:
    """Index points to H3 cells, vectorised.

    Parameters
    ----------
    lat, lng : array-like of float, degrees (WGS-84)
    res : int
        H3 resolution, 0-15.

    Returns
    -------
    numpy.ndarray of uint64
        One cell per point; ``0`` (no cell) where a coordinate is missing (NaN).
    """
    from h3ronpy.vector import coordinates_to_cells

    lat_a = np.asarray(lat, dtype=np.float64)
    lng_a = np.asarray(lng, dtype=np.float64)
    if lat_a.shape != lng_a.shape:
        raise ValueError("lat and lng must have the same shape")
    out = np.zeros(lat_a.shape, dtype=np.uint64)
    ok = np.isfinite(lat_a) & np.isfinite(lng_a)
    if ok.any():
        cells = coordinates_to_cells(
            np.ascontiguousarray(lat_a[ok]), np.ascontiguousarray(lng_a[ok]), res
        )
        out[ok] = np.asarray(cells, dtype=np.uint64)
    return out


def cells_to_str(cells: ArrayLike) -> list[str]:
    """Hex strings of cells (``"8841b6656bfffff"``), as h3-py and deck.gl spell them."""
    return [format(int(c), "x") for c in np.asarray(cells, dtype=np.uint64)]


def str_to_cells(strings: list[str]) -> Cells:
    """Inverse of :func:`cells_to_str`."""
    return np.array([int(s, 16) for s in strings], dtype=np.uint64)


def cell_area_km2(res: int) -> float:
    """Average hexagon area at a resolution, km² (from H3's published table)."""
    import h3

    return float(h3.average_hexagon_area(res, unit="km^2"))
