"""Translations: English templates, looked up in kiosk/locale/<language>.json.

Code writes the English text once, through `_`:

    _("Badge {code} is not known here. Ask your team leader to register it.", code=code)

The template is the catalog key; `kiosk/locale/zh_CN.json` maps it to the Chinese
template with the same {placeholders}. A template with no translation falls back to
English, so a missing entry never hides a message (tests/test_i18n.py lists them).

Which language: a terminal's (the app sets the process language from its settings and
when the person switches), overridden inside a `language(...)` block. The override is a
`contextvars.ContextVar`, so a worker thread that runs a service for one terminal sets
it for that thread only (screens/base.py does, for every service call).

Texts made at import time (binding descriptions, label tables) are marked with `N_` and
translated when they are shown; `LazyLabels` is a mapping that does that on every read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}
LOCALE_DIR = Path(__file__).with_name("locale")

_override: ContextVar[str | None] = ContextVar("qk_language", default=None)
_process_language = DEFAULT_LANGUAGE

T = TypeVar("T")


class UnknownLanguage(ValueError):
    pass


def normalize(language: str) -> str:
    """'zh_CN', 'zh-cn', 'zh', 'zh_CN.UTF-8', 'en_US' ... -> 'zh_CN' or 'en'."""
    text = str(language or "").strip().split(".")[0].replace("-", "_").lower()
    if text in ("en", "en_us", "en_gb", "english", "c", "posix"):
        return "en"
    if text in ("zh", "zh_cn", "zh_hans", "zh_hans_cn", "cn", "chinese", "中文", "简体中文"):
        return "zh_CN"
    raise UnknownLanguage(f"language is one of {', '.join(LANGUAGES)}, got {language!r}")


def current_language() -> str:
    """The language of the caller: a `language(...)` block's, else the process's."""
    return _override.get() or _process_language


def set_process_language(language: str) -> str:
    """The language of this process (a terminal's app, the CLI); returns the one before."""
    global _process_language
    before = _process_language
    _process_language = normalize(language)
    return before


@contextmanager
def language(language: str) -> Iterator[str]:
    """Inside the block (this thread / task only), texts come in `language`."""
    token = _override.set(normalize(language))
    try:
        yield current_language()
    finally:
        _override.reset(token)


def run_in_language(language_: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with language(language_):
        return function(*args, **kwargs)


@cache
def catalog(language_: str) -> dict[str, str]:
    """English template -> template in `language_` (empty for English)."""
    if language_ == DEFAULT_LANGUAGE:
        return {}
    import json  # only for a language other than English: not before the first screen

    path = LOCALE_DIR / f"{language_}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): str(value) for key, value in data.items() if value}


class Tr(str):
    """A translated text that remembers its English template and values (to redo it)."""

    template: str
    params: dict[str, Any]
    __slots__ = ("template", "params")

    def __new__(cls, text: str, template: str, params: dict[str, Any]) -> Tr:
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tr, (str(self), self.template, self.params))

    def again(self) -> Tr:
        """The same text in the current language."""
        params = {
            key: value.again() if isinstance(value, Tr) else value
            for key, value in self.params.items()
        }
        return _(self.template, **params)


def translate(template: str, language_: str | None = None) -> str:
    """The template in `language_` (default: the current one), placeholders not filled."""
    language_ = language_ or current_language()
    if language_ == DEFAULT_LANGUAGE:
        return template
    return catalog(language_).get(template, template)


def _(template: str, /, **params: Any) -> Tr:
    """`template` in the current language, with `params` filled in (str.format)."""
    text = translate(template)
    if params:
        try:
            text = text.format(**params)
        except (KeyError, IndexError, ValueError):  # a broken translation: show English
            text = template.format(**params)
    return Tr(text, template, params)


def ngettext(singular: str, plural: str, count: int, /, **params: Any) -> Tr:
    """`singular` or `plural` by `count` (English); `count` is also a placeholder."""
    return _(singular if count == 1 else plural, count=count, **params)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 row", "3 rows": a count and its English noun, for the command line's lines (which
    are in English; a screen's text goes through ngettext)."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def N_(template: str) -> str:  # noqa: N802 (the gettext name)
    """Marks a text for the catalog; it is translated later, where it is shown."""
    return template


@cache
def _reverse(language_: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for template, text in catalog(language_).items():
        if "{" not in template:
            table.setdefault(text, template)
    return table


def template_of(text: str) -> str | None:
    """The English template of a text shown in any language (texts without values only)."""
    if isinstance(text, Tr):
        return text.template if not text.params else None
    for language_ in LANGUAGES:
        if language_ == DEFAULT_LANGUAGE:
            continue
        if text in catalog(language_):
            return text
        found = _reverse(language_).get(text)
        if found is not None:
            return found
    return None


def retranslate(text: str) -> str | None:
    """`text` (shown earlier in some language) in the current language; None if unknown."""
    if isinstance(text, Tr):
        return text.again()
    template = template_of(text)
    return None if template is None else _(template)


class LazyLabels(Mapping[str, str]):
    """A mapping of codes to English labels (marked with N_) read in the current language."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._labels = dict(labels)

    def __getitem__(self, key: str) -> str:
        return _(self._labels[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def english(self, key: str) -> str:
        return self._labels[key]


def reload_catalogs() -> None:
    """Forget the loaded catalogs (after editing a JSON file; tests)."""
    catalog.cache_clear()
    _reverse.cache_clear()
