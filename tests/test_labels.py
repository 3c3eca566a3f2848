"""Printed QR label sheets: every code on a sheet is read back by a real QR reader (zbar).

PNG pages are decoded as written; PDF pages are rendered back to PNG with poppler's
`pdftoppm` first; SVG codes are redrawn from their <path> modules and decoded too.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from PIL import Image, ImageOps
from pyzbar import pyzbar

from kiosk import cli
from kiosk.errors import ValidationFailed
from kiosk.services.plant import plant
from kiosk.services.plant.stations import BadgeScan, StationScan, make_payload, parse_scan
from kiosk.services.reports import fonts as fontlib
from kiosk.services.reports.labels import (
    FALLBACK_FAMILY,
    Fonts,
    Label,
    LabelSet,
    SheetLayout,
    badge_labels,
    page_paths,
    render_pages,
    resolve_output,
    station_labels,
    svg_pages,
    write_sheets,
)
from models import Employee, ProductionLine, Station, Team
from models.db import connection
from tests.helpers.qr import decode, decode_files

SVG = "{http://www.w3.org/2000/svg}"
KEY = bytes.fromhex("5a" * 32)
FACES = {face.family: face for face in fontlib.installed_faces()}
DEJAVU = FACES["DejaVu Sans"]
DROID = FACES["Droid Sans Fallback"]  # fonts-droid-fallback: CJK only, no Latin letters


def quiet_zones_are_blank(image: Image.Image) -> bool:
    """Around every QR code on the image, a ring 4 modules wide is white (its quiet zone)."""
    gray = image.convert("L")
    symbols = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    assert symbols
    for symbol in symbols:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=0)
        code.add_data(symbol.data.decode("ascii"))
        code.make(fit=True)
        left, top, width, height = symbol.rect
        ring = round(4 * width / code.modules_count)
        slack = 4  # zbar's corners are off by a pixel or two
        around = gray.crop((left - ring, top - ring, left + width + ring, top + height + ring))
        around.paste(255, (ring - slack, ring - slack, ring + width + slack, ring + height + slack))
        if ImageOps.invert(around).getbbox() is not None:
            return False
    return True


def station_codes(line: str | None = None) -> list[str]:
    """The active station codes straight from the database."""
    with connection():
        query = Station.select(Station.code).join(ProductionLine).where(Station.active)
        if line:
            query = query.where(ProductionLine.code == line)
        return sorted(station.code for station in query)


def badge_codes(team: str) -> list[str]:
    with connection():
        query = (
            Employee.select(Employee.badge_code)
            .join(Team)
            .where((Team.code == team) & Employee.active)
        )
        return sorted(employee.badge_code for employee in query)


def run_cli(*args: str, db: str) -> int:
    return cli.main(["labels", *args, "--db", db])


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch, tmp_path):
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.delenv("QK_DATABASE_URL", raising=False)


# --- sheets from the demo plant, read back with zbar ------------------------------------


def test_png_sheet_of_line_l1_decodes_to_exactly_its_signed_stations(demo_plant, tmp_path):
    written = write_sheets(station_labels("L1"), tmp_path / "l1.png", "png")

    assert written.files == ((tmp_path / "l1.png").resolve(),)
    assert (written.labels, written.pages) == (5, 1)
    with Image.open(written.files[0]) as image:
        assert image.size == (2480, 3508)  # A4 at 300 dpi
        assert round(image.info["dpi"][0]) == 300
        assert quiet_zones_are_blank(image)
    texts = decode_files(written.files)
    key = plant.signing_key()
    scans = [parse_scan(text, key) for text in texts]
    assert all(isinstance(scan, StationScan) and scan.signed for scan in scans), scans
    assert sorted(scan.code for scan in scans) == station_codes("L1")
    assert len(station_codes("L1")) == 5


@pytest.mark.env  # pdftoppm
def test_pdf_has_one_page_per_six_labels_and_every_page_decodes(demo_plant, tmp_path):
    layout = SheetLayout(columns=2, rows=3)
    written = write_sheets(station_labels(None), tmp_path / "all.pdf", "pdf", layout)

    assert written.files == ((tmp_path / "all.pdf").resolve(),)
    assert (written.labels, written.pages) == (15, 3)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", str(written.files[0]), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3
    with Image.open(pages[0]) as first:
        assert first.size == (1240, 1754)  # A4 at 150 dpi: the PDF pages are A4
    per_page = [decode_files([page]) for page in pages]
    assert [len(texts) for texts in per_page] == [6, 6, 3]
    key = plant.signing_key()
    scans = [parse_scan(text, key) for texts in per_page for text in texts]
    assert all(isinstance(scan, StationScan) and scan.signed for scan in scans)
    assert sorted(scan.code for scan in scans) == station_codes()


def _svg_qr_to_image(element: ET.Element) -> Image.Image:
    """Redraw one embedded SVG QR code from its path of unit squares."""
    size = int(element.get("viewBox", "").split()[2])
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    path = element.find(f"{SVG}path")
    assert path is not None
    for x, y in re.findall(r"M(\d+),(\d+)H", path.get("d", "")):
        left, top = int(x) * scale, int(y) * scale
        image.paste(0, (left, top, left + scale, top + scale))
    return image


def test_svg_is_well_formed_with_one_readable_qr_per_station(demo_plant, tmp_path):
    written = write_sheets(station_labels("L1"), tmp_path / "l1.svg", "svg")

    assert written.files == ((tmp_path / "l1.svg").resolve(),)
    root = ET.parse(written.files[0]).getroot()  # raises if not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("210mm", "297mm")
    codes = root.findall(f".//{SVG}svg")
    assert len(codes) == 5
    key = plant.signing_key()
    scans = []
    for element in codes:
        texts = decode(_svg_qr_to_image(element))
        assert len(texts) == 1
        scans.append(parse_scan(texts[0], key))
    assert sorted(scan.code for scan in scans) == station_codes("L1")
    assert all(isinstance(scan, StationScan) and scan.signed for scan in scans)
    words = [text.text for text in root.iter(f"{SVG}text")]
    assert "L1-S01" in words
    assert "Cable harness crimping" in words


def test_badge_sheet_from_the_command_decodes_to_signed_badges(demo_plant, tmp_path, capsys):
    with connection():
        team = Team.get(Team.code == "T1")
        Employee.create(badge_code="E/77", name="Odd Badge", department="HR", team=team)
    output = tmp_path / "t1.png"
    status = run_cli("--badges", "--team", "t1", "--output", str(output), db=demo_plant)

    assert status == 0
    out = capsys.readouterr().out
    assert str(output.resolve()) in out
    assert "7 badge labels on 1 page" in out
    assert "not printed: E/77: only A-Z, 0-9" in out  # a QR label could not carry it
    key = plant.signing_key()
    scans = [parse_scan(text, key) for text in decode_files([output])]
    assert all(isinstance(scan, BadgeScan) and scan.signed for scan in scans), scans
    codes = sorted(scan.code for scan in scans)
    assert codes == [code for code in badge_codes("T1") if code != "E/77"]
    assert "E1001" in codes
    assert "E9001" not in codes  # Qian Lost has left: no badge
    assert [label.code for label in badge_labels("T1").labels] == codes


def test_command_writes_numbered_png_pages_and_default_names(
    demo_plant, tmp_path, monkeypatch, capsys
):
    output = tmp_path / "sheet.png"
    status = run_cli(
        "--line", "L2", "--format", "png", "--columns", "2", "--rows", "1",
        "--output", str(output), db=demo_plant,
    )  # fmt: skip

    assert status == 0
    files = [tmp_path / "sheet.png", tmp_path / "sheet-2.png", tmp_path / "sheet-3.png"]
    out = capsys.readouterr().out
    assert "5 station labels on 3 pages" in out.splitlines()[0]
    assert [line.strip() for line in out.splitlines()[1:]] == [str(f.resolve()) for f in files]
    assert not (tmp_path / "sheet-4.png").exists()
    assert [len(decode_files([path])) for path in files] == [2, 2, 1]
    key = plant.signing_key()
    codes = sorted(parse_scan(text, key).code for text in decode_files(files))
    assert codes == station_codes("L2")

    monkeypatch.chdir(tmp_path)
    assert run_cli("--line", "l3", db=demo_plant) == 0
    assert (tmp_path / "labels-L3.pdf").read_bytes().startswith(b"%PDF")
    assert str(tmp_path / "labels-L3.pdf") in capsys.readouterr().out


def test_refusals_of_the_command_are_one_line_exit_2_and_write_nothing(
    demo_plant, tmp_path, capsys
):
    with connection():
        active = Team.select().where(Team.active).order_by(Team.code)
        teams = ", ".join(team.code for team in active)
    assert "T1, T2, T3" in teams
    pdf = str(tmp_path / "x.pdf")
    exact = [
        (("--line", "L9", "--output", pdf), "kiosk: Line L9 is not known (lines: L1, L2, L3).\n"),
        (
            ("--badges", "--team", "T99", "--output", pdf),
            f"kiosk: Team T99 is not known (teams: {teams}).\n",
        ),
    ]
    for args, message in exact:
        assert run_cli(*args, db=demo_plant) == 2, args
        assert capsys.readouterr().err == message
    with connection():
        line = ProductionLine.get(ProductionLine.code == "L2")
        Station.update(active=False).where(Station.line == line).execute()
    partial = [
        (("--line", "L2", "--output", pdf), "Line L2 has no active stations"),
        (("--line", "L1", "--columns", "6", "--rows", "9"), "too small for a readable code"),
        (("--line", "L1", "--output", str(tmp_path / "no" / "x.pdf")), "does not exist"),
        (("--line", "L1", "--format", "png", "--output", pdf), "agree"),
        (("--line", "L1", "--team", "T1"), "--team goes with --badges"),
    ]
    for args, message in partial:
        assert run_cli(*args, db=demo_plant) == 2, args
        err = capsys.readouterr().err
        assert message in err
        assert err.startswith("kiosk: ")
        assert err.count("\n") == 1, err
    assert [path for path in tmp_path.rglob("*") if path.suffix in (".pdf", ".png", ".svg")] == []
    assert [label.code for label in station_labels(None).labels] == station_codes()
    assert not any(code.startswith("L2-") for code in station_codes())


# --- without a database: layout, fonts, names in Chinese --------------------------------


def _badges(*people: tuple[str, str]) -> LabelSet:
    labels = tuple(
        Label("B", code, name, "一号线班组 Line 1 Team", make_payload("B", code, KEY))
        for code, name in people
    )
    return LabelSet("Badges · 测试", "badges-test", labels)


def test_chinese_names_never_break_a_sheet(tmp_path):
    label_set = _badges(("E1001", "张伟"), ("E1002", "李娜 " + "很长的名字" * 30), ("E1003", "Ann"))
    chosen = Fonts(text="张伟 Ann E1001")
    assert chosen.family == "Noto Sans CJK SC" and chosen.cjk

    written = write_sheets(label_set, tmp_path / "b.png", "png")
    svg = svg_pages(label_set)

    scans = [parse_scan(text, KEY) for text in decode_files(written.files)]
    assert sorted(scans, key=str) == [BadgeScan(c, True) for c in ("E1001", "E1002", "E1003")]
    assert written.font == "Noto Sans CJK SC"
    words = [t.text or "" for t in ET.fromstring(svg[0]).iter(f"{SVG}text")]
    assert "张伟" in words
    assert any(word.startswith("李娜") and word.endswith("…") for word in words)


@pytest.mark.parametrize(
    "faces",
    [
        pytest.param((), id="no-truetype-font"),
        pytest.param((DEJAVU,), id="dejavu-only"),
        pytest.param((DROID,), id="droid-only"),
    ],
)
def test_names_no_installed_font_can_show_are_refused_loudly(faces, tmp_path, monkeypatch):
    monkeypatch.setattr(fontlib, "installed_faces", lambda dirs=(): faces)
    label_set = _badges(("E1001", "张伟"), ("E1003", "Ann"))
    for fmt in ("png", "pdf", "svg"):
        with pytest.raises(fontlib.NoFontForText) as refused:
            write_sheets(label_set, tmp_path / f"b.{fmt}", fmt)
        assert "No installed font holds every character of the labels" in refused.value.message
        assert "apt-get install fonts-noto-cjk" in refused.value.message
    with pytest.raises(fontlib.NoFontForText):  # a font handed in is checked the same way
        write_sheets(label_set, tmp_path / "b.png", "png", fonts=Fonts(faces))
    assert list(tmp_path.iterdir()) == []


def test_fonts_take_the_first_candidate_that_loads_and_holds_the_text():
    missing = fontlib.Face("Nowhere Sans", "/nonexistent/r.ttf", "/nonexistent/b.ttf")
    assert Fonts((missing, DEJAVU)).family == "DejaVu Sans"
    assert not Fonts((missing, DEJAVU)).cjk
    assert Fonts((missing,)).family == FALLBACK_FAMILY
    # the trap of issue 13: Droid Sans Fallback loads but has no Latin letters
    assert fontlib.missing(DROID, "L1-S01 Crimping") == "-01CLSgimnpr"
    assert Fonts((DROID, DEJAVU), text="L1-S01 Crimping").family == "DejaVu Sans"
    assert Fonts((DROID, DEJAVU), text="张伟").family == "Droid Sans Fallback"


def test_cut_marks_stay_clear_of_the_labels():
    layout = SheetLayout()
    label_set = _badges(("E1001", "Ann"))
    page = render_pages(label_set, layout)[0]
    left, top, right, bottom = layout.boxes()[0]
    black = page.point(lambda value: 255 if value == 0 else 0).convert("L")
    gap = layout.px(1.0)
    # the 1 mm ring just outside the label is blank; marks start beyond it
    assert black.crop((left - gap + 1, top - gap + 1, right + gap, top)).getbbox() is None
    assert black.crop((left - gap + 1, top, left, bottom)).getbbox() is None
    mark = black.crop((left - layout.px(5.0), top - 2, left - gap, top + 2))
    assert mark.getbbox() is not None  # a horizontal cut mark in line with the top edge


def test_layouts_too_small_for_a_readable_code_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        SheetLayout(columns=7, rows=4).check()
    assert "too small" in refused.value.problems["grid"]
    with pytest.raises(ValidationFailed) as refused:
        SheetLayout(columns=0, rows=4).check()
    assert "columns" in refused.value.problems
    SheetLayout(columns=5, rows=6).check()  # the densest grid that is allowed


@pytest.mark.parametrize(
    ("output", "fmt", "expected"),
    [
        (None, None, ("stem.pdf", "pdf")),
        (None, "svg", ("stem.svg", "svg")),
        ("out/x.png", None, ("out/x.png", "png")),
        ("x.PNG", "png", ("x.PNG", "png")),
        ("x", "svg", ("x.svg", "svg")),
        ("x.v2", None, ("x.v2.pdf", "pdf")),
    ],
)
def test_output_names(output, fmt, expected):
    path, chosen = resolve_output(Path(output) if output else None, fmt, "stem")
    assert (str(path), chosen) == expected


def test_output_suffix_that_contradicts_the_format_is_refused():
    with pytest.raises(ValidationFailed, match="make them agree"):
        resolve_output(Path("x.svg"), "pdf", "stem")


def test_page_files_are_numbered_from_the_second():
    assert page_paths(Path("d/s.png"), 3) == [Path("d/s.png"), Path("d/s-2.png"), Path("d/s-3.png")]


# --- the sheets' words read back as text, on a machine with fonts-droid-fallback ---------


def _without_noto(monkeypatch) -> None:
    """A machine where ghostscript pulled in Droid Sans Fallback and Noto CJK is absent."""
    monkeypatch.setattr(fontlib, "installed_faces", lambda dirs=(): (DROID, DEJAVU))


def _squashed(text: str) -> str:
    return "".join(text.split()).upper()


OCR_ALIKE = str.maketrans("OSLIZB|", "0511281")  # what OCR mixes up in codes like L2-S01


def _ocr_key(word: str) -> str:
    """A word as OCR may give it back: look-alike letters as digits, repeats collapsed
    (tesseract reads DejaVu's bold "S01" as "SO01", "S0Ol1" now and then)."""
    mapped = word.upper().translate(OCR_ALIKE)
    return "".join(char for char, _run in itertools.groupby(mapped))


def _read(code: str, words: list[str]) -> bool:
    return _ocr_key(code) in {_ocr_key(word) for word in words}


@pytest.mark.env  # tesseract
def test_png_sheets_read_back_their_codes_and_names_by_ocr(demo_plant, tmp_path, monkeypatch):
    _without_noto(monkeypatch)
    assert (
        run_cli("--all", "--format", "png", "--output", str(tmp_path / "all.png"), db=demo_plant)
        == 0
    )
    seen = ""
    for page in sorted(tmp_path.glob("all*.png")):
        with Image.open(page) as image:
            gray = image.convert("L")
        for symbol in pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE]):
            left, top, width, height = symbol.rect  # blank the codes: OCR reads only words
            gray.paste(255, (left - 40, top - 40, left + width + 40, top + height + 40))
        gray.save(tmp_path / "words.png")
        seen += subprocess.run(
            ["tesseract", str(tmp_path / "words.png"), "-", "--psm", "11"],
            capture_output=True,
            check=True,
            text=True,
            timeout=120,
        ).stdout
    words = seen.split()
    labels = station_labels(None).labels
    unread = [label.code for label in labels if not _read(label.code, words)]
    assert not unread, (unread, seen)
    names = [label.name for label in labels]
    read = [name for name in names if _squashed(name) in _squashed(seen)]
    assert len(read) >= len(names) * 0.8, (names, seen)


@pytest.mark.env  # pdftotext, pdftoppm
def test_pdf_sheet_of_a_line_carries_its_codes_and_names_as_text(
    demo_plant, tmp_path, monkeypatch, capsys
):
    _without_noto(monkeypatch)
    path = tmp_path / "l1.pdf"
    assert run_cli("--line", "L1", "--output", str(path), db=demo_plant) == 0
    assert "font: DejaVu Sans" in capsys.readouterr().out
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    for label in station_labels("L1").labels:
        assert label.code in text and label.name in text and label.detail in text, label
    assert "□" not in text
    with _pdf_page(path, tmp_path) as page:
        assert sorted(parse_scan(t, plant.signing_key()).code for t in decode(page)) == (
            station_codes("L1")
        )


def _pdf_page(path: Path, folder: Path) -> Image.Image:
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(folder / "page")],
        check=True,
        timeout=60,
    )
    return Image.open(next(folder.glob("page*.png")))
