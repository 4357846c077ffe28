"""Unified social credit code (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z);
the last is a check character: weights 3^i mod 31 over the first 17, and
check = (31 - sum mod 31) mod 31. A failed check is a warning, not a rejection: some
codes issued early fail it.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import ArrayLike, NDArray

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
#: The same pattern for DuckDB's regexp_full_match.
FORMAT_SQL = "[0-9A-HJ-NPQRTUWXY]{18}"

_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _VALUE[ord(_c)] = _i


def check_char(first17: str) -> str:
    """Check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(c) * int(w) for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True if ``code`` has the right form and its check character matches."""
    return bool(FORMAT.match(code)) and check_char(code[:17]) == code[17]


def checksum_ok(codes: ArrayLike) -> NDArray[np.bool_]:
    """Vectorised :func:`is_valid` over many codes (about 0.1 s per million)."""
    arr = np.asarray(codes, dtype=object)
    n = len(arr)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    form = np.fromiter((isinstance(c, str) and FORMAT.match(c) is not None for c in arr), bool, n)
    if not form.any():
        return out
    raw = np.array([c for c in arr[form]], dtype="S18").view(np.uint8).reshape(-1, 18)
    values = _VALUE[raw]
    total = values[:, :17] @ WEIGHTS
    expected = (31 - total % 31) % 31
    out[form] = expected == values[:, 17]
    return out


def org_code_check(first8: str) -> str:
    """GB 11714 check character of an 8-character organisation code (weights 3,7,9,10,5,8,4,2)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(first8, weights))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)
