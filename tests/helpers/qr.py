"""QR codes read back from images by a real reader (zbar, through pyzbar)."""

from __future__ import annotations

from PIL import Image
from pyzbar import pyzbar


def decode(image: Image.Image) -> list[str]:
    """Every QR code zbar finds on an image, as text."""
    found = pyzbar.decode(image.convert("L"), symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [symbol.data.decode("ascii") for symbol in found]


def decode_files(paths) -> list[str]:
    """Every QR code on the image files at `paths`, in order."""
    texts: list[str] = []
    for path in paths:
        with Image.open(path) as image:
            texts.extend(decode(image))
    return texts
