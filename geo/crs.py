"""Coordinate reference systems: everything is stored as WGS-84 longitude/latitude.

Projected and geodetic systems (CGCS2000, its Gauss-Kruger zones, WGS-84) go through
pyproj. The two obfuscated Chinese systems, GCJ-02 ("Mars coordinates", used by Amap and
Tencent) and BD-09 (Baidu), have no EPSG code; they are converted by their published
formulas, vectorised over numpy arrays.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from pyproj import Transformer

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0

#: Names accepted for the two formula-based systems (case-insensitive).
GCJ02_NAMES = frozenset({"gcj02", "gcj-02", "gcj", "amap", "火星坐标"})
BD09_NAMES = frozenset({"bd09", "bd-09", "baidu", "百度坐标"})
#: Short names for common EPSG codes, so ledgers can say "cgcs2000" rather than a number.
CRS_ALIASES = {
    "wgs84": "EPSG:4326",
    "wgs-84": "EPSG:4326",
    "wgs 84": "EPSG:4326",
    "84": "EPSG:4326",
    "epsg:4326": "EPSG:4326",
    "cgcs2000": "EPSG:4490",
    "cgcs-2000": "EPSG:4490",
    "2000": "EPSG:4490",
    "国家2000": "EPSG:4490",
    "2000国家大地坐标系": "EPSG:4490",
    "epsg:4490": "EPSG:4490",
}
#: What a user may write, for the message that refuses anything else.
ACCEPTED_NAMES = ("EPSG:4326（WGS-84，也可写 wgs84）", "cgcs2000（EPSG:4490）",
                  "高斯-克吕格 EPSG 代码（如 EPSG:4549 中央经线 120°、EPSG:4528 带号 40）",
                  "gcj02（高德、腾讯）", "bd09（百度）", "auto（按数值判断）")


class CRSNameError(ValueError):
    """A coordinate system name nobody recognises; the message lists the accepted ones."""

    def __init__(self, name: object):
        super().__init__(f"无法识别的坐标系“{name}”。可用：" + "；".join(ACCEPTED_NAMES))
        self.name = name

Floats = NDArray[np.float64]


def normalise_crs_name(crs: str | int) -> str:
    """Return the canonical name of a coordinate system.

    Parameters
    ----------
    crs : str or int
        ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"``, an EPSG code such as ``4549`` or
        ``"EPSG:4549"``.

    Returns
    -------
    str
        ``"gcj02"``, ``"bd09"`` or an ``"EPSG:n"`` string.
    """
    if isinstance(crs, int):
        return f"EPSG:{crs}"
    key = str(crs).strip().lower()
    if key in GCJ02_NAMES:
        return "gcj02"
    if key in BD09_NAMES:
        return "bd09"
    if key in CRS_ALIASES:
        return CRS_ALIASES[key]
    if key.isdigit():
        return f"EPSG:{key}"
    if key.startswith("epsg:") and key[5:].isdigit():
        return f"EPSG:{key[5:]}"
    raise CRSNameError(crs)


def check_crs_name(crs: str | int) -> str:
    """The canonical name of ``crs`` (``"auto"`` allowed), checked against pyproj for EPSG codes.

    Raises
    ------
    CRSNameError
        An unknown name, or an EPSG code pyproj does not know.
    """
    if str(crs).strip().lower() == "auto":
        return "auto"
    name = normalise_crs_name(crs)
    if name.startswith("EPSG:"):
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(name)
        except CRSError:
            raise CRSNameError(crs) from None
    return name


def _as_arrays(x: ArrayLike, y: ArrayLike) -> tuple[Floats, Floats]:
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the rough box in which GCJ-02 applies an offset."""
    lon_a, lat_a = _as_arrays(lon, lat)
    return (lon_a < 72.004) | (lon_a > 137.8347) | (lat_a < 0.8293) | (lat_a > 55.8271)


