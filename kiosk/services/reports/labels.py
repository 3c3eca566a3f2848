"""Printed QR label sheets for stations and employee badges (PDF, PNG or SVG).

A sheet is A4 at 300 dpi with a grid of labels (3 columns x 4 rows unless told
otherwise). Each label carries the signed payload of `stations.make_payload` as a
QR code (error correction Q, a quiet zone of 4 modules), the code in large text
under it, the station name (or the employee's name) and the line (or team), with
cut marks at its corners.

- PDF: one file, one page per sheet.
- PNG: one file per page: FILE.png, FILE-2.png, ...
- SVG: one file per page as well; the codes come from qrcode's SVG image factory
  and the text is SVG <text>.

Fonts: the first installed face that holds every character the sheets show
(kiosk.services.reports.fonts: Noto Sans CJK, WenQuanYi Zen Hei, Droid Sans Fallback, DejaVu
Sans), else Pillow's built-in font for Latin-1 text; none: refused with a message.
- PDF: the codes and cut marks as an image, the words as PDF text in that font.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import qrcode
import qrcode.constants
import qrcode.image.svg
from peewee import JOIN
from PIL import Image, ImageDraw, ImageFont

from kiosk.errors import NotFound, ServiceError, ValidationFailed
from kiosk.i18n import _
from kiosk.services.plant import plant
from kiosk.services.plant.stations import BadgeScan, StationScan, make_payload, parse_scan
from kiosk.services.platform import uow
from kiosk.services.platform.text import clean_text, shorten
from kiosk.services.reports import fonts as fontlib
from models import Employee, ProductionLine, Station, Team

Format = Literal["pdf", "png", "svg"]
FORMATS: tuple[Format, ...] = ("pdf", "png", "svg")
A4_MM = (210.0, 297.0)
DPI = 300
QUIET_ZONE_MODULES = 4
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
MIN_LABEL_MM = (30.0, 35.0)  # smaller labels cannot hold a readable code and its text
MAX_GRID = 12
SVG_NS = "http://www.w3.org/2000/svg"
SVG_FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Noto Sans CJK', 'WenQuanYi Zen Hei', 'Droid Sans Fallback', "
    "'DejaVu Sans', sans-serif"
)


# --- what goes on the labels -----------------------------------------------------------


@dataclass(frozen=True)
class Label:
    kind: str  # "S" a station, "B" a badge
    code: str  # printed large under the code
    name: str  # station name or employee name
    detail: str  # line or team, printed small
    payload: str  # the signed text inside the QR code


@dataclass(frozen=True)
class LabelSet:
    title: str  # for the page header and the command's report
    slug: str  # default file name, e.g. "labels-L1"
    labels: tuple[Label, ...]
    skipped: tuple[str, ...] = ()  # codes that no label can carry, with the reason


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    detail: str


def _known(codes: Iterable[str]) -> str:
    codes = list(codes)
    return ", ".join(codes) if codes else "none yet"


@uow.read
def _station_rows(line_code: str | None) -> tuple[str, list[_Row]]:
    lines = list(ProductionLine.select().where(ProductionLine.active).order_by(ProductionLine.code))
    if line_code is not None:
        wanted = clean_text(line_code).upper()
        chosen = [line for line in lines if line.code.upper() == wanted]
        if not chosen:
            raise NotFound(
                _(
                    "Line {wanted} is not known (lines: {known}).",
                    wanted=shorten(wanted, 32),
                    known=_known(line.code for line in lines),
                )
            )
        title = f"Line {chosen[0].code} · {chosen[0].name}"
    else:
        chosen = lines
        title = "All lines"
    if not chosen:
        raise NotFound(_("This plant has no production lines yet: no labels to print."))
    rows: list[_Row] = []
    for line in chosen:
        stations = (
            Station.select().where((Station.line == line) & Station.active).order_by(Station.code)
        )
        rows.extend(
            _Row(station.code, station.name, f"Line {line.code} · {line.name}")
            for station in stations
        )
    if not rows:
        where = f"Line {chosen[0].code} has" if line_code is not None else "The lines have"
        raise NotFound(_("{where} no active stations: no labels to print.", where=where))
    return title, rows


@uow.read
def _badge_rows(team_code: str | None) -> tuple[str, list[_Row]]:
    teams = list(Team.select().where(Team.active).order_by(Team.code))
    query = Employee.select(Employee, Team).join(Team, JOIN.LEFT_OUTER).where(Employee.active)
    if team_code is not None:
        wanted = clean_text(team_code).upper()
        team = next((team for team in teams if team.code.upper() == wanted), None)
        if team is None:
            raise NotFound(
                _(
                    "Team {wanted} is not known (teams: {known}).",
                    wanted=shorten(wanted, 32),
                    known=_known(team.code for team in teams),
                )
            )
        query = query.where(Employee.team == team)
        title = f"Badges · Team {team.code} · {team.name}"
    else:
        title = "Badges · all employees"
    rows = [
        _Row(
            employee.badge_code,
            employee.name,
            employee.team.name if employee.team else employee.department,
        )
        for employee in query.order_by(Employee.badge_code)
    ]
    if not rows:
        where = f"Team {shorten(team_code, 32).upper()} has" if team_code else "The plant has"
        raise NotFound(_("{where} no active employees: no badges to print.", where=where))
    return title, rows


def _make_set(kind: str, title: str, slug: str, rows: Sequence[_Row], key: bytes) -> LabelSet:
    """Sign each code, and keep only those whose payload reads back as the same code."""
    labels: list[Label] = []
    skipped: list[str] = []
    expected = StationScan if kind == "S" else BadgeScan
    for row in rows:
        payload = make_payload(kind, row.code, key)
        if parse_scan(payload, key) != expected(row.code.strip().upper(), True):
            skipped.append(
                f"{shorten(row.code, 32)}: only A-Z, 0-9, '.', '_' and '-' (up to 32) "
                "fit in a label"
            )
            continue
        labels.append(
            Label(kind, row.code.strip().upper(), clean_text(row.name), row.detail, payload)
        )
    if not labels:
        raise ValidationFailed({"codes": _("None of these codes can be printed: ") + skipped[0]})
    return LabelSet(title, slug, tuple(labels), tuple(skipped))


def station_labels(line_code: str | None = None) -> LabelSet:
    """Labels for the active stations of one line (by code), or of every line (None)."""
    key = plant.signing_key()
    title, rows = _station_rows(line_code)
    slug = f"labels-{_slug(line_code)}" if line_code is not None else "labels-all-lines"
    return _make_set("S", title, slug, rows, key)


def badge_labels(team_code: str | None = None) -> LabelSet:
    """Badges for the active employees of one team (by code), or of the whole plant (None)."""
    key = plant.signing_key()
    title, rows = _badge_rows(team_code)
    slug = f"badges-{_slug(team_code)}" if team_code is not None else "badges-all"
    return _make_set("B", title, slug, rows, key)


@uow.read
def _one_row(kind: str, code: str) -> _Row:
    wanted = clean_text(code).upper()
    if kind == "B":
        employee = (
            Employee.select(Employee, Team)
            .join(Team, JOIN.LEFT_OUTER)
            .where((Employee.badge_code == wanted) & Employee.active)
            .first()
        )
        if employee is None:
            raise NotFound(_("No active employee has badge {code}.", code=shorten(wanted, 32)))
        detail = employee.team.name if employee.team else employee.department
        return _Row(employee.badge_code, employee.name, detail)
    station = (
        Station.select(Station, ProductionLine)
        .join(ProductionLine)
        .where((Station.code == wanted) & Station.active)
        .first()
    )
    if station is None:
        raise NotFound(_("No active station has the code {code}.", code=shorten(wanted, 32)))
    line = station.line
    return _Row(station.code, station.name, f"Line {line.code} · {line.name}")


def badge_label(badge_code: str) -> LabelSet:
    """One active employee's badge, alone on a sheet (a new or lost badge)."""
    row = _one_row("B", badge_code)
    return _make_set(
        "B", f"Badge {row.code}", f"badge-{_slug(row.code)}", [row], plant.signing_key()
    )


