"""A training provider's pages (TestClient): its courses, each course's trainees listed and
exported, one outcome from a form and many from a CSV file — written whole or not at all,
every problem shown — and nothing of another provider's."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from support import PageClient, make_account, move_to, new_member
from training.schemas import OUTCOME_CSV_COLUMNS

TABLES = ("enrolment", "outcome_report", "audit_record")


def counts(engine) -> dict[str, Any]:
    """What an outcome report changes: its rows, the audit trail and each trainee's state."""
    with engine.connect() as connection:
        found: dict[str, Any] = {
            t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES
        }
        found["progress"] = connection.execute(
            text("SELECT status, sessions_attended FROM enrolment ORDER BY id")
        ).all()
    return found


def course_body(provider_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "provider_id": provider_id,
        "trade": "electric_sewing",
        "title": "电动缝纫工培训班",
        "capacity": 20,
        "starts_on": "2026-03-02",
        "ends_on": "2026-04-10",
        "sessions_total": 30,
        "community": "东街社区",
        "cost_per_trainee": "1200.00",
        "subsidy_per_trainee": "800.00",
        **overrides,
    }


@dataclass
class World:
    course: int  # provider 1's course
    other_course: int  # provider 2's course
    trainees: dict[str, int]  # name → member id, on provider 1's course
    outsider: int  # on provider 2's course


@pytest.fixture
def world(client, tokens, clock) -> World:
    staff, officer = tokens.headers("counsellor"), tokens.headers("benefit_officer")
    for name in ("定远县职业技能培训中心", "炉桥镇培训学校"):
        made = client.post("/api/v1/training/providers", json={"name": name}, headers=staff)
        assert made.status_code == 201, made.text
    course = client.post("/api/v1/training/courses", json=course_body(1), headers=staff).json()
    other = client.post(
        "/api/v1/training/courses", json=course_body(2, title="炉桥保安培训"), headers=staff
    ).json()
    trainees = {}
    for name in ("陈梅", "刘丽", "王芳"):
        trainees[name] = new_member(client, officer, name=name)
        enrolled = client.post(
            f"/api/v1/training/courses/{course['id']}/enrolments",
            json={"member_id": trainees[name]},
            headers=staff,
        )
        assert enrolled.status_code == 201, enrolled.text
    outsider = new_member(client, officer, name="乙外人")
    client.post(
        f"/api/v1/training/courses/{other['id']}/enrolments",
        json={"member_id": outsider},
        headers=staff,
    )
    move_to(clock, "2026-04-15")  # the course has run and ended
    return World(course["id"], other["id"], trainees, outsider)


@pytest.fixture
def school(client, engine, world) -> PageClient:
    """Provider 1's account, reading English, signed in once the courses have run."""
    make_account(engine, "p.school", "training_provider", provider_id=1, language="en")
    pages = PageClient(client)
    assert pages.sign_in("p.school").status_code == 303
    return pages


PLACED = {
    "employer": "华丰服装厂",
    "occupation": "6-05-01-03",
    "monthly_income": "2400.00",
    "hours_per_week": "40",
}


def trainee_path(world: World, name: str) -> str:
    return f"/app/training/courses/{world.course}/trainees/{world.trainees[name]}"


def report(pages: PageClient, path: str, **fields: str) -> Any:
    """Send a trainee's outcome form as the page gave it (its own report number)."""
    form = pages.get(path)
    assert form.status_code == 200, form.text[-2000:]
    report_id = re.search(r'name="report_id" value="([^"]+)"', form.text)
    assert report_id
    return pages.post(path, {"report_id": report_id.group(1), **fields})


def placement_rate(page: str) -> str:
    found = re.search(r'data-rate="placement"><strong>([^<]*)</strong>', page)
    assert found, page[-3000:]
    return found.group(1)


def problem_fields(page: str) -> set[str]:
    return set(re.findall(r'<li data-rule="[^"]+" data-field="([^"]+)"', page))


