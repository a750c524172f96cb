"""The web layer keeps personal data where it belongs: out of logs, out of caches, in cookies
sent over HTTPS when asked, in pages no other site can frame; and the OpenAPI document is a
valid one that says which endpoints need no token."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from openapi_spec_validator import validate
from sqlalchemy import text

from kernel.masking import mask_personal_data
from kernel.settings import Settings
from support import PASSWORD, Desk, PageClient, make_account, member

PHONE = "13912345678"
ID_NUMBER = "341125198703150020"


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, formatted as a log file would have it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_phones_and_ids_are_masked_in_a_request_that_fails(
    client, tokens, clock, monkeypatch, log_text
) -> None:
    desk = Desk(client, tokens, clock)
    household = desk.household_with_case(member(phone=PHONE))
    member_id = household["members"][0]["id"]
    from benefits import services

    def failing(ctx, member_id, data):
        # A database error whose statement carries a phone and an ID number as parameters,
        # then an exception that names them in its own text.
        try:
            ctx.session.execute(
                text("INSERT INTO no_such_table (phone, national_id) VALUES (:p, :i)"),
                {"p": "+86" + PHONE, "i": ID_NUMBER},
            )
        except Exception as exc:
            raise RuntimeError(f"could not update {PHONE} / {ID_NUMBER}") from exc

    monkeypatch.setattr(services, "update_member", failing)
    response = client.patch(
        f"/api/v1/members/{member_id}", json={"student": True}, headers=desk.officer
    )
    assert response.status_code == 500
    logged = log_text.getvalue()
    assert "Traceback" in logged and "no_such_table" in logged
    assert PHONE not in logged and ID_NUMBER not in logged
    assert "139****5678" in logged and "3411**********0020" in logged
    assert "SQL parameters hidden" in logged


def test_masking_finds_phones_in_every_shape_and_leaves_other_numbers() -> None:
    text_ = f"+86{PHONE} 86{PHONE} {PHONE} id {ID_NUMBER} account 6228480010012345678 n=42"
    masked = mask_personal_data(text_)
    assert masked == (
        "+86139****5678 86139****5678 139****5678 id 3411**********0020 "
        "account 6228480010012345678 n=42"
    )


def test_a_record_logged_by_any_logger_is_masked(log_text) -> None:
    logging.getLogger("some.library").warning("user %s called from %s", ID_NUMBER, PHONE)
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        logging.getLogger("other").exception("failed")
    logged = log_text.getvalue()
    assert PHONE not in logged and ID_NUMBER not in logged
    assert "ValueError: bad phone 139****5678" in logged


# --- cookies ------------------------------------------------------------------------------------


def cookie_lines(response) -> dict[str, str]:
    return {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}


@pytest.mark.parametrize("secure", [True, False])
def test_page_cookies_are_secure_when_the_setting_says_so(
    app, settings, engine, secure: bool
) -> None:
    from litestar.testing import TestClient

    app.state.settings = Settings(database_url=settings.database_url, secure_cookies=secure)
    make_account(engine, "demo.counsellor", "counsellor", office="东街社区")
    with TestClient(app) as client:
        login = client.get("/app/login")
        language = client.get("/app/login?lang=en", follow_redirects=False)
        # Over plain HTTP the client keeps Secure cookies to itself, so send the form's
        # double-submit cookie by hand.
        csrf = PageClient.TOKEN.search(login.text).group(1)
        signed_in = client.post(
            "/app/login",
            data={"username": "demo.counsellor", "password": PASSWORD, "csrf_token": csrf},
            headers={"cookie": f"wb_login_csrf={client.cookies.get('wb_login_csrf') or csrf}"},
            follow_redirects=False,
        )
    assert signed_in.status_code == 303, signed_in.text
    cookies = {**cookie_lines(login), **cookie_lines(language), **cookie_lines(signed_in)}
    assert {"wb_session", "wb_login_csrf", "wb_lang"} <= set(cookies)
    for name in ("wb_session", "wb_login_csrf", "wb_lang"):
        assert ("Secure" in cookies[name]) is secure, cookies[name]
        assert "HttpOnly" in cookies[name]


# --- headers ------------------------------------------------------------------------------------


def test_pages_cannot_be_framed_and_run_only_their_own_scripts(client) -> None:
    response = client.get("/app/login")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # The one inline style is allowed by its hash; no inline script or handler is left.
    assert "<script>" not in response.text and "onclick" not in response.text
    redirect = client.get("/app/today", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["x-frame-options"] == "DENY"


def test_api_answers_with_personal_data_are_not_stored(client, tokens) -> None:
    response = client.get("/api/v1/cases", headers=tokens.headers("benefit_officer"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    refused = client.get("/api/v1/cases")
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


# --- OpenAPI ------------------------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_says_who_needs_a_token(client) -> None:
    document = client.get("/schema/openapi.json").json()
    validate(document)  # raises on any schema the OpenAPI 3.1 specification does not allow
    paths = document["paths"]
    assert paths["/health"]["get"]["security"] == []
    webhooks = [op for path, item in paths.items() if path.startswith("/webhooks/")
                for op in item.values()]  # fmt: skip
    assert webhooks and all(op["security"] == [] for op in webhooks)
    assert "security" not in paths["/api/v1/cases"]["get"]  # the document's bearer token
    assert document["security"] == [{"BearerToken": []}]
    wage = document["components"]["schemas"]["VacancyPatchIn"]["properties"]["monthly_wage"]
    assert wage["maximum"] == 100000
    assert "415" in paths["/api/v1/households"]["post"]["responses"]
