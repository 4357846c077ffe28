"""Writing a benchmark's table into BENCHMARKS.md between its own markers."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def replace_section(start: str, end: str, lines: list[str], path: Path = BENCHMARKS) -> None:
    """Put ``lines`` (which begin with ``start`` and end with ``end``) in place of that section
    of ``path``, or at its end the first time; the other benchmarks' sections stay as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text:
        text = text[: text.index(start)] + "\n".join(lines) + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    print("\n".join(lines))
