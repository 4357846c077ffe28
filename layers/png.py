"""Server-side map snapshots with matplotlib: the same layer specs and datasets the browser map
draws, plus what a printed map needs — title, legend with the bins, as-of date, data note,
scale bar and north arrow. No browser and no network.

Coordinates are projected to a transverse Mercator centred on the map (metres, north up), so
the scale bar is true across the map. Chinese text uses an open-licence CJK font installed by
the project's own install script (Debian ``fonts-wqy-microhei``), registered explicitly.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from layers.spec import LayerSpec, Legend

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Output sizes: name -> ((width px, height px), dpi). A4 portrait at 300 dpi is 2480 × 3508.
SIZES: dict[str, tuple[tuple[int, int], int]] = {"slide": ((1920, 1080), 100), "a4": ((2480, 3508), 300)}

#: Open-licence CJK fonts, in order of preference (never a proprietary font).
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontMissing(RuntimeError):
    """No CJK font on the machine."""


def cjk_font_file() -> Path:
    for name in CJK_FONT_FILES:
        if Path(name).exists():
            return Path(name)
    raise FontMissing("没有找到中文字体（需要 Debian 的 fonts-wqy-microhei）：请运行 bash scripts/install.sh")


def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; return its family name.

    Also turns mathtext off for every text made from now on (``text.parse_math``): names come
    from imported files, and matplotlib would read ``$…$`` in one as a formula (``$\\cmd$``
    stopped the PDF briefing). Set globally, not in an ``rc_context``, which sessions drawing
    in parallel threads would undo for each other; every figure also passes through
    :func:`literal_text`.
    """
    import matplotlib
    from matplotlib import font_manager

    path = cjk_font_file()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [family]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["pdf.fonttype"] = 42  # embed TrueType, text stays text in a PDF
    matplotlib.rcParams["text.parse_math"] = False
    return family


#: Control characters (but the line break): no font has them, they would print as boxes.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def literal_text(fig: Figure) -> Figure:
    """``fig`` with every text in it (titles, labels, legends, table cells) drawn as given:
    no mathtext, whatever the settings were when the text was made, and no control
    characters. Returns ``fig``."""
    from matplotlib.text import Text

    texts = list(fig.findobj(Text))
    texts += [cell.get_text() for ax in fig.axes for table in ax.tables for cell in table.get_celld().values()]
    for text in texts:
        text.set_parse_math(False)
        if _CONTROL.search(text.get_text()):
            text.set_text(_CONTROL.sub("", text.get_text()))
    return fig


@dataclass
class Frame:
    """What surrounds the map on the page (all text already in the reader's language)."""

    title: str
    subtitle: str = ""
    note: str = ""
    legends: Sequence[Legend] = field(default_factory=list)
    north: str = "北"
    km: str = "公里"
    m: str = "米"
    credit: str = ""
    #: Said under the legends: what the map leaves out or how its points were chosen (a filter).
    caption: str = ""
    #: A document's section heading printed above the title (the PDF briefing's map page).
    heading: str = ""
    #: Who exported the map and when (``reports.marks.Mark.text``), drawn along the bottom edge.
    mark: str = ""


def _projector(lon: np.ndarray, lat: np.ndarray) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from pyproj import Transformer

    lon0 = float((np.nanmin(lon) + np.nanmax(lon)) / 2)
    lat0 = float((np.nanmin(lat) + np.nanmax(lat)) / 2)
    tm = Transformer.from_crs("EPSG:4326", f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 "
                              "+x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs", always_xy=True)
    return tm.transform


def _rgba(color: Any, alpha: float = 1.0) -> tuple[float, float, float, float]:
    c = list(color)
    a = c[3] / 255 if len(c) > 3 else 1.0
    return (c[0] / 255, c[1] / 255, c[2] / 255, a * alpha)


def _value(spec: LayerSpec, key: str, record: Mapping[str, Any], default: Any) -> Any:
    """A visual setting: a constant from the spec, or (when it names a column) the record's value."""
    v = spec.vis.get(key, default)
    if isinstance(v, str) and not v.startswith('"'):
        return record.get(v, default)
    return v


def _rings(spec: LayerSpec, rows: Sequence[Mapping[str, Any]]) -> list[np.ndarray]:
    if spec.type == "h3":
        import h3

        return [np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(r["hex"])]) for r in rows]
    return [np.asarray(r["polygon"], dtype=float) for r in rows]