def station_label(station_code: str) -> LabelSet:
    """One active station's label, alone on a sheet (a new or worn label)."""
    row = _one_row("S", station_code)
    return _make_set(
        "S", f"Station {row.code}", f"station-{_slug(row.code)}", [row], plant.signing_key()
    )


def _slug(code: str) -> str:
    text = "".join(c if c.isalnum() or c in "-_" else "-" for c in clean_text(code).upper())
    return text.strip("-") or "labels"


# --- the sheet's geometry --------------------------------------------------------------


@dataclass(frozen=True)
class SheetLayout:
    columns: int = 3
    rows: int = 4
    dpi: int = DPI
    page_mm: tuple[float, float] = A4_MM
    margin_mm: float = 10.0
    header_mm: float = 6.0
    gutter_mm: float = 6.0  # between labels (and around them): the cut marks sit here

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def px(self, mm: float) -> int:
        return round(mm * self.dpi / 25.4)

    @property
    def page_px(self) -> tuple[int, int]:
        return self.px(self.page_mm[0]), self.px(self.page_mm[1])

    def label_mm(self) -> tuple[float, float]:
        width = self.page_mm[0] - 2 * self.margin_mm - (self.columns + 1) * self.gutter_mm
        height = (
            self.page_mm[1] - 2 * self.margin_mm - self.header_mm - (self.rows + 1) * self.gutter_mm
        )
        return width / self.columns, height / self.rows

    def check(self) -> None:
        problems: dict[str, str] = {}
        for name, value in (("columns", self.columns), ("rows", self.rows)):
            if not 1 <= value <= MAX_GRID:
                problems[name] = f"{name} must be between 1 and {MAX_GRID} (got {value})."
        if not problems:
            width, height = self.label_mm()
            if width < MIN_LABEL_MM[0] or height < MIN_LABEL_MM[1]:
                problems["grid"] = (
                    f"{self.columns} columns × {self.rows} rows make labels of "
                    f"{max(width, 0):.0f} × {max(height, 0):.0f} mm: too small for a readable "
                    f"code (at least {MIN_LABEL_MM[0]:.0f} × {MIN_LABEL_MM[1]:.0f} mm). "
                    "Use fewer columns or rows."
                )
        if problems:
            raise ValidationFailed(problems)

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """Each label's (left, top, right, bottom) in pixels, row by row."""
        width, height = self.label_mm()
        boxes = []
        for row in range(self.rows):
            for column in range(self.columns):
                left = self.margin_mm + self.gutter_mm + column * (width + self.gutter_mm)
                top = (
                    self.margin_mm
                    + self.header_mm
                    + self.gutter_mm
                    + row * (height + self.gutter_mm)
                )
                boxes.append(
                    (self.px(left), self.px(top), self.px(left + width), self.px(top + height))
                )
        return boxes


