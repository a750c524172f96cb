"""Templates, their Babel catalogs and how long the messages get."""

from datetime import date
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po

from kernel.policy import load_profile
from notifications.segments import measure_signed
from notifications.settings import SmsSettings
from notifications.templates import (
    LOCALES,
    TEMPLATES,
    Kind,
    catalog_messages,
    check_params,
    normalise_locale,
    placeholders,
    po_path,
    provider_text,
    render,
    storable_params,
)


def catalog(locale: str):
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_string_is_translated_in_both_catalogs(locale) -> None:
    entries = {m.id: m for m in catalog(locale) if m.id}
    missing = [s for s in catalog_messages() if s not in entries or not entries[s].string]
    assert not missing, f"{locale} catalog lacks: {missing}"
    fuzzy = [m.id for m in entries.values() if m.fuzzy]
    assert not fuzzy, f"{locale} has fuzzy (unused) entries: {fuzzy}"
    stale = set(entries) - set(catalog_messages())
    assert not stale, f"{locale} has entries no template uses: {stale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(locale) -> None:
    for message in catalog(locale):
        if message.id:
            assert placeholders(message.string) == placeholders(message.id), message.id


def test_each_template_declares_exactly_the_parameters_its_text_uses() -> None:
    for template in TEMPLATES.values():
        assert placeholders(template.source) == set(template.names), template.key


def test_the_template_set_covers_the_product() -> None:
    assert set(TEMPLATES) >= {
        "job_offer",
        "training_offer",
        "warning_notice",
        "sanction_notice",
        "continuation_start",
        "continuation_end",
        "reentry_decision",
        "status_reply",
        "help_text",
        "opt_out_confirmation",
    }
    assert {k for k, t in TEMPLATES.items() if t.kind is Kind.OFFER} == {
        "job_offer",
        "training_offer",
    }


JOB = {
    "code": "K7Q2",
    "employer": "定远县城南工业园区安徽皖东电子科技有限公司",
    "job_title": "电子装配操作工（长白班）",
    "place": "定城镇城南工业园区纬三路18号",
    "wage": Decimal("2850.00"),
    "deadline": date(2026, 3, 12),
}
JOB_EN = {
    **JOB,
    "employer": "Anhui Wandong Electronics Co., Ltd.",
    "job_title": "Assembly line operator",
    "place": "Chengnan Industrial Park, Dingcheng",
}


def test_job_offer_in_chinese_formats_money_and_dates_with_babel() -> None:
    text = render("job_offer", JOB, "zh_CN").text
    assert "¥2,850.00" in text
    assert "2026年3月12日" in text
    assert "1 K7Q2" in text and "2 K7Q2" in text
    assert text.startswith("岗位K7Q2：")


def test_job_offer_in_english() -> None:
    text = render("job_offer", JOB_EN, "en").text
    assert "CN¥2,850.00" in text
    assert "Mar 12, 2026" in text
    assert "Reply 1 K7Q2 to accept or 2 K7Q2 to decline" in text


@pytest.mark.parametrize(("locale", "params"), [("zh_CN", JOB), ("en", JOB_EN)])
def test_a_realistic_long_job_offer_fits_the_policys_part_limit(locale, params) -> None:
    """Long employer, title and place names still fit in notifications.max_parts parts with
    the default signature; a template edit that pushes them over fails here, before an office
    pays for a fourth part on every offer."""
    limit = load_profile("county-pilot").at(date(2026, 3, 2)).int("notifications.max_parts")
    signature = SmsSettings().signature
    for key, values in (
        ("job_offer", params),
        (
            "training_offer",
            {
                "code": "M3P9",
                "course": params["job_title"],
                "provider": params["employer"],
                "place": params["place"],
                "start_date": date(2026, 3, 16),
                "deadline": date(2026, 3, 12),
            },
        ),
    ):
        length = measure_signed(signature, render(key, values, locale).text)
        assert length.parts <= limit, (key, locale, length)


def test_every_template_renders_in_both_locales_within_three_parts() -> None:
    samples = {
        "code": "K7Q2",
        "employer": "皖东电子",
        "job_title": "装配工",
        "place": "城南工业园",
        "wage": "2850",
        "deadline": "2026-03-12",
        "course": "电工",
        "provider": "县职校",
        "start_date": "2026-03-16",
        "refused_on": "2026-03-02",
        "count": 1,
        "threshold": 2,
        "office_phone": "0550-1234567",
        "amount": Decimal("300.00"),
        "starts_on": "2026-04-01",
        "ends_on": "2026-09-30",
        "office": "定远县民政局",
        "appeal_by": "2026-05-31",
        "status": "continuation",
        "since": "2026-04-01",
        "codes": ["K7Q2", "M3P9"],
        "day": "2026-03-09",
        "time": "09:30",
    }
    for key, template in TEMPLATES.items():
        params = {name: samples[name] for name in template.names}
        for locale in LOCALES:
            text = render(key, params, locale).text
            assert "{" not in text, (key, locale)
            assert measure_signed("【定远就业】", text).parts <= 3, (key, locale)


def test_status_words_and_code_lists_are_translated() -> None:
    status = {"status": "active", "amount": "300", "since": "2026-03-01"}
    assert "正常发放" in render("status_reply", status, "zh_CN").text
    assert "being paid" in render("status_reply", status, "en").text
    assert "K7Q2和M3P9" in render("help_text", {"codes": ["K7Q2", "M3P9"]}, "zh_CN").text
    assert render("help_text", {"codes": []}, "zh_CN").text.endswith("无。")
    assert render("help_text", {"codes": []}, "en").text.endswith("none.")


def test_parameter_problems_are_all_listed() -> None:
    problems = check_params(
        TEMPLATES["job_offer"],
        {"code": "K7Q2", "employer": "", "wage": 2850.0, "deadline": "12/03/2026", "bonus": "x"},
    )
    found = {(p.field, p.message.split(";")[0]) for p in problems}
    assert ("params.bonus", "not a template parameter") in found
    assert ("params.job_title", "missing") in found
    assert ("params.place", "missing") in found
    assert ("params.employer", "must not be empty") in found
    assert any(f == "params.wage" and "float" in m for f, m in found)
    assert any(f == "params.deadline" for f, _ in found)


def test_params_are_stored_as_json_safe_values() -> None:
    stored = storable_params(TEMPLATES["job_offer"], JOB)
    assert stored["wage"] == "2850.00" and stored["deadline"] == "2026-03-12"
    assert render("job_offer", stored, "zh_CN").text == render("job_offer", JOB, "zh_CN").text


def test_provider_template_texts() -> None:
    alibaba = provider_text("continuation_start", "zh_CN", "alibaba")
    assert "${starts_on}" in alibaba and "${amount}" in alibaba
    tencent = provider_text("continuation_start", "zh_CN", "tencent")
    assert tencent == "祝贺您就业！您的低保金自{2}至{3}继续发放，每月{1}。"


@pytest.mark.parametrize(
    ("value", "locale"),
    [("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"), ("en_US", "en"), ("en", "en"),
     ("fr", None), ("", None), (None, None)],
)  # fmt: skip
def test_locale_names(value, locale) -> None:
    assert normalise_locale(value) == locale
