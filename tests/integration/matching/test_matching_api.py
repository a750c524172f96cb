"""Seeker profiles, vacancies and ranked matches through the API, on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from support import new_member

TABLES = ["seeker_profile", "vacancy", "audit_record"]


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES
        }


def problems_of(response, status: int) -> set[tuple[str | None, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {(p["field"], p["rule"]) for p in response.json()["problems"]}


def profile(**overrides: Any) -> dict[str, Any]:
    return {
        "labour_office": "定城镇劳动保障服务站",
        "desired_occupations": ["6-05-01-03"],
        "skills": ["缝纫", "熨烫"],
        "training_wishes": ["electric_sewing"],
        "hours_per_week": 40,
        "shifts": ["day"],
        "max_commute_km": 10,
        "physical_limit": "none",
        "reservation_wage": "2000.00",
        "community": "东街社区",
        "lat": 32.53,
        "lon": 117.67,
        **overrides,
    }


def vacancy(**overrides: Any) -> dict[str, Any]:
    return {
        "employer": "华丰服装厂",
        "occupation_code": "6-05-01-03",
        "title": "缝纫工",
        "skills": ["缝纫", "平车"],
        "community": "东街社区",
        "lat": 32.54,
        "lon": 117.68,
        "monthly_wage": "2400.00",
        "hours_per_week": 40,
        "shift": "day",
        "openings": 3,
        "physical_demand": "light",
        "valid_until": "2026-06-30",
        **overrides,
    }


@pytest.fixture
def counsellor(tokens) -> dict[str, str]:
    return tokens.headers("counsellor")


def test_profile_is_created_replaced_and_read(client, officer, counsellor) -> None:
    member_id = new_member(client, officer)
    response = client.put(
        f"/api/v1/matching/seekers/{member_id}", json=profile(), headers=counsellor
    )
    assert response.status_code == 200, response.text
    assert response.json()["reservation_wage"] == "2000.00"
    changed = profile(physical_limit="no_heavy", reservation_wage="2500.50")
    client.put(f"/api/v1/matching/seekers/{member_id}", json=changed, headers=counsellor)
    read = client.get(f"/api/v1/matching/seekers/{member_id}", headers=officer).json()
    assert read["physical_limit"] == "no_heavy"
    assert read["reservation_wage"] == "2500.50"
    assert read["skills"] == ["缝纫", "熨烫"]


def test_bad_profiles_list_every_problem_and_write_nothing(
    client, officer, counsellor, engine
) -> None:
    member_id = new_member(client, officer)
    before = counts(engine)
    bad = profile(
        desired_occupations=["6-05-01-99", "cook"],
        hours_per_week=0,
        shifts=[],
        reservation_wage="10.005",
        lat=32.5,
        lon=None,
        physical_limit="weak",
    )
    found = problems_of(
        client.put(f"/api/v1/matching/seekers/{member_id}", json=bad, headers=counsellor), 422
    )
    assert {
        ("desired_occupations", "schema"),
        ("hours_per_week", "schema"),
        ("shifts", "schema"),
        ("reservation_wage", "schema"),
        ("physical_limit", "schema"),
    } <= found
    unknown_trade = profile(training_wishes=["electric_sewing", "astronaut"])
    found = problems_of(
        client.put(f"/api/v1/matching/seekers/{member_id}", json=unknown_trade, headers=counsellor),
        422,
    )
    assert found == {("training_wishes.1", "known-trade")}
    missing = client.put("/api/v1/matching/seekers/99999", json=profile(), headers=counsellor)
    assert problems_of(missing, 404) == {("member_id", "exists")}
    assert counts(engine) == before


def test_bad_vacancies_list_every_problem_and_write_nothing(client, counsellor, engine) -> None:
    before = counts(engine)
    bad = vacancy(
        occupation_code="6-05-01",
        monthly_wage="-1",
        openings=-2,
        physical_demand="extreme",
        source="abroad",
        shift="all-day",
        title="",
    )
    found = problems_of(
        client.post("/api/v1/matching/vacancies", json=bad, headers=counsellor), 422
    )
    assert {
        ("occupation_code", "schema"),
        ("monthly_wage", "schema"),
        ("openings", "schema"),
        ("physical_demand", "schema"),
        ("source", "schema"),
        ("shift", "schema"),
        ("title", "schema"),
    } <= found
    expired = vacancy(valid_until="2026-02-19")
    found = problems_of(
        client.post("/api/v1/matching/vacancies", json=expired, headers=counsellor), 422
    )
    assert found == {("valid_until", "not-expired")}
    malformed = client.post(
        "/api/v1/matching/vacancies",
        content=b"{not json",
        headers={**counsellor, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert counts(engine) == before


def test_no_heavy_person_is_never_offered_heavy_work(client, officer, counsellor) -> None:
    member_id = new_member(client, officer)
    client.put(
        f"/api/v1/matching/seekers/{member_id}",
        json=profile(physical_limit="no_heavy", desired_occupations=["6-16-01-05", "6-05-01-03"]),
        headers=counsellor,
    )
    mine = vacancy(
        employer="新兴煤矿",
        occupation_code="6-16-01-05",
        title="井下采矿工",
        skills=["采煤"],
        monthly_wage="6500.00",
        physical_demand="heavy",
    )
    heavy_id = client.post("/api/v1/matching/vacancies", json=mine, headers=counsellor).json()["id"]
    light_id = client.post("/api/v1/matching/vacancies", json=vacancy(), headers=counsellor).json()[
        "id"
    ]
    matches = client.get(f"/api/v1/matching/seekers/{member_id}/vacancies", headers=officer).json()
    assert [m["vacancy_id"] for m in matches] == [light_id]
    assert matches[0]["suitability"]["suitable"] is True
    assert any("缝纫" in f for f in matches[0]["fits"])
    check = client.get(
        f"/api/v1/matching/vacancies/{heavy_id}/suitability/{member_id}", headers=counsellor
    ).json()
    assert check["suitable"] is False
    assert check["failed"] == ["physical_limit"]
    assert check["parameter_version"] == "county-pilot@2020.1"
    people = client.get(f"/api/v1/matching/vacancies/{heavy_id}/seekers", headers=counsellor)
    assert people.json() == []


def test_a_labour_dispute_takes_a_vacancy_out_of_the_matches(client, officer, counsellor) -> None:
    member_id = new_member(client, officer)
    client.put(f"/api/v1/matching/seekers/{member_id}", json=profile(), headers=counsellor)
    vacancy_id = client.post(
        "/api/v1/matching/vacancies", json=vacancy(), headers=counsellor
    ).json()["id"]
    people = client.get(f"/api/v1/matching/vacancies/{vacancy_id}/seekers", headers=counsellor)
    assert [p["member_id"] for p in people.json()] == [member_id]
    response = client.patch(
        f"/api/v1/matching/vacancies/{vacancy_id}",
        json={"labour_dispute": True},
        headers=counsellor,
    )
    assert response.json()["labour_dispute"] is True
    matches = client.get(f"/api/v1/matching/seekers/{member_id}/vacancies", headers=counsellor)
    assert matches.json() == []
    check = client.get(
        f"/api/v1/matching/vacancies/{vacancy_id}/suitability/{member_id}", headers=counsellor
    ).json()
    assert check["failed"] == ["labour_dispute"]


CSV_HEADER = (
    "employer,occupation_code,title,skills,community,monthly_wage,hours_per_week,shift,"
    "openings,physical_demand,source,valid_until,labour_dispute\n"
)


def csv_line(*cells: str) -> str:
    return ",".join(cells) + "\n"


GOOD_ROW = csv_line(
    "华丰服装厂", "6-05-01-03", "缝纫工", "缝纫、平车", "东街社区", "2400.00", "40", "day", "3",
    "light", "local_employer", "2026-06-30", "否",
)  # fmt: skip
GOOD_ROW_2 = csv_line(
    "安顺物业", "4-06-01-01", "物业管理员", "物业管理;客服", "西街社区", "2100", "40", "day",
    "1", "light", "public_welfare", "2026-05-31", "no",
)  # fmt: skip
BAD_ROW = csv_line(
    "盛达电子厂", "9-99-99-99", "电子装配工", "插件", "东街社区", "abc", "40", "day", "2",
    "light", "local_employer", "2026-06-30", "no",
)  # fmt: skip
BAD_ROW_2 = csv_line(
    "宏达", "6-25-04-07", "装配工", "", "东街社区", "2000", "40", "day", "1", "light",
    "local_employer", "2026-01-01", "no",
)  # fmt: skip


def upload(client, headers, content: bytes, **params):
    return client.post(
        "/api/v1/matching/vacancies/csv",
        files={"file": ("vacancies.csv", content, "text/csv")},
        params=params,
        headers=headers,
    )


def test_csv_import_accepts_good_rows_and_reports_each_bad_one(client, counsellor, engine) -> None:
    content = (CSV_HEADER + GOOD_ROW + BAD_ROW + GOOD_ROW_2 + BAD_ROW_2).encode("utf-8")
    response = upload(client, counsellor, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 2 and body["rejected"] == 2
    found = {(p["row"], p["field"], p["rule"]) for p in body["problems"]}
    assert {
        (3, "occupation_code", "schema"),
        (3, "monthly_wage", "schema"),
        (5, "valid_until", "not-expired"),
    } <= found
    listed = client.get("/api/v1/matching/vacancies", headers=counsellor).json()
    assert {v["title"] for v in listed} == {"缝纫工", "物业管理员"}
    assert next(v for v in listed if v["title"] == "物业管理员")["skills"] == ["物业管理", "客服"]


def test_csv_all_or_nothing_and_broken_files_write_nothing(client, counsellor, engine) -> None:
    before = counts(engine)
    content = (CSV_HEADER + GOOD_ROW + BAD_ROW).encode("utf-8")
    found = problems_of(upload(client, counsellor, content, all_or_nothing="true"), 422)
    assert ("rows.3.occupation_code", "schema") in found
    assert problems_of(upload(client, counsellor, b"employer,title\nx,y\n"), 422) >= {
        ("file", "csv-header")
    }
    assert problems_of(upload(client, counsellor, CSV_HEADER.encode()), 422) == {
        ("file", "csv-empty")
    }
    only_bad = (CSV_HEADER + BAD_ROW).encode("utf-8")
    assert ("rows.2.monthly_wage", "schema") in problems_of(
        upload(client, counsellor, only_bad), 422
    )
    assert counts(engine) == before


def test_csv_saved_by_chinese_excel_in_gb18030(client, counsellor) -> None:
    response = upload(client, counsellor, (CSV_HEADER + GOOD_ROW).encode("gb18030"))
    assert response.status_code == 201, response.text
    vacancy_id = response.json()["ids"][0]
    read = client.get(f"/api/v1/matching/vacancies/{vacancy_id}", headers=counsellor).json()
    assert read["employer"] == "华丰服装厂"
    assert read["occupation_name"] == "缝纫工"


def test_occupation_lookup(client, tokens) -> None:
    rows = client.get(
        "/api/v1/matching/occupations", params={"q": "缝纫"}, headers=tokens.headers("admin")
    ).json()
    assert {"code": "6-05-01-03", "name": "缝纫工"} in rows