def _gcj_delta(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """GCJ-02 offset in degrees (dlon, dlat) at WGS-84 positions."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _GCJ_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert WGS-84 degrees to GCJ-02 degrees (the published forward formula)."""
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[Floats, Floats]:
    """Convert GCJ-02 degrees to WGS-84 degrees.

    The forward formula has no closed-form inverse; a fixed-point iteration converges to
    ``tol_deg`` (1e-10 degrees is about 0.01 mm) in a handful of steps.
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon -= e_lon
        w_lat -= e_lat
        if np.all(np.abs(e_lon) < tol_deg) and np.all(np.abs(e_lat) < tol_deg):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert GCJ-02 degrees to Baidu BD-09 degrees."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert Baidu BD-09 degrees to GCJ-02 degrees."""
    b_lon, b_lat = _as_arrays(lon, lat)
    x, y = b_lon - 0.0065, b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert Baidu BD-09 degrees to WGS-84 degrees."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats]:
    """Convert WGS-84 degrees to Baidu BD-09 degrees."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


#: The formula-based systems: name -> (to WGS-84, from WGS-84).
_FORMULAS = {
    "gcj02": (gcj02_to_wgs84, wgs84_to_gcj02),
    "bd09": (bd09_to_wgs84, wgs84_to_bd09),
}


def _convert(x: ArrayLike, y: ArrayLike, crs: str | int, to_wgs: bool) -> tuple[Floats, Floats]:
    name = normalise_crs_name(crs)
    if name in _FORMULAS:
        return _FORMULAS[name][0 if to_wgs else 1](x, y)
    x_a, y_a = _as_arrays(x, y)
    if name == "EPSG:4326":
        return x_a.copy(), y_a.copy()
    src, dst = (name, "EPSG:4326") if to_wgs else ("EPSG:4326", name)
    u, v = _transformer(src, dst).transform(x_a, y_a)
    return np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str | int) -> tuple[Floats, Floats]:
    """Convert coordinates in ``crs`` to WGS-84 longitude/latitude in degrees.

    Parameters
    ----------
    x, y : array-like
        Easting/northing in metres for projected systems, longitude/latitude in degrees
        otherwise. Projected Gauss-Kruger eastings must match the EPSG definition (with the
        zone prefix for the 3-degree zone codes that carry one, e.g. EPSG:4528).
    crs : str or int
        Any name accepted by :func:`normalise_crs_name`.

    Returns
    -------
    (lon, lat) : tuple of float64 arrays, degrees
        NaN inputs stay NaN.
    """
    return _convert(x, y, crs, to_wgs=True)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str | int) -> tuple[Floats, Floats]:
    """Convert WGS-84 degrees to ``crs`` (the inverse of :func:`to_wgs84`)."""
    return _convert(lon, lat, crs, to_wgs=False)


def geometries_to_wgs84(geoms: ArrayLike, crs: str | int) -> NDArray[np.object_]:
    """Convert an array of shapely geometries from ``crs`` to WGS-84, vertex by vertex."""
    import shapely

    name = normalise_crs_name(crs)
    arr = np.asarray(geoms, dtype=object)
    if name == "EPSG:4326":
        return arr

    def _convert(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], name)
        return np.column_stack([lon, lat])

    return shapely.transform(arr, _convert)


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Floats:
    """Great-circle distance in metres on a sphere of radius 6,371,008.8 m."""
    lo1, la1 = _as_arrays(lon1, lat1)
    lo2, la2 = _as_arrays(lon2, lat2)
    p1, p2 = np.radians(la1), np.radians(la2)
    dp, dl = p2 - p1, np.radians(lo2 - lo1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


class CRSDetectionError(ValueError):
    """Coordinates whose system cannot be told from their values."""


def detect_crs(x: ArrayLike, y: ArrayLike, lon_hint: float | None = None) -> tuple[str, str]:
    """Guess the coordinate system of coordinates from their values.

    Rules (on the median of the finite pairs, so a few typos do not decide):

    - longitude/latitude in China's range: geographic, taken as ``EPSG:4326`` (WGS-84 and
      CGCS2000 differ by centimetres; GCJ-02 or BD-09 cannot be told from values and must be
      declared);
    - an easting of 8 digits starting with a zone number: Gauss-Kruger with the zone prefix —
      zones 25–45 are 3-degree (EPSG:4513–4533), 13–23 are 6-degree (EPSG:4491–4501);
    - an easting of 6 digits around 500,000 m and a northing of 7 digits: 3-degree
      Gauss-Kruger without the prefix; its central meridian is the 3-degree one nearest
      ``lon_hint`` (e.g. the city's centre), EPSG:4534–4554.

    Returns
    -------
    (crs, explanation) : the canonical CRS name and a sentence saying why, in Chinese.

    Raises
    ------
    CRSDetectionError
        When the values fit none of these, or the central meridian is needed but no hint given.
    """
    xs, ys = _as_arrays(x, y)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        raise CRSDetectionError("没有可用的坐标值，无法判断坐标系")
    mx, my = float(np.median(xs[ok])), float(np.median(ys[ok]))
    if 73 <= mx <= 136 and 3 <= my <= 54:
        return "EPSG:4326", "数值为经纬度，按 WGS-84 处理（GCJ-02、BD-09 无法从数值判断，需声明）"
    if 1e6 <= my <= 6.1e6:
        zone = int(mx // 1e6)
        if 25 <= zone <= 45 and 1e5 <= mx - zone * 1e6 <= 9e5:
            return f"EPSG:{4513 + zone - 25}", f"横坐标带 {zone} 号带前缀，按 CGCS2000 3 度带高斯-克吕格处理"
        if 13 <= zone <= 23 and 1e5 <= mx - zone * 1e6 <= 9e5:
            return f"EPSG:{4491 + zone - 13}", f"横坐标带 {zone} 号带前缀，按 CGCS2000 6 度带高斯-克吕格处理"
        if 1e5 <= mx <= 9e5:
            if lon_hint is None:
                raise CRSDetectionError("横坐标没有带号，需要城市位置才能确定中央经线")
            cm = int(round(lon_hint / 3.0)) * 3
            if not 75 <= cm <= 135:
                raise CRSDetectionError(f"中央经线 {cm}° 不在中国范围内")
            return (f"EPSG:{4534 + (cm - 75) // 3}",
                    f"平面坐标无带号，按 CGCS2000 3 度带高斯-克吕格、中央经线 {cm}°E 处理")
    raise CRSDetectionError(f"无法从数值判断坐标系（横坐标中位数 {mx:.6g}，纵坐标中位数 {my:.6g}），请声明坐标系")
