"""A serve process keeps its index of open vacancies between requests and builds it again only
when a vacancy changed — through the API or by plain SQL — or the office day turned."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from test_matching_api import profile, vacancy

from matching import kept_index
from support import new_member


def _matches(client, member_id, headers) -> list[int]:
    response = client.get(f"/api/v1/matching/seekers/{member_id}/vacancies", headers=headers)
    assert response.status_code == 200, response.text
    return [m["vacancy_id"] for m in response.json()]


def test_the_index_is_kept_until_a_vacancy_changes(client, officer, tokens, engine) -> None:
    counsellor = tokens.headers("counsellor")
    member_id = new_member(client, officer)
    client.put(f"/api/v1/matching/seekers/{member_id}", json=profile(), headers=counsellor)
    near = client.post("/api/v1/matching/vacancies", json=vacancy(), headers=counsellor).json()
    before = kept_index.builds()
    assert _matches(client, member_id, counsellor) == [near["id"]]
    assert _matches(client, member_id, counsellor) == [near["id"]]
    assert kept_index.builds() == before + 1  # the second request used the kept index

    # A change through the API: the dispute takes the vacancy out at once.
    client.patch(
        f"/api/v1/matching/vacancies/{near['id']}",
        json={"labour_dispute": True},
        headers=counsellor,
    )
    assert _matches(client, member_id, counsellor) == []
    assert kept_index.builds() == before + 2

    # A change no use case made: plain SQL, as a repair or a bulk load would.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE vacancy SET labour_dispute = :no WHERE id = :id"),
            {"no": False, "id": near["id"]},
        )
    assert _matches(client, member_id, counsellor) == [near["id"]]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM vacancy WHERE id = :id"), {"id": near["id"]})
    assert _matches(client, member_id, counsellor) == []
    assert kept_index.builds() == before + 4


def test_a_new_vacancy_and_a_new_day_are_seen(client, officer, tokens, clock) -> None:
    counsellor = tokens.headers("counsellor")
    member_id = new_member(client, officer)
    client.put(f"/api/v1/matching/seekers/{member_id}", json=profile(), headers=counsellor)
    ends = "2026-02-20"  # the clock's office day
    first = client.post(
        "/api/v1/matching/vacancies", json=vacancy(valid_until=ends), headers=counsellor
    ).json()
    assert _matches(client, member_id, counsellor) == [first["id"]]
    second = client.post(
        "/api/v1/matching/vacancies", json=vacancy(lat=32.53, lon=117.67), headers=counsellor
    ).json()
    assert sorted(_matches(client, member_id, counsellor)) == sorted([first["id"], second["id"]])
    built = kept_index.builds()
    clock.set(clock.now() + timedelta(days=1))  # the first one's last day has passed
    assert _matches(client, member_id, counsellor) == [second["id"]]
    assert kept_index.builds() == built + 1


def test_the_revision_changes_with_every_write_and_survives_being_emptied(engine) -> None:
    from sqlmodel import Session

    with Session(engine) as session:
        assert kept_index.revision(session) is None  # no vacancy ever written
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM vacancy_revision"))
    rows = [
        ("华丰", "6-05-01-03", "缝纫工", "[]", "东街社区", 240000, 40, "day", 1, "light"),
        ("永兴", "6-05-01-03", "平车工", "[]", "东街社区", 250000, 40, "day", 2, "light"),
    ]
    seen = []
    for row in rows:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO vacancy (employer, occupation_code, title, skills, community,"
                    " monthly_wage_fen, hours_per_week, shift, openings, physical_demand,"
                    " source, valid_until, labour_dispute, created_by, created_at, updated_at)"
                    " VALUES (:e, :o, :t, :s, :c, :w, :h, :sh, :op, :d, 'local_employer',"
                    " '2026-06-30', :no, 'test', '2026-03-01 00:00:00+00:00',"
                    " '2026-03-01 00:00:00+00:00')"
                ),
                dict(zip(("e", "o", "t", "s", "c", "w", "h", "sh", "op", "d"), row, strict=True))
                | {"no": False},
            )
        with Session(engine) as session:
            seen.append(kept_index.revision(session))
    assert seen[0] is not None and seen[1] is not None
    assert seen[0][0] == seen[1][0] and seen[1][1] == seen[0][1] + 1
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM vacancy_revision"))
        connection.execute(text("UPDATE vacancy SET openings = 0"))
    with Session(engine) as session:
        again = kept_index.revision(session)
    assert again is not None and again[0] != seen[0][0]  # a new token: no earlier pair repeats
