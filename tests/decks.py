"""A map as the browser draws it: the deck Streamlit sent, with each layer's rows fetched from
where its URL points (``layers.store``, served by ``riskmap.web.layer_data``)."""

from __future__ import annotations

import json
from typing import Any

from data import paths
from layers.store import LAYER_PATH, LayerStore


def with_rows(spec: str) -> dict[str, Any]:
    """The deck JSON ``spec`` as a dict, every layer's ``data`` URL replaced by its rows."""
    d = json.loads(spec)
    store = LayerStore(paths.layer_cache_dir())
    for layer in d.get("layers", []):
        data = layer.get("data")
        if isinstance(data, str) and data.startswith(LAYER_PATH + "/"):
            layer["data"] = store.rows(data)
    return d


def with_rows_json(spec: str) -> str:
    """:func:`with_rows` as JSON text again."""
    return json.dumps(with_rows(spec), ensure_ascii=False)
