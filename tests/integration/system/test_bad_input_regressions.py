"""Input that used to crash the service (500) or slip into the records is a 4xx problem now,
listing the field, and writes nothing. Each test is a reproduction of a found fault."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, get_args

import pytest
from pydantic import BaseModel, BeforeValidator
from sqlalchemy import inspect, text

from kernel.types import InputModel
from support import VACANCY, Desk, create_household, household, member, new_member

ROWS_IGNORED = {"alembic_version", "api_token"}


def row_counts(engine) -> dict[str, int]:
    """Every table's row count: a request that got a 4xx must leave all of them as they were."""
    names = [t for t in inspect(engine).get_table_names() if t not in ROWS_IGNORED]
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in names
        }


def problems(response, status: int) -> set[tuple[str | None, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["problems"]
    return {(p["field"], p["rule"]) for p in body["problems"]}


def fields(response, status: int = 422) -> set[str | None]:
    return {field for field, _ in problems(response, status)}


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


@pytest.fixture
def paid(desk: Desk) -> dict[str, Any]:
    """A household with an approved case (2 March 2026) whose head has a phone."""
    return desk.household_with_case(member(phone="13912345678"))


# --- 1. explicit nulls ------------------------------------------------------------------------


def test_a_null_for_a_field_that_cannot_be_empty_is_422_not_an_integrity_error(
    client, desk: Desk, paid, engine
) -> None:
    member_id = paid["members"][0]["id"]
    before = row_counts(engine)
    for body in ({"language": None}, {"work_capacity": None}, {"student": None}):
        response = client.patch(f"/api/v1/members/{member_id}", json=body, headers=desk.officer)
        assert fields(response) == set(body)
    assert row_counts(engine) == before
    person = client.get(f"/api/v1/households/{paid['id']}", headers=desk.officer).json()
    assert person["members"][0]["language"] == "zh_CN"


def test_every_patch_schema_refuses_nulls_where_the_record_cannot_hold_one(
    client, desk: Desk, engine
) -> None:
    vacancy = desk.vacancy()
    before = row_counts(engine)
    for name in ("openings", "valid_until", "labour_dispute", "monthly_wage", "shift"):
        response = client.patch(
            f"/api/v1/matching/vacancies/{vacancy['id']}",
            json={name: None},
            headers=desk.counsellor,
        )
        assert fields(response) == {name}
    assert row_counts(engine) == before


def test_a_phone_may_still_be_cleared_with_null(client, desk: Desk, paid) -> None:
    member_id = paid["members"][0]["id"]
    response = client.patch(
        f"/api/v1/members/{member_id}", json={"phone": None}, headers=desk.officer
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] is None


# --- 2. days before the policy, or far ahead --------------------------------------------------


def test_the_policy_before_its_first_version_is_422(client, desk: Desk) -> None:
    response = client.get("/api/v1/policy?on=2000-01-01", headers=desk.officer)
    assert problems(response, 422) == {("on", "day-bounds")}
    assert client.get("/api/v1/policy?on=2020-01-01", headers=desk.officer).status_code == 200


def test_days_before_the_first_policy_version_are_refused_everywhere(
    client, desk: Desk, paid, engine
) -> None:
    desk.on("2026-03-03")
    member_id = paid["members"][0]["id"]
    other = create_household(client, desk.officer, household(member(phone="13912345679")))
    vacancy = desk.vacancy()
    case = paid["case_id"]
    applying = {"household_id": other["id"], "category_requested": "C"}
    attempts = [
        ("/applications", {**applying, "applied_on": 0}),
        ("/applications", {**applying, "applied_on": "2019-12-31"}),
        (f"/cases/{case}/reviews", {"reviewed_on": "1970-01-01"}),
        (f"/cases/{case}/status", {"status": "suspended", "effective_from": "1970-01-01",
                                   "reason": "外出务工"}),
        ("/activation/referrals", {"member_id": member_id, "vacancy_id": vacancy["id"],
                                   "referred_on": "2019-12-31"}),
    ]  # fmt: skip
    before = row_counts(engine)
    for path, body in attempts:
        response = client.post(f"/api/v1{path}", json=body, headers=desk.officer)
        if response.status_code == 403:  # referrals are the counsellor's
            response = client.post(f"/api/v1{path}", json=body, headers=desk.counsellor)
        day = next(k for k in body if k.endswith(("_on", "_from")))
        assert fields(response) == {day}, (path, response.text)
    assert row_counts(engine) == before


def test_a_decision_dated_zero_is_422(client, desk: Desk, engine) -> None:
    from support import walk_to_notice

    created = create_household(client, desk.officer, household())
    app_id = walk_to_notice(client, desk.officer, created["id"], desk.clock)
    before = row_counts(engine)
    response = client.post(
        f"/api/v1/applications/{app_id}/decision",
        json={"approve": True, "decided_on": 0},
        headers=desk.officer,
    )
    assert fields(response) == {"decided_on"}
    assert row_counts(engine) == before


def test_a_day_far_ahead_is_422(client, desk: Desk, paid, engine) -> None:
    before = row_counts(engine)
    response = client.post(
        f"/api/v1/cases/{paid['case_id']}/status",
        json={"status": "suspended", "effective_from": "9999-12-31", "reason": "外出务工"},
        headers=desk.officer,
    )
    assert fields(response) == {"effective_from"}
    response = client.post(
        "/api/v1/matching/vacancies", json={**VACANCY, "valid_until": "2099-01-01"},
        headers=desk.counsellor,
    )  # fmt: skip
    assert fields(response) == {"valid_until"}
    assert row_counts(engine) == before


def test_a_policy_error_that_reaches_the_web_layer_is_a_422_problem(
    client, desk: Desk, monkeypatch
) -> None:
    from benefits import services
    from kernel.policy import PolicyError

    def missing(*_: Any, **__: Any) -> Any:
        raise PolicyError("county-pilot@2020.1 has no parameter 'benefits.nothing'")

    monkeypatch.setattr(services, "list_cases", missing)
    response = client.get("/api/v1/cases", headers=desk.officer)
    assert problems(response, 422) == {(None, "policy")}


# --- 3. integers beyond 64 bits ---------------------------------------------------------------

HUGE = 2**64


def test_ids_and_offsets_beyond_the_columns_are_422(client, desk: Desk, engine) -> None:
    before = row_counts(engine)
    officer, counsellor = desk.officer, desk.counsellor
    assert fields(client.get(f"/api/v1/households/{HUGE}", headers=officer)) == {"household_id"}
    assert fields(client.get(f"/api/v1/cases/{HUGE}", headers=officer)) == {"case_id"}
    assert fields(client.get(f"/api/v1/cases?offset={HUGE}", headers=officer)) == {"offset"}
    assert fields(client.get(f"/api/v1/activation/tasks?offset={HUGE}", headers=officer)) == {
        "offset"
    }
    response = client.post(
        "/api/v1/applications",
        json={"household_id": HUGE, "category_requested": "C"},
        headers=officer,
    )
    assert fields(response) == {"household_id"}
    response = client.post(
        "/api/v1/activation/referrals", json={"member_id": HUGE, "vacancy_id": 1},
        headers=counsellor,
    )  # fmt: skip
    assert fields(response) == {"member_id"}
    response = client.post(
        f"/api/v1/activation/referrals/{HUGE}/answer", json={"answer": "accepted"},
        headers=counsellor,
    )  # fmt: skip
    assert fields(response) == {"referral_id"}
    # The largest id an INTEGER column holds on PostgreSQL is merely unknown; one more is 422.
    assert client.get(f"/api/v1/households/{2**31 - 1}", headers=officer).status_code == 404
    assert fields(client.get(f"/api/v1/households/{2**31}", headers=officer)) == {"household_id"}
    assert row_counts(engine) == before


# --- 4. deeply nested JSON --------------------------------------------------------------------


def test_a_hundred_thousand_nested_arrays_are_400(client, desk: Desk, engine) -> None:
    from litestar.exceptions import ValidationException

    from notifications.webhooks import parse_json

    before = row_counts(engine)
    deep = b"[" * 100_000
    response = client.post(
        "/api/v1/households",
        content=deep,
        headers={**desk.officer, "content-type": "application/json"},
    )
    assert problems(response, 400) == {(None, "schema")}
    with pytest.raises(ValidationException, match="nests deeper"):
        parse_json(deep)  # what the Alibaba and Tencent webhooks read their pushes with
    nested: Any = "王秀英"
    for _ in range(40):
        nested = [nested]
    body = household(member(name=nested))
    response = client.post("/api/v1/households", json=body, headers=desk.officer)
    assert problems(response, 400) == {(None, "schema")}
    assert row_counts(engine) == before


# --- 5. CSV uploads without a file -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "role"),
    [("/api/v1/matching/vacancies/csv", "counsellor"), ("/api/v1/training/outcomes/csv",
                                                         "training_provider")],
)  # fmt: skip
def test_an_upload_without_a_file_names_the_field_file(
    client, tokens, engine, path: str, role: str
) -> None:
    headers = tokens.headers(role)
    before = row_counts(engine)
    text_field = client.post(path, files={"file": (None, "hello")}, headers=headers)
    assert problems(text_field, 422) == {("file", "file-upload")}
    empty = client.post(
        path,
        content=b"--xx--\r\n",
        headers={**headers, "content-type": "multipart/form-data; boundary=xx"},
    )
    assert problems(empty, 422) == {("file", "file-upload")}
    nothing = client.post(path, headers=headers)
    assert problems(nothing, 422) == {("file", "file-upload")}
    assert "defaultdict" not in empty.text
    assert row_counts(engine) == before


# --- 7. digits of other scripts -----------------------------------------------------------------


def test_bank_accounts_ids_and_phones_take_ascii_digits_only(client, desk: Desk, engine) -> None:
    before = row_counts(engine)
    full_width = "６２２８４８００１００１２３４５６７８"
    arabic_indic = "٦٢٢٨٤٨٠٠١٠٠١٢٣٤٥٦٧٨"
    for account in (full_width, arabic_indic):
        response = client.post(
            "/api/v1/households", json=household(bank_account=account), headers=desk.officer
        )
        assert fields(response) == {"bank_account"}
    ascii_id = member()["national_id"]
    arabic_id = ascii_id.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client.post(
        "/api/v1/households", json=household(member(national_id=arabic_id)), headers=desk.officer
    )
    assert fields(response) == {"members.0.national_id"}
    response = client.post(
        "/api/v1/households", json=household(member(phone="１３９１２３４５６７８")),
        headers=desk.officer,
    )  # fmt: skip
    assert fields(response) == {"members.0.phone"}
    response = client.post(
        "/api/v1/payments/runs", json={"period": "２０２６-０３"}, headers=desk.officer
    )
    assert response.status_code == 422, response.text
    assert row_counts(engine) == before


# --- 8. numbers as days, booleans as numbers, numbers as booleans -------------------------------


def test_lax_values_are_refused_with_the_field_named(
    client, desk: Desk, tokens, engine, paid
) -> None:
    member_id = paid["members"][0]["id"]
    provider = client.post(
        "/api/v1/training/providers", json={"name": "定远县职业技能培训中心"},
        headers=desk.counsellor,
    ).json()  # fmt: skip
    course = {
        "provider_id": provider["id"], "trade": "electric_sewing", "title": "电动缝纫工培训班",
        "capacity": 20, "starts_on": "2026-03-09", "ends_on": "2026-04-17", "sessions_total": 30,
        "community": "东街社区", "cost_per_trainee": "1200.00", "subsidy_per_trainee": "800.00",
    }  # fmt: skip
    course_id = client.post("/api/v1/training/courses", json=course, headers=desk.counsellor)
    assert course_id.status_code == 201, course_id.text
    before = row_counts(engine)
    cases = [
        ("POST", f"/training/courses/{course_id.json()['id']}/enrolments",
         {"member_id": member_id, "enrolled_on": 0}, "enrolled_on"),
        ("POST", "/matching/vacancies", {**VACANCY, "lat": 32.5, "lon": False}, "lon"),
        ("POST", "/matching/vacancies", {**VACANCY, "openings": True}, "openings"),
        ("POST", "/matching/vacancies", {**VACANCY, "labour_dispute": 0}, "labour_dispute"),
        ("PUT", f"/matching/seekers/{member_id}",
         {"labour_office": "定城镇", "community": "东街社区", "hours_per_week": 40,
          "shifts": ["day"], "max_commute_km": 10, "active": 0}, "active"),
        ("POST", f"/members/{member_id}/incomes",
         {"source": "wages", "monthly_amount": "300.00", "effective_from": "9999-12-31"},
         "effective_from"),
        ("POST", f"/members/{member_id}/incomes",
         {"source": "wages", "monthly_amount": True, "effective_from": "2026-03-01"},
         "monthly_amount"),
    ]  # fmt: skip
    for method, path, body, field in cases:
        headers = desk.officer if path.startswith("/members") else desk.counsellor
        response = client.request(method, f"/api/v1{path}", json=body, headers=headers)
        assert fields(response) == {field}, (path, response.text)
    assert row_counts(engine) == before


# --- 9. NUL characters --------------------------------------------------------------------------


def test_nul_characters_in_text_are_422(client, desk: Desk, engine) -> None:
    before = row_counts(engine)
    response = client.post(
        "/api/v1/matching/vacancies",
        json={**VACANCY, "title": "保洁\x00员"},
        headers=desk.counsellor,
    )
    assert fields(response) == {"title"}
    response = client.post(
        "/api/v1/matching/vacancies", json={**VACANCY, "skills": ["保洁", "\x00"]},
        headers=desk.counsellor,
    )  # fmt: skip
    assert fields(response) == {"skills"}
    response = client.post(
        "/api/v1/households", json=household(member(name="王\x00秀英")), headers=desk.officer
    )
    assert fields(response) == {"members.0.name"}
    assert row_counts(engine) == before


# --- 10. bodies of the wrong media type ---------------------------------------------------------


def test_a_text_plain_body_is_not_read_as_json(client, desk: Desk, engine) -> None:
    before = row_counts(engine)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/json"):
        response = client.post(
            "/api/v1/matching/vacancies",
            content=json.dumps(VACANCY),
            headers={**desk.counsellor, "content-type": content_type},
        )
        assert problems(response, 415) == {(None, "unsupported-media-type")}
    assert row_counts(engine) == before
    ok = client.post(
        "/api/v1/matching/vacancies",
        content=json.dumps(VACANCY),
        headers={**desk.counsellor, "content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201, ok.text


def test_a_new_member_still_registers(client, desk: Desk) -> None:
    """The stricter types leave ordinary input alone."""
    assert new_member(client, desk.officer, birth_date="1988-05-20") > 0


# --- every input schema uses the shared types ----------------------------------------------------

LAX_SCALARS = (date, bool, float, int, Decimal)


def _input_models(app) -> set[type]:
    """The request schemas of every API route (the ``data`` parameters), with nested models."""
    from training.schemas import OutcomeIn  # the batch's reports are validated one by one

    found: set[type] = set()
    pending: list[Any] = [OutcomeIn]
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is not None:
                pending.append(data.annotation)
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in found:
                continue
            found.add(annotation)
            pending.extend(f.annotation for f in annotation.model_fields.values())
        else:
            pending.extend(get_args(annotation))
    return found


def test_every_request_schema_is_an_input_model_with_shared_types(app) -> None:
    models = _input_models(app)
    assert {"HouseholdIn", "MemberUpdateIn", "VacancyPatchIn", "OutcomeIn"} <= {
        m.__name__ for m in models
    }
    lax = []
    for model in models:
        assert issubclass(model, InputModel), model
        for name, info in model.model_fields.items():
            # A shared type (Day, Flag, Id, Whole, Real, Yuan) brings its validators along as
            # metadata; a bare date, bool, float, int or Decimal has none.
            checked = any(isinstance(m, BeforeValidator) for m in info.metadata)
            if info.annotation in LAX_SCALARS and not checked:
                lax.append(f"{model.__name__}.{name}")
            for inner in get_args(info.annotation):
                if inner in LAX_SCALARS:
                    lax.append(f"{model.__name__}.{name}")
    assert lax == []


def test_nul_characters_in_query_strings_and_forms_are_422(client, tokens, engine) -> None:
    """Query parameters and page forms reach SQL filters without a schema; on PostgreSQL a NUL
    there was a 500 (found by the schema fuzz run's neighbourhood, not by the fuzzer)."""
    from support import PageClient, make_account

    officer, counsellor = tokens.headers("benefit_officer"), tokens.headers("counsellor")
    for url, headers, name in (
        ("/api/v1/cases?community=%00", officer, "community"),
        ("/api/v1/cases?status=a%00b", officer, "status"),
        ("/api/v1/matching/vacancies?occupation=%00", counsellor, "occupation"),
        ("/api/v1/activation/unregistered?office=%00", counsellor, "office"),
        ("/api/v1/activation/tasks?kind=%00", counsellor, "kind"),
        ("/api/v1/activation/sanctions?state=%00", counsellor, "state"),
    ):
        assert fields(client.get(url, headers=headers)) == {name}, url
    make_account(engine, "demo.admin", "admin")
    page = client.get("/app/login")
    token = PageClient.TOKEN.search(page.text).group(1)
    login = client.post(
        "/app/login", data={"username": "demo\x00admin", "password": "x", "csrf_token": token}
    )
    assert login.status_code == 422
    pages = PageClient(client)
    assert pages.sign_in("demo.admin").status_code == 303
    before = row_counts(engine)
    created = pages.post(
        "/app/admin/accounts",
        {"username": "new\x00user", "password": "correct horse battery", "role": "admin"},
    )
    assert created.status_code == 422
    assert row_counts(engine) == before
