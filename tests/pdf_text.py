"""The text on each page of a PDF that matplotlib wrote, read back without a PDF library (the
venv has none): every font matplotlib embeds (TrueType, ``pdf.fonttype`` 42) is a CID font
with a ``ToUnicode`` map, and page contents show 2-byte codes with ``Tj``/``TJ``.

Enough for matplotlib's own output — objects written plainly, streams Flate-compressed, one
font resource dictionary shared by all pages — not a general PDF reader.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_REF = rb"(\d+) 0 R"
#: Content tokens: a literal string (escapes inside), a hex string, a name, an array bracket,
#: or any other word (numbers, operators).
_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>]+|\[|\]|[^\s\[\]()<>/]+", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(num): body for num, body in _OBJECT.findall(data)}


def _stream(body: bytes) -> bytes:
    found = _STREAM.search(body)
    assert found, body[:200]
    raw = found.group(1)
    return zlib.decompress(raw) if b"/FlateDecode" in body[:found.start()] else raw


def _literal(token: bytes) -> bytes:
    """The bytes of a literal string token ``(…)``."""
    out, body, i = bytearray(), token[1:-1], 0
    while i < len(body):
        c = body[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt.isdigit():
            octal = re.match(rb"[0-7]{1,3}", body[i + 1:]).group(0)
            out.append(int(octal, 8) & 0xFF)
            i += 1 + len(octal)
        else:  # a line continuation, or an unknown escape: the character itself
            i += 2
    return bytes(out)


def cmap(text: bytes) -> dict[int, str]:
    """A ToUnicode CMap: code -> text."""
    def uni(hexes: bytes) -> str:
        return bytes.fromhex(hexes.decode()).decode("utf-16-be")

    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for code, u in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(code, 16)] = uni(u)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, rest in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block):
            first, last = int(lo, 16), int(hi, 16)
            if rest.startswith(b"["):
                for k, u in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", rest)):
                    out[first + k] = uni(u)
            else:
                start = int(rest[1:-1], 16)
                for k in range(last - first + 1):
                    out[first + k] = chr(start + k)
    return out


def page_texts(data: bytes) -> list[str]:
    """The text of each page, in page order: each text object (``BT … ET``) on its own line,
    its strings decoded through their font's ToUnicode map."""
    objects = _objects(data)
    fonts: dict[bytes, dict[int, str]] = {}  # resource name -> its map
    # The font resources: a dictionary inline (/Font << /F1 5 0 R >>) or an object of its own.
    blocks = [block for body in objects.values() for block in re.findall(rb"/Font\s*<<(.*?)>>", body, re.S)]
    blocks += [objects[int(num)] for body in objects.values() for num in re.findall(rb"/Font\s+" + _REF, body)]
    for block in blocks:
        for name, num in re.findall(rb"/([^\s/<>]+)\s+" + _REF, block):
            to_unicode = re.search(rb"/ToUnicode\s+" + _REF, objects.get(int(num), b""))
            if to_unicode:
                fonts[name] = cmap(_stream(objects[int(to_unicode.group(1))]))
    kids = next(re.search(rb"/Kids\s*\[(.*?)\]", body, re.S).group(1) for body in objects.values()
                if re.search(rb"/Type\s*/Pages\b", body))
    pages = []
    for num in re.findall(_REF, kids):
        page = objects[int(num)]
        contents = re.search(rb"/Contents\s+" + _REF, page)
        stream = _stream(objects[int(contents.group(1))])
        lines, line, glyphs = [], [], {}
        for token in _TOKEN.findall(stream):
            if token.startswith(b"/") and token[1:] in fonts:
                glyphs = fonts[token[1:]]
            elif token.startswith(b"(") or (token.startswith(b"<") and token != b"<<"):
                raw = _literal(token) if token.startswith(b"(") else bytes.fromhex(token[1:-1].decode())
                line += [glyphs.get(int.from_bytes(raw[k:k + 2], "big"), "\ufffd") for k in range(0, len(raw) - 1, 2)]
            elif token == b"ET":
                lines.append("".join(line))
                line = []
        pages.append("\n".join(lines))
    return pages