def test_a_provider_sees_its_courses_and_their_trainees(school, world) -> None:
    courses = school.get("/app/training")
    assert f'href="/app/training/courses/{world.course}"' in courses.text
    assert f'href="/app/training/courses/{world.other_course}"' not in courses.text
    page = school.get(f"/app/training/courses/{world.course}")
    assert page.status_code == 200
    for name, member_id in world.trainees.items():
        assert name in page.text
        assert f'href="/app/training/courses/{world.course}/trainees/{member_id}"' in page.text
    assert "乙外人" not in page.text
    assert re.search(r"3411\*{10}\d{3}[\dX]", page.text)  # masked, never the whole number
    assert not re.search(r"3411\d{14}", page.text)
    assert "3 trainees" in page.text and "in training (3)" in page.text
    # a provider does not enrol: the page says who does, and offers no form for it
    assert "put on a course by their counsellor" in page.text
    assert "/enrolments" not in page.text
    assert placement_rate(page.text) == "—"


def test_one_outcome_from_the_form_moves_the_rates(school, world, engine) -> None:
    form = school.get(trainee_path(world, "陈梅"))
    assert not re.search(r'name="kind"[^>]*checked', form.text)  # no outcome chosen for them
    done = report(school, trainee_path(world, "陈梅"), kind="completed", on="2026-04-10")
    assert done.status_code == 303, done.text[-3000:]
    assert done.headers["location"] == f"/app/training/courses/{world.course}"
    course = school.get(f"/app/training/courses/{world.course}")
    assert placement_rate(course.text) == "0.0%"  # completed, not placed yet
    placed = report(school, trainee_path(world, "陈梅"), kind="placed", on="2026-04-13", **PLACED)
    assert placed.status_code == 303, placed.text[-3000:]
    course = school.get(f"/app/training/courses/{world.course}")
    assert placement_rate(course.text) == "100.0%"
    assert "placed in work (1)" in course.text and "华丰服装厂" in course.text
    assert "100.0%" in school.get("/app/training").text
    person = school.get(trainee_path(world, "陈梅")).text
    assert "completed the course" in person and "placed in work" in person
    # the same form sent twice is a replay: recorded once
    before = counts(engine)
    form = school.get(trainee_path(world, "刘丽"))
    report_id = re.search(r'name="report_id" value="([^"]+)"', form.text).group(1)
    sent = {"report_id": report_id, "kind": "dropped", "on": "2026-03-20", "reason": "找到工作"}
    assert school.post(trainee_path(world, "刘丽"), sent).status_code == 303
    after_first = counts(engine)
    assert after_first["outcome_report"] == before["outcome_report"] + 1
    assert school.post(trainee_path(world, "刘丽"), sent).status_code == 303
    assert counts(engine) == after_first


def test_a_bad_outcome_form_lists_every_problem_and_writes_nothing(school, world, engine) -> None:
    before = counts(engine)
    empty = report(school, trainee_path(world, "陈梅"))
    assert empty.status_code == 422
    assert problem_fields(empty.text) >= {"kind", "on"}
    assert 'id="outcome-kind-problem"' in empty.text and 'id="outcome-on-problem"' in empty.text
    assert not re.search(r'name="kind"[^>]*checked', empty.text)
    typed = report(
        school,
        trainee_path(world, "陈梅"),
        on="2026-13-40",
        monthly_income="很多",
        hours_per_week="0",
        sessions_attended="-1",
    )
    assert typed.status_code == 422
    assert problem_fields(typed.text) >= {
        "kind",
        "on",
        "monthly_income",
        "hours_per_week",
        "sessions_attended",
    }
    assert 'value="很多"' in typed.text  # what was typed stays, to be corrected
    # well formed, but against the rules: placed without completion, and no job given
    early = report(school, trainee_path(world, "陈梅"), kind="placed", on="2026-04-20")
    assert early.status_code == 422
    assert 'name="kind" value="placed"' in early.text
    assert re.search(r'name="kind" value="placed"[^>]*checked', early.text)
    assert problem_fields(early.text) >= {
        "kind",
        "on",
        "employer",
        "occupation",
        "monthly_income",
        "hours_per_week",
    }
    assert "the employer" in early.text and "placed in work" in early.text
    assert counts(engine) == before


