"""English and Simplified Chinese: the catalog covers the code, and services answer in the
language of the terminal that called them (a context variable, per thread)."""

from __future__ import annotations

import json
import re
import string
import threading

import pytest

from kiosk import cli, i18n
from kiosk.caller import Caller
from kiosk.config import ConfigError, load_settings
from kiosk.errors import NotFound, ValidationFailed
from kiosk.i18n import _, language, ngettext
from kiosk.services.defects import defects
from kiosk.services.plant import plant, stations
from kiosk.services.platform import auth
from tests.helpers.i18n_scan import all_templates, placeholders, templates_in

CATALOG_PATH = i18n.LOCALE_DIR / "zh_CN.json"
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A test that sets the process language (the CLI does) leaves English behind."""
    yield
    i18n.set_process_language("en")


def _catalog() -> dict[str, str]:
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


def _fields(template: str) -> set[tuple[str, str | None, str | None]]:
    return {
        (name, conversion, spec)
        for _text, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    }


# -- the catalog --------------------------------------------------------------------


def test_the_scan_finds_calls_marks_and_key_descriptions():
    source = (
        "from textual.binding import Binding\n"
        'B = [Binding("f2", "report", "Report defect")]\n'
        'LABEL = N_("Minor")\n'
        "def f(n):\n"
        '    return _("Station {code}", code=1) + ngettext("{count} row", "{count} rows", n)\n'
    )
    found = templates_in(source, "x.py")
    assert set(found) == {"Report defect", "Minor", "Station {code}", "{count} row", "{count} rows"}
    assert len(all_templates()) > 700  # the whole of kiosk/ and screens/


def test_every_english_text_in_the_code_has_a_chinese_entry():
    catalog = _catalog()
    missing = [
        f"{where}: {text!r}" for text, where in all_templates().items() if text not in catalog
    ]
    assert missing == [], "no Chinese for:\n" + "\n".join(missing)


def test_every_entry_is_used_and_keeps_the_placeholders():
    catalog = _catalog()
    used = all_templates()
    stale = [text for text in catalog if text not in used]
    assert stale == [], f"entries no code uses any more: {stale}"
    wrong = [
        f"{english!r} -> {chinese!r}"
        for english, chinese in catalog.items()
        if _fields(english) != _fields(chinese) or placeholders(chinese) != placeholders(english)
    ]
    assert wrong == [], "placeholders differ:\n" + "\n".join(wrong)


def test_entries_are_chinese_where_the_english_has_words():
    untranslated = [
        english
        for english, chinese in _catalog().items()
        if re.search(r"[A-Za-z]{3,}", re.sub(r"\{[^{}]*\}", "", english))
        and not CJK.search(chinese)
    ]
    assert untranslated == []


def test_quality_month_terms_use_the_plant_words():
    catalog = _catalog()
    assert catalog["Red-Black List"] == "红黑榜"
    assert catalog["Quality Mobile Flag"] == "质量流动红旗"
    assert catalog["FPY"] == "一次合格率"
    assert catalog["Man (people, skills)"].startswith("人")
    assert [catalog[w] for w in ("Man", "Machine", "Material", "Method", "Environment")] == [
        "人",
        "机",
        "料",
        "法",
        "环",
    ]
    assert catalog["Measurement"] == "测"
    assert catalog["Incoming material"] == "来料"
    assert catalog["On-site anomaly"] == "现场异常"
    assert catalog["Customer complaint"] == "客户投诉"
    assert "纠正措施" in catalog["Corrective action that prevents recurrence"]
    assert "根本原因" in catalog["Root cause 5M1E factor"]


def test_a_missing_or_broken_translation_falls_back_to_english(monkeypatch):
    monkeypatch.setitem(i18n.catalog("zh_CN"), "Broken {name}", "坏了 {nmae}")
    with language("zh_CN"):
        assert _("Not in the catalog {x}", x=1) == "Not in the catalog 1"
        assert _("Broken {name}", name="A") == "Broken A"
        assert _("Station {code}", code="L1-S01") == "工位 L1-S01"
        assert ngettext("{count} defect. Enter opens one.", "x", 1) == ("1 个缺陷。回车打开。")
    assert _("Station {code}", code="L1-S01") == "Station L1-S01"


def test_a_translated_text_redoes_itself_in_another_language():
    with language("zh_CN"):
        text = _("Signed out after {limit} s without activity.", limit=_("Quit"))
    assert text == "退出 秒无操作，已自动退出。"
    with language("en"):
        assert text.again() == "Signed out after Quit s without activity."
        assert i18n.retranslate("红黑榜") in ("Red-Black", "Red-Black List", "Red-Black list")
        assert i18n.retranslate("not a catalog text") is None


def test_language_names_are_normalised():
    assert i18n.normalize("zh-CN") == "zh_CN"
    assert i18n.normalize("zh_CN.UTF-8") == "zh_CN"
    assert i18n.normalize("en_US") == "en"
    with pytest.raises(i18n.UnknownLanguage):
        i18n.normalize("fr")


# -- services answer in the caller's language -----------------------------------------


def test_scan_errors_in_chinese():
    key = b"k" * 32
    genuine = stations.make_payload("S", "L1-S01", key)
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    with language("zh_CN"):
        message = stations.parse_scan(forged, key).message
        nothing = stations.parse_scan("   ", key).message
    assert "L1-S01 的标签签名无效" in message and "质量部" in message
    assert nothing.startswith("没有扫描到内容")
    assert "invalid signature" in stations.parse_scan(forged, key).message


def test_validation_messages_in_chinese():
    draft = defects.DefectDraft("L1-S01", None, "minor", "inspection", "   ")
    with language("zh_CN"):
        problems = defects.validate_draft(draft)
    assert problems["description"] == "请描述缺陷：哪里有什么问题。"
    assert problems["category"] == "请选择 5M1E 类别（人、机、料、法、环、测）。"
    assert defects.validate_draft(draft)["description"] == (
        "Describe the defect: what is wrong, and where."
    )


def test_unknown_badge_and_empty_report_refused_in_chinese(demo_plant, clock):
    with language("zh_CN"), pytest.raises(NotFound) as refused:
        auth.sign_in(Caller.of(None, clock, "T"), "NOPE42", None)
    assert refused.value.message == "工牌 NOPE42 未登记。请联系班组长登记。"
    with pytest.raises(NotFound) as english:
        auth.sign_in(Caller.of(None, clock, "T"), "NOPE42", None)
    assert english.value.message.startswith("Badge NOPE42 is not known here.")

    operator = auth.sign_in(Caller.of(None, clock, "T"), "E1002", None)
    assert operator.role_title == "Operator"
    with language("zh_CN"):
        assert operator.role_title == "操作员"
        options = defects.report_options()
        assert [o.label for o in options.severities] == ["轻微", "严重", "致命"]
        with pytest.raises(ValidationFailed) as empty:
            defects.report_defect(
                Caller.of(operator, clock, "T"),
                defects.DefectDraft("L1-S01", "man", "minor", "inspection", ""),
            )
        signed = stations.parse_scan(
            stations.make_payload("S", "L1-S01", plant.signing_key()) + "X",
            plant.valid_signing_keys(Caller.system(clock)),
        )
    assert empty.value.problems == {"description": "请描述缺陷：哪里有什么问题。"}
    assert "签名无效" in signed.message


def test_each_thread_keeps_its_own_language():
    results: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def work(name: str, lang: str) -> None:
        with language(lang):
            barrier.wait(timeout=5)  # both blocks are open at once
            results[name] = defects.validate_draft(
                defects.DefectDraft("L1-S01", "man", "minor", "inspection", "")
            )["description"]

    threads = [
        threading.Thread(target=work, args=("zh", "zh_CN")),
        threading.Thread(target=work, args=("en", "en")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {
        "zh": "请描述缺陷：哪里有什么问题。",
        "en": "Describe the defect: what is wrong, and where.",
    }
    assert i18n.current_language() == "en"


# -- settings and the command line ----------------------------------------------------


def test_language_from_flag_environment_and_config(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\nlanguage = "zh-CN"\n', encoding="utf-8")
    assert load_settings(config, environ={}).language == "zh_CN"
    assert load_settings(tmp_path / "none.toml", environ={"QK_LANGUAGE": "zh"}).language == "zh_CN"
    with pytest.raises(ConfigError, match="language"):
        load_settings(tmp_path / "none.toml", environ={"QK_LANGUAGE": "klingon"})
    args = cli.build_parser().parse_args(["run", "--language", "zh_CN"])
    assert cli._settings(args).language == "zh_CN"
    args = cli.build_parser().parse_args(["run", "--language", "zh"])  # as the README says
    assert cli._settings(args).language == "zh_CN"
    with pytest.raises(ConfigError, match="--language: language is one of en, zh_CN"):
        cli._settings(cli.build_parser().parse_args(["run", "--language", "de"]))


def test_the_command_line_answers_in_the_configured_language(
    database, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("QK_LANGUAGE", "zh_CN")
    missing = tmp_path / "missing.csv"
    status = cli.main(["import", "questions", str(missing), "--db", database])
    assert status == 2
    assert f"{missing}：没有这个文件。" in capsys.readouterr().err
