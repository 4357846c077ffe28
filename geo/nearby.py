"""Around a point: a point read from typed text, distances in metres, the circle of a radius and
the cells a click on a map picks.

Points are measured geodesically on the WGS-84 ellipsoid (``pyproj.Geod``, Karney's algorithm).
Polygons are measured in an azimuthal equidistant projection centred on the point: there the
distance from the centre to any point is its geodesic distance, so a park's nearest edge is
true to well under a metre at a few kilometres. Nothing is measured in degrees.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.crs import normalise_crs_name, to_wgs84

if TYPE_CHECKING:
    from pyproj import Geod, Transformer

Floats = NDArray[np.float64]

#: The systems a typed point may be in: WGS-84 / CGCS2000 (the same to a few centimetres),
#: GCJ-02 (Amap, Tencent) and BD-09 (Baidu); the two last are converted by formula.
POINT_CRS = ("EPSG:4326", "EPSG:4490", "gcj02", "bd09")
#: Where a point in China can be: a pair that fits only the other way round is read as "lat, lon".
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

_MARK = r"东经|西经|北纬|南纬|[NSEW]"
_ONE = r"(?P<pre{i}>" + _MARK + r")?\s*(?P<num{i}>[-+]?\d+(?:\.\d+)?)\s*°?\s*(?P<post{i}>[NSEW](?![\d.]))?"
_POINT_TEXT = re.compile(r"\s*" + _ONE.format(i=1) + r"\s*[,;/，；、\s]\s*" + _ONE.format(i=2) + r"\s*",
                         re.IGNORECASE)
_LON_MARKS = {"E": 1.0, "W": -1.0, "东经": 1.0, "西经": -1.0}
_LAT_MARKS = {"N": 1.0, "S": -1.0, "北纬": 1.0, "南纬": -1.0}


class PointTextError(ValueError):
    """Text that is not a longitude/latitude pair (the page says so in the user's language)."""


@dataclass(frozen=True)
class Point:
    """A point in WGS-84 degrees; ``swapped`` when the text gave latitude first."""

    lon: float
    lat: float
    swapped: bool = False


def _in_china(lon: float, lat: float) -> bool:
    return CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]


def _axis(mark: str | None) -> tuple[str | None, float]:
    """("lon" | "lat" | None, sign) of a hemisphere mark."""
    if not mark:
        return None, 1.0
    key = mark.upper() if mark.isascii() else mark
    if key in _LON_MARKS:
        return "lon", _LON_MARKS[key]
    return "lat", _LAT_MARKS[key]


def text_to_point(text: str, crs: str = "wgs84") -> Point:
    """Read a typed point: two decimal numbers, longitude first or latitude first.

    Parameters
    ----------
    text : str
        ``"120.65, 27.85"``, ``"27.85, 120.65"`` (as map sites copy it), ``"120.65 27.85"``,
        ``"N27.85 E120.65"``, ``"东经120.65 北纬27.85"``; separated by a comma, semicolon, slash
        or space (full-width ones too), each number optionally with ``°`` and a hemisphere.
    crs : str
        The system the numbers are in: any name of :data:`POINT_CRS` (``"wgs84"``,
        ``"cgcs2000"``, ``"gcj02"``, ``"bd09"``); the point returned is WGS-84.

    Returns
    -------
    Point
        Longitude and latitude in WGS-84 degrees. The order is the hemisphere marks' if there
        are any; without marks, latitude first is assumed only when the pair fits China's range
        (lon 73–136°, lat 3–54°) that way alone, or when the first number cannot be a longitude
        paired with the second (|first| ≤ 90 < |second|).

    Raises
    ------
    PointTextError
        Not two numbers, two marks of one axis, or a latitude beyond ±90° / longitude beyond ±180°.
    """
    name = normalise_crs_name(crs)
    if name not in POINT_CRS:
        raise PointTextError(f"a typed point is in WGS-84, CGCS2000, GCJ-02 or BD-09, not {crs!r}")
    m = _POINT_TEXT.fullmatch(text.replace("\u3000", " "))
    if m is None:
        raise PointTextError(f"not a longitude/latitude pair: {text!r}")
    values, axes = [], []
    for i in (1, 2):
        pre, post = m[f"pre{i}"], m[f"post{i}"]
        if pre and post:
            raise PointTextError(f"two hemisphere marks on one number: {text!r}")
        axis, sign = _axis(pre or post)
        number = float(m[f"num{i}"])
        values.append(-abs(number) if sign < 0 else number)
        axes.append(axis)
    a, b = values
    if axes[0] is not None or axes[1] is not None:
        if axes[0] == axes[1]:
            raise PointTextError(f"both numbers marked as the same axis: {text!r}")
        swapped = axes[0] == "lat" or axes[1] == "lon"
    else:
        swapped = not _in_china(a, b) and (_in_china(b, a) or abs(a) <= 90 < abs(b))
    lon, lat = (b, a) if swapped else (a, b)
    if not (abs(lat) <= 90 and abs(lon) <= 180):
        raise PointTextError(f"latitude beyond ±90° or longitude beyond ±180°: {text!r}")
    if name in ("gcj02", "bd09"):
        x, y = to_wgs84([lon], [lat], name)
        lon, lat = float(x[0]), float(y[0])
    return Point(lon, lat, swapped)


def _geod() -> Geod:
    from pyproj import Geod

    return Geod(ellps="WGS84")


