# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal PNG reader (8-bit RGB/RGBA, non-interlaced: what Chromium writes), so the test needs no imaging library."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - up_left))
    return (left, up, up_left)[distances.index(min(distances))]


def read_rgb(data: bytes) -> tuple[int, int, list[bytearray]]:
    """Return (width, height, rows); each row holds ``width * channels`` bytes, RGB first."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    offset, idat, header = len(SIGNATURE), b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _compression, _filter, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    step = CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = width * step
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up = previous[x]
            up_left = previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[x] = (line[x] + _paeth(left, up, up_left)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, rows if step == 3 else [_drop_alpha(row) for row in rows]


def _drop_alpha(row: bytearray) -> bytearray:
    return bytearray(b for index, b in enumerate(row) if index % 4 != 3)


def count_colour(rows: list[bytearray], rgb: tuple[int, int, int], tolerance: int = 6) -> int:
    """Pixels within ``tolerance`` of ``rgb`` on every channel."""
    red, green, blue = rgb
    total = 0
    for row in rows:
        for x in range(0, len(row), 3):
            if abs(row[x] - red) <= tolerance and abs(row[x + 1] - green) <= tolerance and abs(row[x + 2] - blue) <= tolerance:
                total += 1
    return total
