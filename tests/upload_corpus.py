"""Hostile and odd uploads, generated (never hand-collected): ``python tests/upload_corpus.py`` writes them to tests/data/."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with a few bytes of data: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def corpus() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8), "RGB")
    jpeg = _save(photo, "JPEG", quality=90)
    frames = [Image.fromarray(np.full((32, 32), v, np.uint8), "L").convert("P") for v in (0, 128, 255)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return {
        "text-named.png": b"This is not an image, whatever its name says.\n",
        "empty.png": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "bomb.png": _png_claiming(50_000, 50_000),
        "sixteen-bit.png": _save(Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)), "PNG"),
        "cmyk.jpg": _save(Image.new("CMYK", (40, 30), (0, 128, 255, 0)), "JPEG"),
        "animated.gif": gif.getvalue(),
        "one-pixel.png": _save(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"),
        "very-wide.png": _save(Image.new("L", (10_000, 10), 90), "PNG"),
        "photo.jpg": jpeg,
        "photo.webp": _save(photo, "WEBP"),
    }


if __name__ == "__main__":
    folder = Path(__file__).resolve().parent / "data"
    folder.mkdir(exist_ok=True)
    for name, data in corpus().items():
        (folder / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
