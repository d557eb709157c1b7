"""Image dimension sniffing (PNG, JPEG, GIF, WebP, BMP) without Pillow.

Telegram decodes every photo it receives; the test server only needs the size to apply
the same dimension limits (PHOTO_INVALID_DIMENSIONS) and to describe the photo back.
"""

from __future__ import annotations

import struct
from typing import NamedTuple


class ImageInfo(NamedTuple):
    width: int
    height: int
    mime_type: str


def sniff_image(data: bytes) -> ImageInfo | None:
    """Width, height and mime type of an image, or None if the bytes are not one we know."""
    for parser in (_png, _gif, _jpeg, _webp, _bmp):
        try:
            info = parser(data)
        except (struct.error, IndexError):
            info = None
        if info is not None:
            return info
    return None


def _png(data: bytes) -> ImageInfo | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", data[16:24])
    return ImageInfo(w, h, "image/png")


def _gif(data: bytes) -> ImageInfo | None:
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    w, h = struct.unpack("<HH", data[6:10])
    return ImageInfo(w, h, "image/gif")


# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> ImageInfo | None:
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in (0x01, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7):
            pos += 2  # stand-alone markers have no length
            continue
        (seg_len,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF_MARKERS:
            h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return ImageInfo(w, h, "image/jpeg")
        if marker == 0xDA:  # start of scan before any frame header: not a usable JPEG
            return None
        pos += 2 + seg_len
    return None


def _webp(data: bytes) -> ImageInfo | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8 ":
        # Lossy: key frame start code 9d 01 2a, then 14-bit width and height.
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        w, h = struct.unpack("<HH", data[26:30])
        return ImageInfo(w & 0x3FFF, h & 0x3FFF, "image/webp")
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return ImageInfo((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, "image/webp")
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return ImageInfo(w, h, "image/webp")
    return None


def _bmp(data: bytes) -> ImageInfo | None:
    if data[:2] != b"BM" or len(data) < 26:
        return None
    w, h = struct.unpack("<ii", data[18:26])
    return ImageInfo(abs(w), abs(h), "image/bmp")


def make_png(width: int, height: int) -> bytes:
    """A valid (tiny, grey) PNG of the given size: handy for tests of the limits."""
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x80" * width  # filter byte + one grey byte per pixel
    raw = zlib.compress(row * height, 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
