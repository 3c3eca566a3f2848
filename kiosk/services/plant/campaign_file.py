"""A campaign as a TOML file: `kiosk campaign new FILE.toml` reads it, `kiosk campaign
template FILE` writes one with every key explained.

    name = "2026 Quality Month"
    starts_on = 2026-09-01
    ends_on = 2026-09-30

    [[phases]]                  # as many as the campaign has
    name = "Kick-off & awareness"
    starts_on = 2026-09-01
    ends_on = 2026-09-05

    [rules]                     # point rules   (a key left out takes its default)
    [line_evaluation]           # the three weights, adding up to 100
    [targets]                   # shown against the actual figures on the board

Dates are TOML dates or "YYYY-MM-DD" strings. A key the format does not know is
refused (a typo must not silently leave a rule at its default).
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

from kiosk.errors import ServiceError, ValidationFailed
from kiosk.services.plant.campaigns import RULES, CampaignDraft, PhaseDraft

SECTIONS = ("rules", "line_evaluation", "targets")
TOP_KEYS = ("name", "starts_on", "ends_on", "phases", *SECTIONS)
PHASE_KEYS = ("name", "starts_on", "ends_on")
MAX_BYTES = 1_000_000
SAMPLE = "data/sample-campaign.toml"


def _problem(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


def _day(value: object) -> str | date:
    """A TOML date stays a date; anything else is checked as text later."""
    if isinstance(value, date):
        return value
    return "" if value is None else str(value)


def parse_campaign(text: str, source: str = "the file") -> CampaignDraft:
    """The campaign in a TOML text; ValidationFailed({'file': ...}) for a file that is
    not this format (the campaign's own checks come after, in create_campaign)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _problem(f"{source} is not valid TOML: {exc}.") from None
    unknown = [key for key in data if key not in TOP_KEYS]
    if unknown:
        raise _problem(
            f"{source}: unknown key(s) {', '.join(unknown)}; "
            f"the keys are {', '.join(TOP_KEYS)} (see `kiosk campaign template`)."
        )
    phases = data.get("phases", [])
    if not isinstance(phases, list) or not all(isinstance(p, dict) for p in phases):
        raise _problem(f"{source}: phases must be [[phases]] tables with name, starts_on, ends_on.")
    drafts = []
    for number, phase in enumerate(phases, start=1):
        extra = [key for key in phase if key not in PHASE_KEYS]
        if extra:
            raise _problem(
                f"{source}: phase {number} has unknown key(s) {', '.join(extra)}; "
                f"a phase has {', '.join(PHASE_KEYS)}."
            )
        drafts.append(
            PhaseDraft(
                str(phase.get("name", "")), _day(phase.get("starts_on")), _day(phase.get("ends_on"))
            )
        )
    rules: dict[str, object] = {}
    for section in SECTIONS:
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise _problem(f"{source}: [{section}] must be a table of key = number lines.")
        known = {rule.file_key: rule for rule in RULES if rule.section == section}
        extra = [key for key in table if key not in known]
        if extra:
            raise _problem(
                f"{source}: [{section}] has unknown key(s) {', '.join(extra)}; "
                f"it takes {', '.join(known)}."
            )
        for key, value in table.items():
            rules[known[key].key] = value
    return CampaignDraft(
        name=str(data.get("name", "")),
        starts_on=_day(data.get("starts_on")),
        ends_on=_day(data.get("ends_on")),
        phases=tuple(drafts),
        rules=rules,
    )


def read_campaign_file(path: str | Path) -> CampaignDraft:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _problem(f"{path} is larger than {MAX_BYTES // 1000} kB: not a campaign file.")
        raw = path.read_bytes()
    except OSError as exc:
        raise ServiceError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _problem(f"{path} is not UTF-8 text: save it as UTF-8.") from None
    return parse_campaign(text, str(path))


def sample_campaign_text() -> str:
    """The sample campaign shipped with the package (the plant's Quality Month)."""
    return resources.files("kiosk").joinpath(SAMPLE).read_text(encoding="utf-8")


def campaign_template() -> str:
    """A campaign file with every key, its default and what it means."""
    lines = [
        "# A Quality Month campaign for `kiosk campaign new FILE.toml [--activate]`.",
        "# Lines starting with # are comments. A rule or target left out takes the default",
        "# shown. Dates are YYYY-MM-DD. Campaigns may not overlap and need distinct names.",
        "",
        'name = "2026 Quality Month"   # shown on every board and in every export',
        "starts_on = 2026-09-01         # the campaign's first day",
        "ends_on = 2026-09-30           # its last day (at most 366 days after the first)",
        "",
        "# Phases: as many [[phases]] tables as the campaign has; each lies inside the",
        "# campaign's dates; phases may overlap (a phase that runs all month, for example).",
        "[[phases]]",
        'name = "Kick-off & awareness"',
        "starts_on = 2026-09-01",
        "ends_on = 2026-09-05",
        "",
        "[[phases]]",
        'name = "Implementation & problem-solving"',
        "starts_on = 2026-09-06",
        "ends_on = 2026-09-24",
        "",
        "[[phases]]",
        'name = "Culture integration"',
        "starts_on = 2026-09-01",
        "ends_on = 2026-09-30",
        "",
        "[[phases]]",
        'name = "Summary & standardization"',
        "starts_on = 2026-09-25",
        "ends_on = 2026-09-30",
    ]
    titles = {
        "rules": "Point rules.",
        "line_evaluation": "Benchmark-line evaluation weights (percent; the three add up to 100).",
        "targets": "Targets: the board shows each beside the actual figure.",
    }
    for section in SECTIONS:
        lines += ["", f"# {titles[section]}", f"[{section}]"]
        for rule in RULES:
            if rule.section != section:
                continue
            span = f"{rule.low} to {rule.high}" + (" characters" if rule.text else "")
            lines.append(f"# {rule.explain}; {span}")
            lines.append(f"{rule.file_key} = {rule.file_value(rule.default)}")
    return "\n".join(lines) + "\n"