def distances_m(lon: float, lat: float, lons: ArrayLike, lats: ArrayLike) -> Floats:
    """Geodesic distances in metres from (``lon``, ``lat``) to each point, vectorised.

    Parameters
    ----------
    lon, lat : float
        The centre, WGS-84 degrees.
    lons, lats : array-like of float
        The points, WGS-84 degrees; NaN where a point has no coordinates.

    Returns
    -------
    numpy.ndarray of float64
        Metres on the WGS-84 ellipsoid; NaN where a point is missing.
    """
    x = np.asarray(lons, dtype=np.float64)
    y = np.asarray(lats, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        _, _, d = _geod().inv(np.full(int(ok.sum()), lon), np.full(int(ok.sum()), lat), x[ok], y[ok])
        out[ok] = d
    return out


def local_projection(lon: float, lat: float) -> Transformer:
    """WGS-84 degrees to metres east/north of (``lon``, ``lat``): an azimuthal equidistant
    projection centred on the point (``always_xy``)."""
    from pyproj import CRS, Transformer

    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={float(lat)!r} +lon_0={float(lon)!r} +datum=WGS84 +units=m +no_defs")
    return Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)


def polygon_distances_m(lon: float, lat: float, geoms: ArrayLike) -> tuple[Floats, Floats, NDArray[np.bool_]]:
    """How far each polygon is from (``lon``, ``lat``), vectorised over shapely geometries.

    Parameters
    ----------
    lon, lat : float
        The point, WGS-84 degrees.
    geoms : array-like of shapely geometries
        WGS-84 polygons; None or empty gives NaN and False.

    Returns
    -------
    (distance_m, boundary_m, contains)
        Metres to the polygon (0 when the point is in it or on its edge), metres to its
        boundary line (how far its edge is, from inside or out), and whether it holds the point.
    """
    import shapely

    arr = np.asarray(geoms, dtype=object)
    missing = np.array([g is None or g.is_empty for g in arr], dtype=bool)
    distance, boundary = np.full(len(arr), np.nan), np.full(len(arr), np.nan)
    contains = np.zeros(len(arr), dtype=bool)
    if (~missing).any():
        proj = local_projection(lon, lat)

        def to_metres(coords: Floats) -> Floats:
            return np.column_stack(proj.transform(coords[:, 0], coords[:, 1]))

        local = shapely.transform(arr[~missing], to_metres)
        origin = shapely.Point(0.0, 0.0)
        distance[~missing] = shapely.distance(origin, local)
        boundary[~missing] = shapely.distance(origin, shapely.boundary(local))
        contains[~missing] = shapely.intersects(local, origin)
    return distance, boundary, contains


def circle_lonlat(lon: float, lat: float, radius_m: float, n: int = 90) -> list[list[float]]:
    """The geodesic circle of ``radius_m`` metres around the point, as a closed ring of ``n``
    + 1 [lon, lat] vertices in WGS-84 degrees (what a map layer draws)."""
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = _geod().fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, float(radius_m)))
    ring = np.round(np.column_stack([x, y]), 7).tolist()
    return [*ring, ring[0]]


def bbox_deg(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a box holding the circle with a 1 % margin: the
    range a database narrows its candidates to before they are measured."""
    x, y, _ = _geod().fwd(np.full(4, lon), np.full(4, lat), [0.0, 90.0, 180.0, 270.0],
                          np.full(4, float(radius_m) * 1.01 + 1.0))
    return float(x[3]), float(y[2]), float(x[1]), float(y[0])


#: Most rings of cells a click layer has around its point (1 + 3k(k + 1) cells: 4,921 at 40;
#: 28 KB gzipped).
PICK_RINGS = 40


def pick_cells(lon: float, lat: float, radius_m: float, reach: float = 2.0,
               rings: int = PICK_RINGS) -> tuple[int, list[str]]:
    """The H3 cells a click on a map around the point can land on, as (resolution, hex ids):
    the finest resolution at which ``rings`` rings of cells reach ``reach`` radii from the point
    in every direction. A click is read as its cell's centre, within half a cell's spacing:
    about 10 m at a 200 m radius, 65 m at 1 km, 175 m at 5 km.

    Parameters
    ----------
    lon, lat : float
        The point, WGS-84 degrees.
    radius_m : float
        The radius in metres.

    Notes
    -----
    The centres of ring k lie on a hexagon whose nearest sides are k * spacing * √3/2 from the
    centre; the spacing is measured here, between the point's cell and its neighbours (cells
    of one resolution differ in size across the globe).
    """
    import h3

    for res in range(12, 6, -1):
        centre = h3.latlng_to_cell(lat, lon, res)
        spacing = min(h3.great_circle_distance(h3.cell_to_latlng(centre), h3.cell_to_latlng(c), unit="m")
                      for c in h3.grid_ring(centre, 1))
        k = math.ceil(reach * radius_m / (spacing * math.sqrt(3) / 2))
        if k <= rings or res == 7:
            break
    return res, sorted(h3.grid_disk(centre, min(k, rings)))


def area_cells(geoms: ArrayLike, res: int = 7) -> list[str]:
    """H3 cells (hex ids) whose centres lie in the union of ``geoms`` (WGS-84 polygons): a
    coarse click layer over a whole city (r7: about 5 km² a cell)."""
    import h3
    import shapely

    arr = [g for g in np.asarray(geoms, dtype=object) if g is not None and not g.is_empty]
    if not arr:
        return []
    union = shapely.union_all(arr)
    if union.geom_type not in ("Polygon", "MultiPolygon"):
        return []
    return sorted(h3.geo_to_cells(union.__geo_interface__, res))


def cell_to_lonlat(cell: str) -> tuple[float, float]:
    """The centre of an H3 cell (hex id) as (lon, lat), WGS-84 degrees."""
    import h3

    lat, lon = h3.cell_to_latlng(cell)
    return float(lon), float(lat)
