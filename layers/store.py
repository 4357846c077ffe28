"""Map layer data served over HTTP beside the page, not inside its websocket message.

A map's deck names each layer's data by URL (``/layers/<digest>.json``, a path deck.gl
fetches itself); the rows are written once, gzipped, to a content-addressed file in the data
directory. So:

- a control change sends a deck of a few kilobytes; the browser downloads only the layers it
  has not seen (for the others it asks whether its copy is still good: a 304);
- every worker process reads the same files: the first one to draw a layer writes it, the
  others and every later database version with the same rows reuse it;
- a phone downloads the rows gzipped (a tenth of the JSON), not inside one large message.

A file belongs to a *data scope* (what a user may see: a 网格员's grid, masked people —
:func:`data.access.data_scope`): its digest covers the scope, and the server hands it only to
a logged-in user of that scope (``riskmap.web.layer_data``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: URL prefix of layer data (a route of ``riskmap.web``).
LAYER_PATH = "/layers"
DIGEST = re.compile(r"[0-9a-f]{32}")
#: Files no map has drawn in this long are removed when the server starts
#: (:meth:`LayerStore.sweep`, from ``riskmap.serve``: no worker holds a deck naming them then).
KEEP_DAYS = 14


class LayerStore:
    """Content-addressed, gzipped JSON rows in ``root`` (``<digest>.json.gz`` and its scope in
    ``<digest>.scope``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, rows: Sequence[Mapping[str, Any]], scope: str) -> str:
        """Store ``rows`` for users of ``scope``; return the URL path deck.gl fetches them from."""
        body = json.dumps(list(rows), separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.sha256(scope.encode() + b"\0" + body).hexdigest()[:32]
        path = self.root / f"{digest}.json.gz"
        if path.exists():
            os.utime(path)  # still in use (see sweep)
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: another worker writing the same file at the same time
            # writes the same bytes, and no reader ever sees half of one.
            tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
            tmp.write_text(scope, encoding="utf-8")
            os.replace(tmp, self.root / f"{digest}.scope")
            tmp.write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
            os.replace(tmp, path)
        return f"{LAYER_PATH}/{digest}.json"

    def get(self, digest: str, scope: str) -> bytes | None:
        """The gzipped rows of ``digest`` if it exists and belongs to ``scope``, else None."""
        if not DIGEST.fullmatch(digest):
            return None
        try:
            stored = (self.root / f"{digest}.scope").read_text(encoding="utf-8")
            if stored != scope:
                return None
            path = self.root / f"{digest}.json.gz"
            body = path.read_bytes()
            os.utime(path)  # in use (see sweep)
            return body
        except OSError:
            return None

    def rows(self, url: str) -> list[dict[str, Any]]:
        """The rows behind a URL :meth:`put` returned (for tests and exports)."""
        digest = url.rsplit("/", 1)[-1].removesuffix(".json")
        return json.loads(gzip.decompress((self.root / f"{digest}.json.gz").read_bytes()))

    def sweep(self, keep_days: float = KEEP_DAYS) -> int:
        """Remove the files no map has used for ``keep_days``; return how many rows files went."""
        if not self.root.exists():
            return 0
        cutoff = time.time() - keep_days * 86400
        gone = 0
        for path in self.root.glob("*.json.gz"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    path.with_name(path.name.removesuffix(".json.gz") + ".scope").unlink(missing_ok=True)
                    gone += 1
            except OSError:
                continue
        return gone
