"""H3 indexing and credit-code checksums against known answers."""

import h3
import numpy as np
import pytest

from data import uscc
from geo.h3cells import cells_to_str, latlng_to_cells, str_to_cells


def test_pinned_cell_from_h3_documentation():
    cells = latlng_to_cells([37.3615593], [-122.0553238], 5)
    assert cells_to_str(cells) == ["85283473fffffff"]


def test_vectorised_cells_equal_h3_py_loop():
    rng = np.random.default_rng(1)
    lat, lng = rng.uniform(27.6, 28.1, 500), rng.uniform(120.4, 120.9, 500)
    for res in (7, 8, 9):
        expected = [h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lng)]
        assert cells_to_str(latlng_to_cells(lat, lng, res)) == expected


def test_missing_coordinates_give_the_null_cell():
    cells = latlng_to_cells([28.0, np.nan], [120.7, 120.7], 9)
    assert cells[1] == 0 and cells[0] != 0


def test_string_round_trip():
    cells = latlng_to_cells([28.0, 27.9], [120.7, 120.6], 8)
    assert np.array_equal(str_to_cells(cells_to_str(cells)), cells)


@pytest.mark.parametrize("code, ok", [
    ("91330100716105852F", True),    # a public code
    ("91330100716105852E", False),   # last character tampered
    ("91330100716105862F", False),   # a body digit tampered
    ("9133010071610585", False),     # too short
    ("91330100716105852I", False),   # I is not in the alphabet
])
def test_uscc_checksum(code, ok):
    assert uscc.is_valid(code) is ok
    assert bool(uscc.checksum_ok([code])[0]) is ok


def test_letters_in_the_division_code_are_allowed():
    # python-stdnum rejects these; GB 32100 only requires the alphabet and the check.
    body = "91A3B1C0716105852"
    code = body + uscc.check_char(body)
    assert uscc.is_valid(code)


def test_vectorised_checksum_matches_scalar_on_many_codes():
    rng = np.random.default_rng(2)
    alphabet = np.array(list(uscc.ALPHABET))
    codes = ["".join(rng.choice(alphabet, 18)) for _ in range(3000)]
    codes += [c[:17] + uscc.check_char(c[:17]) for c in codes[:1000]]
    assert uscc.checksum_ok(codes).tolist() == [uscc.is_valid(c) for c in codes]