def pages_of(labels: Sequence[Label], layout: SheetLayout) -> list[Sequence[Label]]:
    return [labels[i : i + layout.per_page] for i in range(0, len(labels), layout.per_page)]


def _qr_matrix(payload: str) -> list[list[bool]]:
    """The QR code's modules, dark = True, with the quiet zone around them."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE_MODULES)
    code.add_data(payload)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


@dataclass(frozen=True)
class _Placed:
    """Where the parts of one label go, in pixels."""

    qr_left: int
    qr_top: int
    module: int  # pixels per module
    modules: int  # with the quiet zone
    center_x: int
    code_box: tuple[int, int]  # top, height
    name_box: tuple[int, int]
    detail_box: tuple[int, int]
    text_width: int


def _place(box: tuple[int, int, int, int], modules: int, layout: SheetLayout) -> _Placed:
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    pad = layout.px(2.0)
    text_height = round(height * 0.34)
    qr_room = min(width - 2 * pad, height - text_height - pad)
    module = max(1, qr_room // modules)
    side = module * modules
    center_x = (left + right) // 2
    qr_top = top + pad // 2
    text_top = qr_top + side
    room = bottom - pad // 2 - text_top
    code_height = round(room * 0.46)
    name_height = round(room * 0.30)
    detail_height = room - code_height - name_height
    return _Placed(
        qr_left=center_x - side // 2,
        qr_top=qr_top,
        module=module,
        modules=modules,
        center_x=center_x,
        code_box=(text_top, code_height),
        name_box=(text_top + code_height, name_height),
        detail_box=(text_top + code_height + name_height, detail_height),
        text_width=width - 2 * pad,
    )


# --- fonts ---------------------------------------------------------------------------

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


FALLBACK_FAMILY = "Pillow's built-in font"


def _loads(face: fontlib.Face) -> bool:
    try:
        ImageFont.truetype(face.regular, 12, index=face.regular_index)
        ImageFont.truetype(face.bold, 12, index=face.bold_index)
    except OSError:
        return False
    return True


class Fonts:
    """The TrueType font the labels are set in, or Pillow's built-in one.

    Given text, the font is the first installed face (or the first of faces) that holds
    a glyph for every character of it (fonts.choose); none: NoFontForText.
    """

    def __init__(self, faces: Sequence[fontlib.Face] | None = None, text: str = "") -> None:
        candidates = fontlib.installed_faces() if faces is None else tuple(faces)
        usable = [face for face in candidates if _loads(face)]
        self.face = fontlib.choose(text, usable, what=_("the labels"))
        self._cache: dict[tuple[bool, int], FontType] = {}

    @property
    def family(self) -> str:
        return self.face.family if self.face else FALLBACK_FAMILY

    @property
    def cjk(self) -> bool:
        return bool(self.face and self.face.cjk)

    def require(self, text: str) -> None:
        """Refuse (NoFontForText) text this font cannot show, before anything is drawn."""
        fontlib.choose(
            text,
            [self.face] if self.face else [],
            what=_("the labels"),
            builtin=self.face is None,
        )

    def get(self, bold: bool, size: int) -> FontType:
        key = (bold, size)
        if key not in self._cache:
            if self.face is not None:
                path = self.face.bold if bold else self.face.regular
                index = self.face.bold_index if bold else self.face.regular_index
                self._cache[key] = ImageFont.truetype(path, size, index=index)
            else:
                try:
                    self._cache[key] = ImageFont.load_default(size)
                except (OSError, ImportError, TypeError):  # Pillow without FreeType
                    self._cache[key] = ImageFont.load_default()
        return self._cache[key]

    def drawable(self, text: str, font: FontType) -> str:
        """Pillow's bitmap font knows only Latin-1: anything else becomes '?'."""
        if self.face is not None:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")


