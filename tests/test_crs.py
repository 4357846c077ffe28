"""Coordinate systems against published values from other implementations."""

import numpy as np
import pytest

from geo import crs

# (wgs_lon, wgs_lat, gcj_lon, gcj_lat): eviltransform's and coordtransform's test vectors.
WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Tiananmen
]


@pytest.mark.parametrize("lon, lat, glon, glat", WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_values(lon, lat, glon, glat):
    got = crs.wgs84_to_gcj02(lon, lat)
    assert got[0] == pytest.approx(glon, abs=1e-9)
    assert got[1] == pytest.approx(glat, abs=1e-9)


def test_bd09_matches_published_values():
    assert crs.gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    assert crs.bd09_to_gcj02(116.404, 39.915) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-9)


def test_gcj02_offset_near_wenzhou_is_about_540_m():
    lon, lat = 120.70, 28.00
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    assert crs.haversine_m(lon, lat, glon, glat) == pytest.approx(540, abs=5)


def test_gcj02_and_bd09_round_trips_within_half_a_metre():
    rng = np.random.default_rng(0)
    lon = rng.uniform(120.4, 120.9, 2000)
    lat = rng.uniform(27.6, 28.1, 2000)
    for fwd, back in ((crs.wgs84_to_gcj02, crs.gcj02_to_wgs84), (crs.wgs84_to_bd09, crs.bd09_to_wgs84)):
        blon, blat = back(*fwd(lon, lat))
        assert crs.haversine_m(lon, lat, blon, blat).max() < 0.5


def test_no_offset_outside_china():
    assert crs.wgs84_to_gcj02(2.35, 48.85) == pytest.approx((2.35, 48.85))


@pytest.mark.parametrize("code, easting", [(4549, 500000.0), (4528, 40500000.0)])
def test_gauss_kruger_central_meridian_120(code, easting):
    # On the central meridian the easting is the false easting (zone prefix 40 in EPSG:4528).
    lon, lat = crs.to_wgs84([easting], [3100000.0], code)
    assert lon[0] == pytest.approx(120.0, abs=1e-9)
    assert 27.9 < lat[0] < 28.1
    x, y = crs.from_wgs84(lon, lat, code)
    assert x[0] == pytest.approx(easting, abs=1e-3) and y[0] == pytest.approx(3100000.0, abs=1e-3)


def test_cgcs2000_is_wgs84_to_well_under_a_metre():
    lon, lat = crs.to_wgs84([120.65], [27.85], "cgcs2000")
    assert crs.haversine_m(120.65, 27.85, lon, lat)[0] < 0.1


@pytest.mark.parametrize("name, expected", [("wgs84", "EPSG:4326"), ("GCJ-02", "gcj02"), ("百度坐标", "bd09"),
                                            (4549, "EPSG:4549"), ("epsg:4490", "EPSG:4490")])
def test_crs_names(name, expected):
    assert crs.normalise_crs_name(name) == expected


@pytest.mark.parametrize("name", ["mars", "wgs48", "EPSG:999999", "gcj-2"])
def test_unknown_crs_is_an_error_listing_the_accepted_names(name):
    with pytest.raises(crs.CRSNameError) as err:
        crs.check_crs_name(name)
    message = str(err.value)
    assert f"“{name}”" in message and "EPSG:4326" in message and "gcj02" in message and "auto" in message


@pytest.mark.parametrize("name, expected", [("auto", "auto"), (" AUTO ", "auto"), ("EPSG:4549", "EPSG:4549"),
                                            ("国家2000", "EPSG:4490"), ("84", "EPSG:4326")])
def test_checked_crs_names(name, expected):
    assert crs.check_crs_name(name) == expected


def test_geometries_to_wgs84_from_gcj02_moves_vertices_back():
    import shapely

    square = shapely.box(120.70, 28.00, 120.71, 28.01)
    gcj = shapely.transform(square, lambda c: np.column_stack(crs.wgs84_to_gcj02(c[:, 0], c[:, 1])))
    back = crs.geometries_to_wgs84([gcj], "gcj02")[0]
    assert shapely.hausdorff_distance(back, square) < 1e-7
