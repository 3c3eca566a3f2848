"""The kiosk's own themes: high contrast for bright workshops, dark for wall boards."""

from __future__ import annotations

from textual.theme import Theme

HIGH_CONTRAST = Theme(
    name="qk-high-contrast",
    primary="#003a8c",
    secondary="#005f00",
    accent="#b35900",
    foreground="#000000",
    background="#ffffff",
    surface="#f2f2f2",
    panel="#d9d9d9",
    success="#006400",
    warning="#8a5a00",
    error="#b00000",
    dark=False,
    variables={
        "text-muted": "#333333",
        "footer-key-foreground": "#003a8c",
        "input-selection-background": "#003a8c 40%",
    },
)

BOARD_DARK = Theme(
    name="qk-board-dark",
    primary="#2f81f7",
    secondary="#3fb950",
    accent="#f0b400",
    foreground="#f0f6fc",
    background="#0b0f14",
    surface="#121820",
    panel="#1b2430",
    success="#3fb950",
    warning="#f0b400",
    error="#ff4d4d",
    dark=True,
)

THEMES = {"high-contrast": HIGH_CONTRAST, "dark": BOARD_DARK}


def theme_name(setting: str, *, board: bool) -> str:
    """The Textual theme for a setting ("" picks the mode's default)."""
    if setting in THEMES:
        return THEMES[setting].name
    if setting:
        return setting  # one of Textual's own, e.g. "textual-light"
    return BOARD_DARK.name if board else HIGH_CONTRAST.name
