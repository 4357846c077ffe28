"""Layer specs: what a map layer shows, as JSON-serialisable data.

A spec names its dataset rather than holding it, like kepler.gl's ``dataId``, so the same
spec can be saved, compared in tests and drawn by either renderer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LAYER_TYPES = {
    # spec type -> (pydeck layer class, columns the dataset must have)
    "h3": ("H3HexagonLayer", ("hex", "color")),
    "polygon": ("PolygonLayer", ("polygon",)),
    "text": ("TextLayer", ("position", "text")),
    "scatter": ("ScatterplotLayer", ("position", "color")),
}


@dataclass(frozen=True)
class LayerSpec:
    """One map layer.

    Attributes
    ----------
    id : str
        Unique within a map; also the pydeck layer id.
    type : str
        One of :data:`LAYER_TYPES`.
    data : str
        Name of the dataset (a table of records) the layer draws.
    vis : dict
        Visual settings passed to the renderer (opacity, line width, colours...).
    visible : bool
    pickable : bool
        Whether hovering shows the dataset's ``tip`` column.
    """

    id: str
    type: str
    data: str
    vis: dict[str, Any] = field(default_factory=dict)
    visible: bool = True
    pickable: bool = False

    def __post_init__(self) -> None:
        if self.type not in LAYER_TYPES:
            raise ValueError(f"layer {self.id!r}: unknown type {self.type!r}")

    @property
    def required_columns(self) -> tuple[str, ...]:
        return LAYER_TYPES[self.type][1]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The opacity hexagons are drawn with on screen (the paper or basemap shows through a little).
HEX_OPACITY = 0.75
#: The alpha of an area's fill colour on the area maps (乡镇挂牌, 园区).
AREA_ALPHA = 190


@dataclass(frozen=True)
class LegendEntry:
    color: tuple[int, int, int]
    label: str


@dataclass(frozen=True)
class Legend:
    """A legend: a title and one colour swatch per class."""

    title: str
    entries: tuple[LegendEntry, ...]
    note: str = ""
    #: The opacity the classes are drawn with: a swatch shows the colour as drawn on the paper.
    opacity: float = 1.0
