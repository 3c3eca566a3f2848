"""The *Handbook for Preventing Recurrence of Typical Quality Issues*, as Markdown or PDF.

It is compiled from the defects a supervisor marked typical: per case the
station and line, the 5M1E root cause, the description, the corrective action,
who verified it and when, and what to check so that it does not happen again
(derived from the corrective action and the root cause factor).

The PDF is set in the first installed font that holds every character of it
(kiosk.services.reports.fonts): Noto Sans CJK (Debian's ``fonts-noto-cjk``) for Chinese
text. When no font holds the text, the export is refused with a message.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from kiosk.caller import Caller
from kiosk.clock import format_local
from kiosk.i18n import _
from kiosk.services.defects.defects import (
    CATEGORY_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    defects_with_places,
    employee_names,
)
from kiosk.services.plant.campaigns import active_campaign_row, campaign_row
from kiosk.services.platform import uow
from kiosk.services.reports import fonts as fontlib
from models import Campaign, Defect, Station

log = logging.getLogger("kiosk.handbook")

TITLE = "Handbook for Preventing Recurrence of Typical Quality Issues"
FORMATS = ("md", "pdf")
FONT_ENV = "QK_HANDBOOK_FONT"

# What to check, per 5M1E factor of the root cause ({station} and {line} are filled in).
FACTOR_CHECKS: dict[str, tuple[str, ...]] = {
    "man": (
        (
            "Everyone who works at {station}, new and relief operators included, has been "
            "trained on the corrected practice and signed the training record."
        ),
        (
            "Watch one full work cycle at {station} at shift start and compare it with the work "
            "instruction."
        ),
    ),
    "machine": (
        (
            "The equipment at {station} is serviced to plan: wear parts, settings and the last "
            "maintenance date match what the correction set."
        ),
        (
            "Any limit, counter or interlock that the correction added is active and cannot be "
            "bypassed."
        ),
    ),
    "material": (
        (
            "Incoming lots of the affected material (supplier, lot, storage and transport "
            "conditions) are checked before they are released to {line}."
        ),
        (
            "The supplier's corrective action and any tightened incoming inspection are still "
            "in force."
        ),
    ),
    "method": (
        (
            "The work instruction at {station} shows the corrected method and is the current "
            "revision posted at the station."
        ),
        "The step is audited in the weekly line inspection (standardized operation items).",
    ),
    "environment": (
        (
            "Temperature, humidity, dust, lighting and ESD protection at {station} are within "
            "their limits at the start of every shift."
        ),
        (
            "The 5S/7S cleaning and the environmental controls the correction added are kept "
            "and recorded."
        ),
    ),
    "measurement": (
        (
            "Every gauge and tester at {station} is in calibration (sticker in date) and its "
            "last gauge R&R / MSA result is acceptable."
        ),
        "The check standard (golden sample) is run at shift start and its result recorded.",
    ),
}


@dataclass(frozen=True)
class HandbookCase:
    number: int
    defect_id: str
    short_id: str
    station_code: str
    station_name: str
    line_code: str
    line_name: str
    team_name: str
    category: str
    severity: str
    source: str
    supplier: str
    lot: str
    description: str
    reported_by: str
    reported_at: datetime
    root_cause_factor: str
    root_cause: str
    corrective_action: str
    fixed_by: str
    fixed_at: datetime | None
    verified_by: str
    verified_at: datetime | None
    closed_at: datetime | None
    checks: tuple[str, ...]

    @property
    def heading(self) -> str:
        return f"Case {self.number}: {self.station_code} {self.station_name}"

    @property
    def where(self) -> str:
        return (
            f"Station {self.station_code} ({self.station_name}), "
            f"line {self.line_code} ({self.line_name})"
        )

    @property
    def root_cause_title(self) -> str:
        return f"5M1E root cause: {self.root_cause_factor}"

    @property
    def verification(self) -> str:
        if not self.verified_by:
            return "Not verified."
        text = f"Verified by {self.verified_by} on {format_local(self.verified_at)}"
        if self.fixed_by:
            text += f"; corrected by {self.fixed_by} on {format_local(self.fixed_at)}"
        if self.closed_at:
            text += f"; closed on {format_local(self.closed_at)}"
        return text + "."

    @property
    def classification(self) -> str:
        text = f"{self.category} · {self.severity} · {self.source}"
        if self.supplier:
            text += f" · supplier {self.supplier}" + (f", lot {self.lot}" if self.lot else "")
        return text


@dataclass(frozen=True)
class Handbook:
    title: str
    campaign_name: str
    generated_at: datetime
    cases: tuple[HandbookCase, ...]


def prevention_checks(
    factor: str | None, corrective_action: str, root_cause: str, station: str, line: str
) -> tuple[str, ...]:
    """What to check so that the case does not recur, from its action and 5M1E factor."""
    checks = [f"The corrective action is still in place and followed: {corrective_action}"]
    checks.extend(
        check.format(station=station, line=line) for check in FACTOR_CHECKS.get(factor or "", ())
    )
    checks.append(f"Nothing has brought the root cause back: {root_cause}")
    return tuple(checks)


def _factor_name(factor: str | None) -> str:
    return CATEGORY_LABELS.get(factor or "", factor or "not recorded").split(" (")[0]


def _handbook_campaign(name: str | None = None) -> Campaign | None:
    """The campaign named (by name or id), else the active one, else the latest."""
    if name is not None:
        return campaign_row(name)
    return active_campaign_row() or (Campaign.select().order_by(Campaign.starts_on.desc()).first())


@uow.read
def compile_handbook(caller: Caller, *, campaign: str | None = None) -> Handbook:
    """The handbook's content: every typical case of the campaign (the one named, else the
    active one), by station and time."""
    chosen = _handbook_campaign(campaign)
    name = employee_names()
    query = defects_with_places().where(Defect.typical)
    query = query.order_by(Station.code, Defect.reported_at)
    if campaign is not None and chosen is not None:  # a campaign named: only its cases
        query = query.where(Defect.campaign == chosen.id)
    elif chosen is not None:
        query = query.where((Defect.campaign == chosen.id) | Defect.campaign.is_null())

    cases = []
    for number, d in enumerate(query, start=1):
        station = f"{d.station.code} ({d.station.name})"
        line = f"line {d.line.code} ({d.line.name})"
        cases.append(
            HandbookCase(
                number=number,
                defect_id=str(d.id),
                short_id=str(d.id)[:8],
                station_code=d.station.code,
                station_name=d.station.name,
                line_code=d.line.code,
                line_name=d.line.name,
                team_name=d.team.name,
                category=CATEGORY_LABELS.get(d.category, d.category),
                severity=SEVERITY_LABELS.get(d.severity, d.severity),
                source=SOURCE_LABELS.get(d.source, d.source),
                supplier=d.supplier.name if d.supplier else "",
                lot=d.lot or "",
                description=d.description,
                reported_by=name(d.reporter_id),
                reported_at=d.reported_at,
                root_cause_factor=_factor_name(d.root_cause_factor),
                root_cause=d.root_cause or "(not recorded)",
                corrective_action=d.corrective_action or "(not recorded)",
                fixed_by=name(d.fixed_by_id),
                fixed_at=d.fixed_at,
                verified_by=name(d.verified_by_id),
                verified_at=d.verified_at,
                closed_at=d.closed_at,
                checks=prevention_checks(
                    d.root_cause_factor,
                    d.corrective_action or "(not recorded)",
                    d.root_cause or "(not recorded)",
                    station,
                    line,
                ),
            )
        )
    return Handbook(
        title=TITLE,
        campaign_name=chosen.name if chosen else "(no campaign)",
        generated_at=caller.now(),
        cases=tuple(cases),
    )


# -- Markdown ---------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&!])")
_MD_LINE_START = re.compile(r"^(\d*)([#>+\-=.)])", re.MULTILINE)
_MD_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)


def md_escape(text: str) -> str:
    """User text shown as itself in Markdown: no headings, lists, links, emphasis, HTML,
    entities, code fences (``` or ~~~) or indented code blocks, so a root cause can never
    swallow the rest of the handbook."""
    escaped = _MD_LEADING_SPACE.sub("", text)  # 4 spaces would start a code block
    escaped = _MD_INLINE.sub(r"\\\1", escaped)
    escaped = _MD_LINE_START.sub(r"\1\\\2", escaped)  # "1\." is no list, "\#" no heading
    return escaped.replace("\n", "  \n")


def render_markdown(handbook: Handbook) -> str:
    count = len(handbook.cases)
    out = [
        f"# {handbook.title}",
        "",
        f"**{md_escape(handbook.campaign_name)}**",
        "",
        f"Compiled on {format_local(handbook.generated_at)} from {count} typical "
        f"case{'s' if count != 1 else ''}.",
        "",
    ]
    if not handbook.cases:
        out += ["No defect has been marked as a typical case yet.", ""]
    for case in handbook.cases:
        out += [
            f"## {md_escape(case.heading)}",
            "",
            f"- **Station / line:** {md_escape(case.where)}",
            f"- **Responsible team:** {md_escape(case.team_name)}",
            f"- **Classification:** {md_escape(case.classification)}",
            f"- **Reported:** {format_local(case.reported_at)} by {md_escape(case.reported_by)}"
            f" (defect {case.short_id})",
            "",
            f"### Root cause (5M1E: {case.root_cause_factor})",
            "",
            md_escape(case.root_cause),
            "",
            "### Description",
            "",
            md_escape(case.description),
            "",
            "### Corrective action",
            "",
            md_escape(case.corrective_action),
            "",
            "### Verification",
            "",
            md_escape(case.verification),
            "",
            "### What to check to prevent recurrence",
            "",
            *(f"- [ ] {md_escape(check)}" for check in case.checks),
            "",
        ]
    return "\n".join(out)


# -- PDF --------------------------------------------------------------------------

FONT_DIRS = fontlib.FONT_DIRS


@dataclass(frozen=True)
class FontChoice:
    name: str
    regular: Path
    bold: Path | None
    index: int = 0  # the font's number inside a .ttc collection
    cjk: bool = True
    bold_index: int = 0


@dataclass(frozen=True)
class PdfResult:
    font: str
    cjk: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def choose_font(
    text: str = "", given: str | Path | None = None, dirs: tuple[str, ...] = FONT_DIRS
) -> FontChoice:
    """The first font (the one given, else the installed ones) that holds every character of
    text (kiosk.services.reports.fonts); Helvetica for Latin-1 text when no font file is found.
    Raises NoFontForText when no font holds the text."""
    given = given or os.environ.get(FONT_ENV) or None
    faces = (fontlib.face_of_file(given),) if given else fontlib.installed_faces(tuple(dirs))
    face = fontlib.choose(text, faces, what=_("the handbook"), builtin=not given)
    if face is None:
        return FontChoice("Helvetica", Path(), None, 0, cjk=False)
    return FontChoice(
        face.family,
        Path(face.regular),
        Path(face.bold),
        face.regular_index,
        cjk=face.cjk,
        bold_index=face.bold_index,
    )


def _handbook_text(handbook: Handbook) -> str:
    """Every character the PDF sets (its fixed English words are Latin-1)."""
    parts = [TITLE, handbook.title, handbook.campaign_name, "· 0123456789"]
    for case in handbook.cases:
        parts.extend(str(value) for value in vars(case).values() if isinstance(value, str))
        parts.extend(case.checks)
    return " ".join(parts)


def render_pdf(
    handbook: Handbook,
    target: str | Path | BinaryIO,
    *,
    font: str | Path | None = None,
    font_dirs: tuple[str, ...] = FONT_DIRS,
) -> PdfResult:
    """Write the handbook as a PDF: a title page, then one page per typical case."""
    from fpdf import FPDF

    choice = choose_font(_handbook_text(handbook), font, font_dirs)
    notes: list[str] = []

    class HandbookPdf(FPDF):
        def footer(self) -> None:
            if self.page_no() == 1:
                return
            self.set_y(-14)
            self.set_font(family, "", 8)
            self.set_text_color(110)
            self.cell(0, 8, text(f"{TITLE} · page {self.page_no()}"), align="C")

    pdf = HandbookPdf(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    if choice.regular.name:
        family = "handbook"
        pdf.add_font(family, "", str(choice.regular), collection_font_number=choice.index)
        pdf.add_font(
            family,
            "B",
            str(choice.bold or choice.regular),
            collection_font_number=choice.bold_index if choice.bold else choice.index,
        )

        def text(value: str) -> str:
            return value

    else:  # no TrueType font at all: the PDF core font knows Latin-1 only
        family = "helvetica"

        def text(value: str) -> str:
            return value.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(TITLE)
    pdf.set_subject(handbook.campaign_name)
    pdf.set_creator("Quality Kiosk")

    def block(label: str, body: str, size: int = 11) -> None:
        pdf.set_font(family, "B", 11)
        pdf.set_text_color(30, 60, 120)
        pdf.multi_cell(0, 7, text(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", size)
        pdf.set_text_color(0)
        pdf.multi_cell(0, 6, text(body), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    # the title page
    pdf.add_page()
    pdf.ln(55)
    pdf.set_font(family, "B", 24)
    pdf.multi_cell(0, 12, text(handbook.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(family, "", 15)
    pdf.multi_cell(0, 9, text(handbook.campaign_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(18)
    count = len(handbook.cases)
    pdf.set_font(family, "", 11)
    pdf.multi_cell(
        0,
        7,
        text(
            f"Compiled on {format_local(handbook.generated_at)} from {count} typical "
            f"case{'s' if count != 1 else ''}."
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if not handbook.cases:
        pdf.ln(6)
        pdf.multi_cell(
            0,
            7,
            "No defect has been marked as a typical case yet.",
            align="C",
            new_x="LMARGIN",
            new_y="NEXT",
        )

    box = "□" if choice.regular.name else "-"
    for case in handbook.cases:
        pdf.add_page()
        pdf.set_font(family, "B", 16)
        pdf.set_text_color(0)
        pdf.multi_cell(0, 9, text(case.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        block("Station / line", f"{case.where}\nResponsible team: {case.team_name}")
        block(
            "Classification",
            f"{case.classification}\nReported on {format_local(case.reported_at)} by "
            f"{case.reported_by} (defect {case.short_id})",
        )
        block(case.root_cause_title, case.root_cause)
        block("Description", case.description)
        block("Corrective action", case.corrective_action)
        block("Verification", case.verification)
        block(
            "What to check to prevent recurrence",
            "\n".join(f"{box} {check}" for check in case.checks),
        )
    pdf.output(target)
    return PdfResult(font=choice.name, cjk=choice.cjk, notes=tuple(notes))