def text_width(text: str) -> int:
    """Width of ``text`` in Latin characters: a CJK (wide or full-width) character counts 2."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


#: What :func:`wrap_text` keeps on one line: a run of Latin letters, digits and what joins them
#: (a date, a number, a code, a word), else one character.
_UNBROKEN = re.compile(r"[0-9A-Za-z.,:%+\-/()]+|\s|.")
#: Punctuation a line does not start with (it stays at the end of the line before).
_NO_LINE_START = frozenset("，。、；：！？）》」』】”’·")


def wrap_text(text: str, width: int) -> list[str]:
    """``text`` cut into lines of about ``width`` (:func:`text_width`) between any two CJK
    characters, never inside a date, number or Latin word nor before closing punctuation
    (which may stand past ``width``): CJK text has no spaces to break at, and matplotlib's own
    wrapping breaks only at spaces."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for piece in _UNBROKEN.findall(paragraph):
            w = text_width(piece)
            if used + w > width and line.strip() and piece not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
                if piece.isspace():
                    continue
            line, used = line + piece, used + w
        lines.append(line.rstrip())
    return lines


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^n metres) near a fifth of the map width."""
    target = span_m / 5
    p = 10 ** math.floor(math.log10(target))
    return max(m * p for m in (1, 2, 5) if m * p <= target)


def render_figure(specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping[str, Any]]],
                  frame: Frame, size: str = "slide") -> Figure:
    """A matplotlib Figure of the map and its frame (see :func:`render_png`)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrow, Rectangle

    use_cjk_font()
    (w_px, h_px), dpi = SIZES[size]
    fig = Figure(figsize=(w_px / dpi, h_px / dpi), dpi=dpi, facecolor="white")
    slide = size == "slide"
    pt = {"title": 30, "sub": 16, "legend": 13, "note": 11, "map": 10} if slide else \
         {"title": 18, "sub": 10, "legend": 8, "note": 7, "map": 6}
    map_box = (0.03, 0.09, 0.68, 0.76) if slide else (0.06, 0.25, 0.88, 0.62)
    if frame.heading and slide:  # room for the heading above the title
        map_box = (0.03, 0.09, 0.68, 0.71)

    # Projection from every coordinate drawn.
    visible = [s for s in specs if s.visible]
    xs: list[np.ndarray] = []
    for s in visible:
        rows = datasets[s.data]
        if not rows:
            continue
        if s.type in ("h3", "polygon"):
            xs.extend(_rings(s, rows))
        else:
            xs.append(np.asarray([r["position"] for r in rows], dtype=float))
    if not xs:
        raise ValueError("nothing to draw: every layer is empty")
    # The map's extent: its boundaries when it has any (a stray point far outside the city
    # must not shrink the city to a corner), else everything drawn.
    outlines = [np.vstack(_rings(s, datasets[s.data])) for s in visible
                if s.type == "polygon" and datasets[s.data]]
    allxy = np.vstack(outlines or xs)
    project = _projector(allxy[:, 0], allxy[:, 1])

    ax = fig.add_axes(map_box)
    ax.set_axis_off()
    ax.set_aspect("equal")
    for s in visible:
        rows = datasets[s.data]
        if not rows:
            continue
        if s.type in ("h3", "polygon"):
            rings = [np.column_stack(project(r[:, 0], r[:, 1])) for r in _rings(s, rows)]
            filled = s.type == "h3" or bool(s.vis.get("filled", False))
            opacity = 1.0 if s.type == "h3" else float(s.vis.get("opacity", 1.0))  # print: colours as in the legend
            faces = [_rgba(_value(s, "get_fill_color", r, [0, 0, 0, 0]), opacity) if filled else (0, 0, 0, 0)
                     for r in rows] if s.type != "h3" else [_rgba(r["color"], opacity) for r in rows]
            stroked = s.type != "h3" and s.vis.get("stroked", True)
            lines = [_rgba(_value(s, "get_line_color", r, [60, 60, 60])) for r in rows]
            widths = [float(_value(s, "get_line_width", r, s.vis.get("line_width_min_pixels", 1))) * 0.6
                      for r in rows]
            ax.add_collection(PolyCollection(rings, facecolors=faces, edgecolors="none", zorder=len(ax.collections)))
            if stroked:
                ax.add_collection(LineCollection(rings, colors=lines, linewidths=widths, zorder=len(ax.collections)))
        elif s.type == "scatter":
            pos = np.asarray([r["position"] for r in rows], dtype=float)
            x, y = project(pos[:, 0], pos[:, 1])
            base = float(s.vis.get("radius_min_pixels", 3))
            sizes = [(base * (1 + math.sqrt(r["n"]) / 2 if "n" in r else base)) ** 2 for r in rows]
            line = s.vis.get("get_line_color", [40, 40, 40])
            edge = [_rgba(r[line]) for r in rows] if isinstance(line, str) else [_rgba(line)] * len(rows)
            ax.scatter(x, y, s=sizes, c=[_rgba(r["color"]) for r in rows], edgecolors=edge,
                       linewidths=0.5, zorder=len(ax.collections) + 1)
        elif s.type == "text":
            pos = np.asarray([r["position"] for r in rows], dtype=float)
            x, y = project(pos[:, 0], pos[:, 1])
            for xi, yi, r in zip(x, y, rows):
                ax.text(xi, yi, str(r["text"]), fontsize=pt["map"], ha="center", va="center", zorder=1000,
                        bbox={"boxstyle": "round,pad=0.15", "fc": (1, 1, 1, 0.6), "ec": "none"})

    px, py = project(allxy[:, 0], allxy[:, 1])
    x0, x1, y0, y1 = float(np.min(px)), float(np.max(px)), float(np.min(py)), float(np.max(py))
    pad = 0.04 * max(x1 - x0, y1 - y0, 100.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.apply_aspect()
    xa, xb = ax.get_xlim()
    ya, yb = ax.get_ylim()

    # Scale bar (lower left), two segments, in kilometres when long enough.
    length = _nice_length(xb - xa)
    sx, sy, h = xa + 0.04 * (xb - xa), ya + 0.04 * (yb - ya), 0.008 * (yb - ya)
    for i, fc in enumerate(("black", "white")):
        ax.add_patch(Rectangle((sx + i * length / 2, sy), length / 2, h, fc=fc, ec="black", lw=0.8, zorder=2000))
    unit, div = (frame.km, 1000.0) if length >= 1000 else (frame.m, 1.0)
    for frac in (0, 0.5, 1):
        ax.text(sx + frac * length, sy + 1.8 * h, f"{frac * length / div:g}", ha="center", va="bottom",
                fontsize=pt["note"], zorder=2000)
    ax.text(sx + length + 0.02 * (xb - xa), sy + h / 2, unit, ha="left", va="center", fontsize=pt["note"],
            zorder=2000)
    # North arrow (upper right): the projection is centred on the map, so grid north is true north.
    nx, ny, nl = xb - 0.05 * (xb - xa), yb - 0.13 * (yb - ya), 0.07 * (yb - ya)
    ax.add_patch(FancyArrow(nx, ny, 0, nl, width=nl * 0.12, head_width=nl * 0.35, head_length=nl * 0.35,
                            length_includes_head=True, fc="black", ec="black", zorder=2000))
    ax.text(nx, ny + nl * 1.08, frame.north, ha="center", va="bottom", fontsize=pt["legend"], zorder=2000)
    # The frame along the axes' edges, not clipped by them (clipped, the lines on the right and
    # bottom edges fall half outside the clip box and vanish).
    ax.add_patch(Rectangle((xa, ya), xb - xa, yb - ya, fill=False, ec=(0.6, 0.6, 0.6), lw=0.8, zorder=2001,
                           clip_on=False))

    # Heading, title, subtitle, legends, caption, note.
    top = 0.955 if slide else 0.965
    if frame.heading:
        fig.text(0.03 if slide else 0.06, top, frame.heading, fontsize=pt["sub"] * 1.3, va="top")
        top -= 0.05 if slide else 0.028
    fig.text(0.03 if slide else 0.06, top, frame.title, fontsize=pt["title"], va="top")
    if frame.subtitle:
        fig.text(0.03 if slide else 0.06, top - (0.06 if slide else 0.028), frame.subtitle, fontsize=pt["sub"],
                 va="top", color=(0.25, 0.25, 0.25))
    lx, ly = (0.74, 0.82) if slide else (0.06, 0.225)
    step = 0.032 if slide else 0.0125
    for legend in frame.legends:
        if legend.title:
            fig.text(lx, ly, legend.title, fontsize=pt["legend"], va="top")
            ly -= step * 1.15
        for entry in legend.entries:
            fig.patches.append(Rectangle((lx, ly - step * 0.6), 0.018 if slide else 0.04, step * 0.6,
                                         transform=fig.transFigure, fc=_rgba(entry.color), ec=(0.4, 0.4, 0.4),
                                         lw=0.5, figure=fig))
            fig.text(lx + (0.025 if slide else 0.05), ly - step * 0.3, entry.label, fontsize=pt["legend"],
                     va="center")
            ly -= step
        if legend.note:
            fig.text(lx, ly, legend.note, fontsize=pt["note"], va="top", color=(0.35, 0.35, 0.35), wrap=True)
            ly -= step
        ly -= step * 0.5
    if frame.caption:
        caption = "\n".join(wrap_text(frame.caption, 52 if slide else 120))
        fig.text(lx, ly, caption, fontsize=pt["note"], va="top", color=(0.2, 0.2, 0.2), linespacing=1.4)
    bottom = 0.035 if slide else 0.02
    if frame.note:
        fig.text(0.03 if slide else 0.06, bottom, frame.note, fontsize=pt["note"], color=(0.6, 0.1, 0.1), va="bottom")
    if frame.credit:
        fig.text(0.97 if slide else 0.94, bottom, frame.credit, fontsize=pt["note"], color=(0.35, 0.35, 0.35),
                 ha="right", va="bottom")
    if frame.mark:  # the band below the note and the credit, across the page
        fig.text(0.5, 0.006 if slide else 0.005, frame.mark, fontsize=pt["note"] * 0.9, color=(0.45, 0.45, 0.45),
                 ha="center", va="bottom", gid="export_mark")
    return literal_text(fig)


def render_png(specs: Sequence[LayerSpec], datasets: Mapping[str, Sequence[Mapping[str, Any]]],
               frame: Frame, size: str = "slide") -> bytes:
    """The map as PNG bytes of exactly the size in :data:`SIZES` (``slide`` 1920×1080 or ``a4``
    2480×3508 at 300 dpi)."""
    fig = render_figure(specs, datasets, frame, size)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=SIZES[size][1])
    return buf.getvalue()