def label_text(label_set: LabelSet) -> str:
    """Every character the sheets of a label set show (the header's too)."""
    parts = [_header(label_set, 1, 1), "0123456789"]
    for label in label_set.labels:
        parts.extend((label.code, label.name, label.detail))
    return " ".join(parts)


def fonts_for(label_set: LabelSet, fonts: Fonts | None = None) -> Fonts:
    """The given fonts if they hold the set's text, else the first installed face that does."""
    if fonts is None:
        return Fonts(text=label_text(label_set))
    fonts.require(label_text(label_set))
    return fonts


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: FontType) -> float:
    return draw.textlength(text, font=font)


@dataclass(frozen=True)
class _Fitted:
    text: str
    size: int
    bold: bool


def _fit(
    draw: ImageDraw.ImageDraw, fonts: Fonts, text: str, width: int, height: int, bold: bool
) -> _Fitted:
    """The largest size (down to half the room) that fits the width, else cut with an ellipsis."""
    size = max(8, int(height * 0.8))
    smallest = max(8, size // 2)
    while True:
        font = fonts.get(bold, size)
        shown = fonts.drawable(text, font)
        if _text_width(draw, shown, font) <= width or size <= smallest:
            break
        size = max(smallest, int(size * 0.9))
    while len(text) > 1 and _text_width(draw, fonts.drawable(text, font), font) > width:
        text = text[:-2].rstrip() + "…"
    return _Fitted(text, size, bold)


# --- PNG / PDF pages -------------------------------------------------------------------


def _draw_text(
    draw: ImageDraw.ImageDraw, fonts: Fonts, fitted: _Fitted, center_x: int, box: tuple[int, int]
) -> None:
    font = fonts.get(fitted.bold, fitted.size)
    text = fonts.drawable(fitted.text, font)
    top, height = box
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
        y = top + (height - (ascent + descent)) // 2
        draw.text((center_x, y + ascent), text, font=font, fill=0, anchor="ms")
    else:
        left, upper, right, lower = draw.textbbox((0, 0), text, font=font)
        x = center_x - (right - left) // 2 - left
        draw.text((x, top + (height - (lower - upper)) // 2 - upper), text, font=font, fill=0)


def _cut_mark_rects(
    box: tuple[int, int, int, int], layout: SheetLayout
) -> list[tuple[int, int, int, int]]:
    """Two short strokes out of each corner of a label, 1 mm clear of it (inclusive boxes)."""
    left, top, right, bottom = box
    offset = layout.px(1.0)
    length = layout.px(min(4.0, layout.gutter_mm - 1.0))
    thick = max(1, layout.px(0.15))
    rects = []
    for x, sx in ((left, -1), (right, 1)):
        for y, sy in ((top, -1), (bottom, 1)):
            x1, x2 = sorted((x + sx * offset, x + sx * (offset + length)))
            rects.append((x1, y - thick // 2, x2, y - thick // 2 + thick - 1))
            y1, y2 = sorted((y + sy * offset, y + sy * (offset + length)))
            rects.append((x - thick // 2, y1, x - thick // 2 + thick - 1, y2))
    return rects


def _header(label_set: LabelSet, page: int, pages: int) -> str:
    return f"Quality Kiosk · {label_set.title} · page {page} of {pages} · cut along the marks"


TextPlacement = tuple[_Fitted, int, tuple[int, int]]  # what, centre x, (top, height)


def render_pages(
    label_set: LabelSet,
    layout: SheetLayout | None = None,
    fonts: Fonts | None = None,
    texts: list[list[TextPlacement]] | None = None,
) -> list[Image.Image]:
    """The sheets as black-and-white images (mode "1") of A4 at the layout's dpi.

    Given texts, the text is not drawn but listed there per page (a PDF sets it as text).
    """
    layout = layout or SheetLayout()
    layout.check()
    fonts = fonts_for(label_set, fonts)
    groups = pages_of(label_set.labels, layout)
    boxes = layout.boxes()
    images = []
    for number, group in enumerate(groups, start=1):
        page = Image.new("L", layout.page_px, 255)
        draw = ImageDraw.Draw(page)
        placements: list[TextPlacement] | None = None
        if texts is not None:
            placements = []
            texts.append(placements)
        header_height = layout.px(layout.header_mm)
        header = _fit(
            draw,
            fonts,
            _header(label_set, number, len(groups)),
            layout.page_px[0] - 2 * layout.px(layout.margin_mm),
            round(header_height * 0.6),
            bold=False,
        )
        header_place = (
            header,
            layout.page_px[0] // 2,
            (layout.px(layout.margin_mm), header_height),
        )
        if placements is None:
            _draw_text(draw, fonts, *header_place)
        else:
            placements.append(header_place)
        for label, box in zip(group, boxes, strict=False):
            _draw_label(page, draw, fonts, label, box, layout, placements)
        images.append(page.point(lambda value: 255 if value >= 128 else 0).convert("1"))
    return images


def _draw_label(
    page: Image.Image,
    draw: ImageDraw.ImageDraw,
    fonts: Fonts,
    label: Label,
    box: tuple[int, int, int, int],
    layout: SheetLayout,
    placements: list[TextPlacement] | None = None,
) -> None:
    matrix = _qr_matrix(label.payload)
    modules = len(matrix)
    placed = _place(box, modules, layout)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    side = modules * placed.module
    page.paste(
        small.resize((side, side), Image.Resampling.NEAREST), (placed.qr_left, placed.qr_top)
    )
    for text, (top, height), bold in (
        (label.code, placed.code_box, True),
        (label.name, placed.name_box, False),
        (label.detail, placed.detail_box, False),
    ):
        fitted = _fit(draw, fonts, text, placed.text_width, height, bold)
        if placements is None:
            _draw_text(draw, fonts, fitted, placed.center_x, (top, height))
        else:
            placements.append((fitted, placed.center_x, (top, height)))
    for rect in _cut_mark_rects(box, layout):
        draw.rectangle(rect, fill=0)


# --- SVG pages -------------------------------------------------------------------------


def _svg_qr(payload: str, x: int, y: int, side: int) -> ET.Element:
    image = qrcode.make(
        payload,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=ERROR_CORRECTION,
        border=QUIET_ZONE_MODULES,
    )
    # qrcode may build with lxml: carry it over as text into the standard library's tree
    element = ET.fromstring(image.to_string())
    element.set("x", str(x))
    element.set("y", str(y))
    element.set("width", str(side))
    element.set("height", str(side))
    element.set("class", "qr")
    for node in element.iter():  # plain names: the page's root declares the namespace
        node.tag = node.tag.rpartition("}")[2]
    path = element.find("path")
    if path is not None:
        path.attrib.pop("id", None)  # one id per document: qrcode names every path "qr-path"
    return element


def _svg_text(
    parent: ET.Element, fitted: _Fitted, center_x: int, box: tuple[int, int], fonts: Fonts
) -> None:
    top, height = box
    font = fonts.get(fitted.bold, fitted.size)
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
    else:
        ascent, descent = round(fitted.size * 0.8), round(fitted.size * 0.2)
    baseline = top + (height - (ascent + descent)) // 2 + ascent
    text = ET.SubElement(
        parent,
        "text",
        {
            "x": str(center_x),
            "y": str(baseline),
            "font-size": str(fitted.size),
            "text-anchor": "middle",
        },
    )
    if fitted.bold:
        text.set("font-weight", "bold")
    text.text = fitted.text


def svg_pages(
    label_set: LabelSet, layout: SheetLayout | None = None, fonts: Fonts | None = None
) -> list[str]:
    """The sheets as SVG documents (A4; one user unit is one pixel at the layout's dpi)."""
    layout = layout or SheetLayout()
    layout.check()
    fonts = fonts_for(label_set, fonts)
    family = f"'{fonts.family}', {SVG_FONT_FAMILY}" if fonts.face else SVG_FONT_FAMILY
    measure = ImageDraw.Draw(Image.new("L", (1, 1)))
    groups = pages_of(label_set.labels, layout)
    boxes = layout.boxes()
    width, height = layout.page_px
    documents = []
    for number, group in enumerate(groups, start=1):
        root = ET.Element(
            "svg",
            {
                "width": f"{layout.page_mm[0]:g}mm",
                "height": f"{layout.page_mm[1]:g}mm",
                "viewBox": f"0 0 {width} {height}",
                "version": "1.1",
                "xmlns": SVG_NS,
            },
        )
        ET.SubElement(root, "title").text = _header(label_set, number, len(groups))
        ET.SubElement(
            root,
            "rect",
            {"x": "0", "y": "0", "width": str(width), "height": str(height), "fill": "white"},
        )
        text_group = ET.SubElement(root, "g", {"font-family": family, "fill": "black"})
        header_height = layout.px(layout.header_mm)
        header = _fit(
            measure,
            fonts,
            _header(label_set, number, len(groups)),
            width - 2 * layout.px(layout.margin_mm),
            round(header_height * 0.6),
            bold=False,
        )
        _svg_text(
            text_group, header, width // 2, (layout.px(layout.margin_mm), header_height), fonts
        )
        marks = ET.SubElement(root, "g", {"class": "cut-marks", "fill": "black"})
        for label, box in zip(group, boxes, strict=False):
            modules = len(_qr_matrix(label.payload))
            placed = _place(box, modules, layout)
            side = placed.module * modules
            qr_element = _svg_qr(label.payload, placed.qr_left, placed.qr_top, side)
            group_element = ET.SubElement(root, "g", {"class": "label", "data-code": label.code})
            group_element.append(qr_element)
            texts = ET.SubElement(group_element, "g", {"font-family": family})
            for text, (top, room), bold in (
                (label.code, placed.code_box, True),
                (label.name, placed.name_box, False),
                (label.detail, placed.detail_box, False),
            ):
                fitted = _fit(measure, fonts, text, placed.text_width, room, bold)
                _svg_text(texts, fitted, placed.center_x, (top, room), fonts)
            _svg_cut_marks(marks, box, layout)
        documents.append(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )
    return documents


def _svg_cut_marks(parent: ET.Element, box: tuple[int, int, int, int], layout: SheetLayout) -> None:
    for x1, y1, x2, y2 in _cut_mark_rects(box, layout):
        ET.SubElement(
            parent,
            "rect",
            {"x": str(x1), "y": str(y1), "width": str(x2 - x1 + 1), "height": str(y2 - y1 + 1)},
        )


# --- files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenSheets:
    format: Format
    files: tuple[Path, ...]
    labels: int
    pages: int
    font: str
    skipped: tuple[str, ...] = ()


def resolve_output(
    output: Path | None, fmt: Format | None, default_stem: str
) -> tuple[Path, Format]:
    """The first file's path and the format: --format wins, else the output's suffix, else PDF."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if fmt is None:
        fmt = suffix if suffix in FORMATS else "pdf"
    if fmt not in FORMATS:
        raise ValidationFailed(
            {"format": _("Unknown format {fmt!r}: use pdf, png or svg.", fmt=fmt)}
        )
    if output is None:
        return Path(f"{default_stem}.{fmt}"), fmt
    if suffix in FORMATS and suffix != fmt:
        raise ValidationFailed(
            {
                "output": _(
                    "{output} ends in .{suffix} but the format is {fmt}: make them agree.",
                    output=output,
                    suffix=suffix,
                    fmt=fmt,
                )
            }
        )
    if suffix == fmt:
        return output, fmt
    return output.with_name(f"{output.name}.{fmt}"), fmt


def page_paths(first: Path, pages: int) -> list[Path]:
    """FILE.png, FILE-2.png, ... (a PDF is one file, whatever its pages)."""
    return [first] + [
        first.with_name(f"{first.stem}-{number}{first.suffix}") for number in range(2, pages + 1)
    ]


def _baseline(fonts: Fonts, fitted: _Fitted, box: tuple[int, int]) -> int:
    font = fonts.get(fitted.bold, fitted.size)
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
    else:
        ascent, descent = round(fitted.size * 0.8), round(fitted.size * 0.2)
    top, height = box
    return top + (height - (ascent + descent)) // 2 + ascent


def _write_pdf(label_set: LabelSet, layout: SheetLayout, fonts: Fonts, path: Path) -> None:
    """The pages as images (codes, cut marks) with the words set as PDF text on top, so
    that the text is text: it prints sharp and reads back (pdftotext, search, copy)."""
    from fpdf import FPDF

    texts: list[list[TextPlacement]] = []
    images = render_pages(label_set, layout, fonts, texts)
    pt = 72 / layout.dpi  # the page is exactly the images' pixels
    width_px, height_px = layout.page_px
    pdf = FPDF(unit="pt", format=(width_px * pt, height_px * pt))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title(f"Quality Kiosk · {label_set.title}")
    pdf.set_creator("Quality Kiosk")
    pdf.set_producer("Quality Kiosk")
    if fonts.face is not None:
        family = "labels"
        pdf.add_font(
            family, "", fonts.face.regular, collection_font_number=fonts.face.regular_index
        )
        pdf.add_font(family, "B", fonts.face.bold, collection_font_number=fonts.face.bold_index)
    else:
        family = "helvetica"
    for image, placements in zip(images, texts, strict=True):
        pdf.add_page()
        pdf.image(image.convert("L"), x=0, y=0, w=width_px * pt, h=height_px * pt)
        for fitted, center_x, box in placements:
            shown = fonts.drawable(fitted.text, fonts.get(fitted.bold, fitted.size))
            pdf.set_font(family, "B" if fitted.bold else "", fitted.size * pt)
            width = pdf.get_string_width(shown)
            pdf.text(x=center_x * pt - width / 2, y=_baseline(fonts, fitted, box) * pt, text=shown)
    pdf.output(str(path))


def write_sheets(
    label_set: LabelSet,
    output: Path | None = None,
    fmt: Format | None = None,
    layout: SheetLayout | None = None,
    fonts: Fonts | None = None,
) -> WrittenSheets:
    """Render the labels and write them; returns where they went."""
    layout = layout or SheetLayout()
    layout.check()
    first, fmt = resolve_output(output, fmt, label_set.slug)
    folder = first.parent
    if not folder.is_dir():
        raise ValidationFailed(
            {
                "output": _(
                    "The folder {folder} does not exist: create it or choose another.",
                    folder=folder,
                )
            }
        )
    fonts = fonts_for(label_set, fonts)  # fails loudly, before a file is written
    try:
        if fmt == "svg":
            documents = svg_pages(label_set, layout, fonts)
            files = page_paths(first, len(documents))
            for path, document in zip(files, documents, strict=True):
                path.write_text(document, encoding="utf-8")
        elif fmt == "pdf":
            files = [first]
            _write_pdf(label_set, layout, fonts, first)
        else:
            images = render_pages(label_set, layout, fonts)
            files = page_paths(first, len(images))
            for path, image in zip(files, images, strict=True):
                image.save(path, "PNG", dpi=(layout.dpi, layout.dpi), optimize=True)
    except OSError as exc:
        raise ServiceError(
            _(
                "Could not write the labels to {first}: {value}.",
                first=first,
                value=exc.strerror or exc,
            )
        ) from exc
    return WrittenSheets(
        format=fmt,
        files=tuple(path.resolve() for path in files),
        labels=len(label_set.labels),
        pages=math.ceil(len(label_set.labels) / layout.per_page),
        font=fonts.family,
        skipped=label_set.skipped,
    )
