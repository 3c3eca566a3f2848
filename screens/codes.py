"""Short words for the codes the database keeps (5M1E category, severity, status, source),
as tables show them: English as stored ("machine", "major", "in progress"), else translated."""

from __future__ import annotations

from kiosk.i18n import N_, _

# the catalog needs each word once; the code with "_" shown as a space
CODE_WORDS = (
    N_("man"),
    N_("machine"),
    N_("material"),
    N_("method"),
    N_("environment"),
    N_("measurement"),
    N_("minor"),
    N_("major"),
    N_("critical"),
    N_("reported"),
    N_("in progress"),
    N_("fixed"),
    N_("verified"),
    N_("closed"),
    N_("completed"),
    N_("not inspected"),
    N_("inspection"),
    N_("on site anomaly"),
    N_("incoming material"),
    N_("customer complaint"),
)


def code_word(code: str | None) -> str:
    """`in_progress` -> "in progress" (English) or its translation."""
    if not code:
        return ""
    return _(code.replace("_", " "))
