"""Which installed font sets a given text: the one helper behind labels, the handbook and
every PDF.

A font is chosen by what it holds, not by its name: its character map (read with
fontTools) must have a glyph for every character of the text being set, in the
regular and the bold face. A CJK fallback font such as Droid Sans Fallback has no
Latin letters at all; picked by name, it prints every code as boxes (issue 13).
When no installed font holds the text, the choice fails with a message naming the
characters, instead of printing boxes.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kiosk.errors import ServiceError
from kiosk.i18n import _

FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    str(Path.home() / ".local/share/fonts"),
    str(Path.home() / ".fonts"),
)


@dataclass(frozen=True)
class Face:
    """A TrueType/OpenType font: its regular and bold files (a .ttc names a face inside)."""

    family: str
    regular: str
    bold: str
    regular_index: int = 0
    bold_index: int = 0

    @property
    def cjk(self) -> bool:
        return not missing(self, "中文汉字")


# Families worth trying, best first: (family, regular file names, bold file names, the
# family-name suffix of the wanted face inside a collection).
KNOWN_FAMILIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        "Noto Sans CJK SC",
        ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf"),
        ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansSC-Bold.otf"),
        "SC",
    ),
    ("WenQuanYi Zen Hei", ("wqy-zenhei.ttc",), ("wqy-zenhei.ttc",), ""),
    ("Droid Sans Fallback", ("DroidSansFallbackFull.ttf",), ("DroidSansFallbackFull.ttf",), ""),
    ("DejaVu Sans", ("DejaVuSans.ttf",), ("DejaVuSans-Bold.ttf",), ""),
)


class NoFontForText(ServiceError):
    """No installed font holds every character of the text to set."""


def _find(names: tuple[str, ...], dirs: Sequence[str]) -> str | None:
    for name in names:
        for folder in dirs:
            hits = sorted(glob.glob(os.path.join(folder, "**", name), recursive=True))
            if hits:
                return hits[0]
    return None


@lru_cache(maxsize=64)
def _face_names(path: str) -> tuple[str, ...]:
    """The family names of the faces in a font file (one, unless it is a .ttc collection)."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith(".ttc"):
        collection = TTCollection(path, lazy=True)
        try:
            return tuple(font["name"].getDebugName(1) or "" for font in collection.fonts)
        finally:
            collection.close()
    font = TTFont(path, lazy=True)
    try:
        return (font["name"].getDebugName(1) or "",)
    finally:
        font.close()


def _index(path: str, suffix: str) -> int:
    if not suffix or not path.lower().endswith(".ttc"):
        return 0
    for index, family in enumerate(_face_names(path)):
        if family.endswith(f" {suffix}") and "Mono" not in family:
            return index
    return 0


@lru_cache(maxsize=64)
def _code_points(path: str, index: int) -> frozenset[int]:
    """Every character the face maps to a real glyph (not .notdef); empty if unreadable."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, fontNumber=index, lazy=True)
    except Exception:  # noqa: BLE001 - any unreadable file: it holds nothing
        return frozenset()
    try:
        cmap = font.getBestCmap() or {}
        return frozenset(code for code, glyph in cmap.items() if glyph != ".notdef")
    except Exception:  # noqa: BLE001
        return frozenset()
    finally:
        font.close()


def _needed(text: str) -> list[str]:
    return sorted({char for char in text if char.isprintable() and not char.isspace()})


def missing(face: Face, text: str) -> str:
    """The characters of text that the face (regular or bold) has no glyph for."""
    regular = _code_points(face.regular, face.regular_index)
    bold = _code_points(face.bold, face.bold_index)
    return "".join(c for c in _needed(text) if ord(c) not in regular or ord(c) not in bold)


def latin1_only(text: str) -> bool:
    """What the built-in fonts (Pillow's, the PDF core Helvetica) can show."""
    return all(ord(char) < 256 for char in _needed(text))


def face_of_file(path: str | Path) -> Face:
    """A font file named by the user (its bold sibling if there is one)."""
    font = Path(path).expanduser()
    if not font.is_file():
        raise FileNotFoundError(_("font file {path} does not exist", path=font))
    bold = font.with_name(font.name.replace("Regular", "Bold").replace("Sans.", "Sans-Bold."))
    bold = bold if bold.is_file() and bold != font else font
    index = _index(str(font), "SC")
    names = _face_names(str(font))
    family = names[index] if names and names[index] else font.stem
    return Face(family, str(font), str(bold), index, _index(str(bold), "SC"))


@lru_cache(maxsize=8)
def installed_faces(dirs: tuple[str, ...] = FONT_DIRS) -> tuple[Face, ...]:
    """The known families installed here, best first."""
    faces = []
    for family, regular_names, bold_names, suffix in KNOWN_FAMILIES:
        regular = _find(regular_names, dirs)
        if regular is None:
            continue
        bold = _find(bold_names, dirs) or regular
        faces.append(Face(family, regular, bold, _index(regular, suffix), _index(bold, suffix)))
    return tuple(faces)


def choose(text: str, faces: Sequence[Face], *, what: str, builtin: bool = True) -> Face | None:
    """The first face that holds every character of text; None: the built-in font will do
    (Latin-1 only, and only if builtin). Raises NoFontForText when nothing holds it."""
    for face in faces:
        if not missing(face, text):
            return face
    if builtin and latin1_only(text):
        return None
    lacking = _needed(text)
    if faces:
        lacking = min((list(missing(face, text)) for face in faces), key=len)
    else:
        lacking = [char for char in lacking if ord(char) >= 256]
    raise NoFontForText(
        _(
            "No installed font holds every character of {what} (missing: {chars}); nothing was "
            "written. Install Noto Sans CJK (apt-get install fonts-noto-cjk) and try again.",
            what=what,
            chars="".join(lacking[:20]) + ("…" if len(lacking) > 20 else ""),
        )
    )