def csv_file(world: World, *rows: str) -> str:
    header = "report_id,course_id,member_id,kind,on,sessions_attended,reason,certificate_no"
    return "\n".join([header, *rows]) + "\n"


def upload(pages: PageClient, content: bytes, name: str = "outcomes.csv") -> Any:
    pages.get("/app/training/outcomes")
    return pages.client.post(
        "/app/training/outcomes",
        data={"csrf_token": pages.csrf},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


def test_a_csv_with_one_bad_row_writes_nothing_and_names_the_row(school, world, engine) -> None:
    a, b, c = (world.trainees[n] for n in ("陈梅", "刘丽", "王芳"))
    content = csv_file(
        world,
        f"C-1,{world.course},{a},completed,2026-04-10,,,",
        f"C-2,{world.course},{b},attended,2026-04-01,31,,",
        f"C-3,{world.course},{c},certified,2026-04-12,,,FZ-003",
    )
    before = counts(engine)
    answer = upload(school, content.encode())
    assert answer.status_code == 422, answer.text[-3000:]
    rows = set(re.findall(r'<tr data-row="(\d+)" data-field="([^"]+)"', answer.text))
    assert rows == {("3", "sessions_attended"), ("4", "kind")}  # lines of the file
    assert "Nothing was recorded" in answer.text
    assert counts(engine) == before
    assert placement_rate(school.get(f"/app/training/courses/{world.course}").text) == "—"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_good_csv_records_every_row(school, world, engine, encoding) -> None:
    a, b, c = (world.trainees[n] for n in ("陈梅", "刘丽", "王芳"))
    content = csv_file(
        world,
        f"G-1,{world.course},{a},completed,2026-04-10,,,",
        f"G-2,{world.course},{a},certified,2026-04-12,,,FZ-001",
        f"G-3,{world.course},{b},dropped,2026-03-20,,找到工作,",
        f"G-4,{world.course},{c},attended,2026-04-01,28,,",
    )
    answer = upload(school, content.encode(encoding))
    assert answer.status_code == 200, answer.text[-3000:]
    assert "4 outcomes recorded." in answer.text
    progress = counts(engine)["progress"]
    assert [tuple(p) for p in progress[:3]] == [("certified", 0), ("dropped", 0), ("enrolled", 28)]
    with engine.connect() as connection:
        reason = connection.execute(
            text("SELECT drop_reason FROM enrolment WHERE member_id = :m"), {"m": b}
        ).scalar_one()
    assert reason == "找到工作"
    course = school.get(f"/app/training/courses/{world.course}").text
    assert "certificate obtained (1)" in course and "dropped out (1)" in course
    again = upload(school, content.encode(encoding))  # the same file twice: recorded once
    assert again.status_code == 200 and "4 were received before" in again.text
    assert counts(engine)["progress"] == progress


def test_the_csv_template_and_the_files_the_page_refuses(school, world, engine) -> None:
    template = school.get("/app/training/outcomes/template.csv")
    assert template.status_code == 200
    assert "outcomes-template.csv" in template.headers["content-disposition"]
    header = template.content.decode("utf-8-sig").strip()
    assert header == ",".join(OUTCOME_CSV_COLUMNS)
    before = counts(engine)
    too_large = upload(school, b"report_id,course_id,member_id,kind,on\n" + b"x" * (2 << 20))
    assert too_large.status_code == 413
    assert 'data-field="file"' in too_large.text and "larger than 2 MB" in too_large.text
    no_file = school.post("/app/training/outcomes", {})
    assert no_file.status_code == 422 and 'data-field="file"' in no_file.text
    wrong_header = upload(school, b"name,course\n1,2\n")
    assert wrong_header.status_code == 422 and "required column" in wrong_header.text
    assert counts(engine) == before


def test_another_providers_course_and_trainees_are_not_there(school, world, engine) -> None:
    before = counts(engine)
    theirs = f"/app/training/courses/{world.other_course}"
    for path in (
        theirs,
        f"{theirs}?format=csv",
        f"{theirs}?format=xlsx",
        f"{theirs}/trainees/{world.outsider}",
        f"/app/training/courses/{world.course}/trainees/{world.outsider}",  # not on my course
    ):
        answer = school.get(path)
        assert answer.status_code == 404, path
        assert "乙外人" not in answer.text and "炉桥保安培训" not in answer.text
    for path in (f"{theirs}/trainees/{world.outsider}", "/app/training/courses/999/trainees/1"):
        sent = school.post(path, {"report_id": "X-1", "kind": "completed", "on": "2026-04-10"})
        assert sent.status_code == 404, path
    content = csv_file(
        world,
        f"X-2,{world.course},{world.trainees['陈梅']},completed,2026-04-10,,,",
        f"X-3,{world.other_course},{world.outsider},completed,2026-04-10,,,",
    )
    answer = upload(school, content.encode())
    assert answer.status_code == 403
    assert re.search(r'<tr data-row="3" data-field="course_id"', answer.text)
    assert counts(engine) == before


def test_the_trainee_list_filters_sorts_and_exports(school, world) -> None:
    report(school, trainee_path(world, "王芳"), kind="completed", on="2026-04-10")
    base = f"/app/training/courses/{world.course}"
    completed = school.get(f"{base}?state=completed").text
    assert "王芳" in completed and "陈梅" not in completed and "1 trainee" in completed
    assert school.get(f"{base}?state=graduated").status_code == 422
    by_number = school.get(f"{base}?sort=-member_id").text
    order = [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', by_number)]
    assert order == sorted(world.trainees.values(), reverse=True)
    as_csv = school.get(f"{base}?format=csv")
    assert as_csv.status_code == 200 and "trainees-course-" in as_csv.headers["content-disposition"]
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Person No.,Name,ID number,Enrolled on")
    assert len(lines) == 4 and any("completed the course" in line for line in lines)
    as_excel = school.get(f"{base}?format=xlsx&state=completed")
    sheet = load_workbook(io.BytesIO(as_excel.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Person No.", "Name", "ID number")
    assert [r[1] for r in rows[1:]] == ["王芳"]
    assert rows[1][5] == "completed the course" and "*" in rows[1][2]


def test_the_pages_read_in_chinese(client, engine, world) -> None:
    make_account(engine, "p.zh", "training_provider", provider_id=1)
    pages = PageClient(client)
    pages.sign_in("p.zh")
    course = pages.get(f"/app/training/courses/{world.course}").text
    assert "学员" in course and "在训" in course
    early = report(pages, trainee_path(world, "陈梅"), kind="placed", on="2026-04-13")
    assert early.status_code == 422
    assert "就业" in early.text and "用人单位" in early.text
    for word in ("placed", "employer"):
        assert not re.search(rf">[^<]*\b{word}\b[^<]*<", early.text.split("<main", 1)[1]), word


def test_the_providers_courses_page_through_and_export(client, tokens, school, world) -> None:
    """The course list grows year on year: paged, sorted by dates, exported whole."""
    import csv
    import io

    staff = tokens.headers("counsellor")
    for n in range(26):
        made = client.post(
            "/api/v1/training/courses",
            json=course_body(
                1,
                title=f"电工班 {n:02d}",
                starts_on=f"2025-{n % 12 + 1:02d}-01",
                ends_on=f"2025-{n % 12 + 1:02d}-25",
            ),
            headers=staff,
        )
        assert made.status_code == 201, made.text
    first = school.get("/app/training?per=25")
    assert first.status_code == 200 and 'rel="next"' in first.text and "of 27" in first.text
    second = school.get("/app/training?per=25&page=2")
    shown = re.findall(r'href="/app/training/courses/(\d+)"', first.text + second.text)
    assert len(set(shown)) == 27  # every course of the provider, none of the other's
    assert str(world.other_course) not in shown
    rows = list(
        csv.reader(
            io.StringIO(
                school.get("/app/training?format=csv&sort=starts_on").content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 28 and rows[0][:2] == ["Course", "Starts"]
    starts = [r[1] for r in rows[1:]]
    assert starts == sorted(starts)
    assert school.get("/app/training?sort=subsidy").status_code == 422  # not a sortable column
