"""The office's window through the pages (issue 12): a household registered with its members and
incomes, its application taken in, and the papers it brings uploaded, replaced and downloaded,
each through the use case the API calls and read back through the API."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

import pytest
from language import english_runs, visible_text
from sqlalchemy import Engine, text
from test_desk_and_workbench import unlabelled

from support import (
    PageClient,
    create_household,
    household,
    make_account,
    member,
    move_to,
    person_id,
)

OWN, OTHER = "定城镇", "炉桥镇"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BETTER_PDF = PDF.replace(b"1.4", b"1.7") + b"% a clearer scan\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
WRITTEN = ("household", "member", "member_income", "application", "application_document")


def officer_pages(client: Any, engine: Engine, username: str, **fields: Any) -> PageClient:
    make_account(engine, username, "benefit_officer", language="en", **fields)
    client.cookies.clear()
    pages = PageClient(client)
    pages.sign_in(username)
    return pages


@pytest.fixture
def pages(client, engine, clock) -> PageClient:
    move_to(clock, "2026-02-20")
    return officer_pages(client, engine, "wang.officer")


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        found = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in WRITTEN
        }
        found["audit"] = connection.execute(text("SELECT count(*) FROM audit_record")).scalar_one()
    return found


def registration_form(**members: dict[str, str]) -> dict[str, str]:
    """The form as a browser sends it: the household's fields and ``members.N.field`` keys."""
    form = {
        "blocks": "5",
        "scheme": "urban",
        "address": "定城镇东大街8号",
        "community": "东街社区",
        "township": OWN,
        "bank_account": "6228480010099887766",
    }
    for block, fields in members.items():
        form.update({f"members.{block.removeprefix('m')}.{k}": v for k, v in fields.items()})
    return form


def head_and_spouse() -> tuple[dict[str, str], dict[str, str]]:
    head = {
        "name": "赵桂兰",
        "national_id": person_id(date(1972, 3, 4), "female"),
        "relation": "head",
        "phone": "139 1234 5678",
        "incomes.0.source": "wages",
        "incomes.0.monthly_amount": "1200.50",
        "incomes.2.source": "pension",  # the middle row left empty
        "incomes.2.monthly_amount": "300",
    }
    spouse = {
        "name": "钱建国",
        "national_id": person_id(date(1969, 11, 30), "male"),
        "relation": "spouse",
        "sex": "male",
        "birth_date": "1969-11-30",
        "incomes.0.source": "agriculture",
        "incomes.0.monthly_amount": "250.00",
        "carer": "on",
    }
    return head, spouse


def register(pages: PageClient, form: dict[str, str]) -> int:
    answer = pages.post("/app/households/new", form)
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/app/households/(\d+)/application", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


def take_in(pages: PageClient, household_id: int, category: str = "C") -> int:
    answer = pages.post(
        f"/app/households/{household_id}/application",
        {"category_requested": category, "applied_on": "2026-02-20"},
    )
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/app/applications/(\d+)#documents", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


def upload(
    pages: PageClient,
    path: str,
    content: bytes,
    *,
    kind: str | None = "income_statement",
    name: str = "收入证明.pdf",
    media: str = "application/pdf",
) -> Any:
    data = {"csrf_token": pages.csrf, **({"kind": kind} if kind else {})}
    return pages.client.post(
        path, data=data, files={"file": (name, content, media)}, follow_redirects=False
    )


def test_a_household_registered_on_the_page_is_the_one_the_api_reads(
    client, engine, officer, pages
) -> None:
    desk = pages.get("/app/applications").text
    assert 'href="/app/households/new"' in desk and "Register a household" in desk
    form_page = pages.get("/app/households/new")
    assert form_page.status_code == 200
    assert 'name="members.2.national_id"' in form_page.text
    head, spouse = head_and_spouse()
    household_id = register(pages, registration_form(m0=head, m2=spouse))  # block 1 left empty

    read = client.get(f"/api/v1/households/{household_id}", headers=officer).json()
    assert (read["scheme"], read["address"], read["community"], read["township"]) == (
        "urban",
        "定城镇东大街8号",
        "东街社区",
        OWN,
    )
    by_name = {m["name"]: m for m in read["members"]}
    assert set(by_name) == {"赵桂兰", "钱建国"}
    zhao, qian = by_name["赵桂兰"], by_name["钱建国"]
    assert (zhao["relation"], zhao["sex"], zhao["birth_date"]) == ("head", "female", "1972-03-04")
    assert zhao["phone"] == "+8613912345678"
    assert zhao["national_id_masked"].endswith(head["national_id"][-4:])
    assert sorted((i["source"], i["monthly_amount"]) for i in zhao["incomes"]) == [
        ("pension", "300.00"),
        ("wages", "1200.50"),
    ]
    assert (qian["relation"], qian["sex"], qian["birth_date"], qian["carer"]) == (
        "spouse",
        "male",
        "1969-11-30",
        True,
    )
    assert [(i["source"], i["monthly_amount"]) for i in qian["incomes"]] == [
        ("agriculture", "250.00")
    ]
    with engine.connect() as connection:
        account = connection.execute(
            text("SELECT bank_account FROM household WHERE id = :h"), {"h": household_id}
        ).scalar_one()
        actions = connection.execute(
            text("SELECT action FROM audit_record WHERE entity = 'household'")
        ).all()
    assert account == "6228480010099887766" and [a[0] for a in actions] == ["created"]


def test_another_member_block_is_added_without_checking_anything(engine, pages) -> None:
    before = counts(engine)
    head, _ = head_and_spouse()
    form = {**registration_form(m0=head), "blocks": "3", "more": "1"}
    answer = pages.post("/app/households/new", form)
    assert answer.status_code == 200
    assert 'name="members.3.name"' in answer.text and 'name="members.4.name"' not in answer.text
    assert head["national_id"] in answer.text  # what was typed stays
    assert 'class="problems"' not in answer.text
    assert counts(engine) == before


def test_a_bad_form_lists_every_problem_at_once_and_writes_nothing(
    client, engine, officer, pages
) -> None:
    taken = member("孙丽", birth=date(1980, 1, 9))
    elsewhere = create_household(client, officer, household(taken))
    client.post(
        "/api/v1/applications",
        json={"household_id": elsewhere["id"], "category_requested": "C"},
        headers=officer,
    )  # the person is now in a live household
    head, spouse = head_and_spouse()
    good_id = person_id(date(1990, 6, 1), "male")
    wrong_digit = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    form = registration_form(
        m0={**head, "incomes.1.source": "wages", "incomes.1.monthly_amount": "-5"},
        m1={**spouse, "national_id": wrong_digit},
        m2={"name": "周强", "national_id": head["national_id"], "relation": "child"},
        m4={"national_id": taken["national_id"], "relation": "child"},  # block 3 left empty
    )
    before = counts(engine)
    answer = pages.post("/app/households/new", form)
    assert answer.status_code == 422
    assert counts(engine) == before
    listed = set(re.findall(r'<li data-rule="([^"]+)" data-field="([^"]+)"', answer.text))
    assert {
        ("schema", "members.0.incomes.1.monthly_amount"),
        ("schema", "members.1.national_id"),
        ("one-person-once", "members.2.national_id"),
        ("schema", "members.4.name"),
        ("one-live-household", "members.4.national_id"),
    } <= listed, listed
    assert "members 1 and 3" in answer.text  # the blocks as the page numbers them
    assert "<strong>Member 5 · Name</strong>" in answer.text
    invalid = set(re.findall(r'name="([^"]+)"[^>]*aria-invalid="true"', answer.text))
    assert {
        "members.0.incomes.1.monthly_amount",
        "members.1.national_id",
        "members.2.national_id",
        "members.4.name",
        "members.4.national_id",
    } <= invalid, invalid
    assert f'value="{wrong_digit}"' in answer.text  # the form comes back as it was typed


def test_an_office_registers_households_of_its_own_office_only(client, engine, clock) -> None:
    move_to(clock, "2026-02-20")
    bound = officer_pages(client, engine, "own.officer", office=OWN)
    assert f'value="{OWN}"' in bound.get("/app/households/new").text  # its office filled in
    head, _ = head_and_spouse()
    form = {**registration_form(m0=head), "community": "炉桥社区", "township": OTHER}
    before = counts(engine)
    answer = bound.post("/app/households/new", form)
    assert answer.status_code == 422
    assert 'data-rule="own-office" data-field="township"' in answer.text
    assert counts(engine) == before
    assert register(bound, registration_form(m0=head))


def test_an_application_is_taken_in_for_the_registered_household(
    client, engine, officer, pages
) -> None:
    head, spouse = head_and_spouse()
    household_id = register(pages, registration_form(m0=head, m1=spouse))
    form_page = pages.get(f"/app/households/{household_id}/application")
    assert form_page.status_code == 200
    assert re.search(r'<option value="C"', form_page.text) and "赵桂兰" in form_page.text
    before = counts(engine)
    wrong = pages.post(f"/app/households/{household_id}/application", {"category_requested": "Z"})
    assert wrong.status_code == 422
    assert 'data-field="category_requested"' in wrong.text and counts(engine) == before
    application_id = take_in(pages, household_id)
    read = client.get(f"/api/v1/applications/{application_id}", headers=officer).json()
    assert (read["household_id"], read["category_requested"], read["state"]) == (
        household_id,
        "C",
        "applied",
    )
    assert read["documents"] == [] and read["applied_on"] == "2026-02-20"
    again = pages.post(f"/app/households/{household_id}/application", {"category_requested": "C"})
    assert again.status_code == 422 and "one-open-application" in again.text


@pytest.fixture
def application_id(pages) -> int:
    head, spouse = head_and_spouse()
    return take_in(pages, register(pages, registration_form(m0=head, m1=spouse)))


def missing_in_checks(client, officer, application_id: int) -> list[str]:
    checks = client.get(
        f"/api/v1/applications/{application_id}/checks",
        headers={**officer, "Accept-Language": "en"},
    ).json()
    return [p["message"] for p in checks["problems"] if p["rule"] == "documents-complete"]


def test_an_uploaded_income_statement_is_no_longer_missing(
    client, engine, officer, pages, application_id
) -> None:
    base = f"/app/applications/{application_id}"
    page = pages.get(base).text
    assert 'enctype="multipart/form-data"' in page and "Still missing:" in page
    assert any("income statement" in m for m in missing_in_checks(client, officer, application_id))

    answer = upload(pages, f"{base}/documents", PDF)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{base}#documents"
    read = client.get(f"/api/v1/applications/{application_id}", headers=officer).json()
    assert read["documents"] == ["income_statement"]
    assert not any(
        "income statement" in m for m in missing_in_checks(client, officer, application_id)
    )
    assert any(
        "household register" in m for m in missing_in_checks(client, officer, application_id)
    )
    shown = pages.get(base).text
    assert "收入证明.pdf" in shown and hashlib.sha256(PDF).hexdigest()[:12] in shown
    with engine.connect() as connection:
        entry = connection.execute(
            text(
                "SELECT entity, entity_id, action, details FROM audit_record "
                "WHERE action LIKE 'document-%'"
            )
        ).one()
    details = entry.details if isinstance(entry.details, dict) else json.loads(entry.details)
    assert (entry.entity, entry.entity_id, entry.action) == (
        "application",
        str(application_id),
        "document-added",
    )
    assert details["kind"] == "income_statement" and details["size"] == len(PDF)
    assert details["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert "content" not in details and "Catalog" not in str(details)


def test_a_replaced_file_stays_on_record_and_the_newer_is_current(
    client, engine, officer, pages, application_id
) -> None:
    base = f"/app/applications/{application_id}"
    assert upload(pages, f"{base}/documents", PDF).status_code == 303
    with engine.connect() as connection:
        first = connection.execute(text("SELECT id FROM application_document")).scalar_one()
    replaced = upload(pages, f"{base}/documents/{first}/replace", BETTER_PDF, kind=None)
    assert replaced.status_code == 303, replaced.text
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, kind, sha256, replaced_by, replaced_at, uploaded_at "
                "FROM application_document ORDER BY id"
            )
        ).all()
        actions = connection.execute(
            text("SELECT action FROM audit_record WHERE action LIKE 'document-%' ORDER BY id")
        ).all()
    assert len(rows) == 2
    old, new = rows
    assert old.replaced_by == new.id and old.replaced_at is not None
    assert new.replaced_by is None and new.kind == old.kind == "income_statement"
    assert new.sha256 == hashlib.sha256(BETTER_PDF).hexdigest()
    assert [a[0] for a in actions] == ["document-added", "document-replaced"]
    # the replaced one cannot be replaced again; the current one is the one to replace
    again = upload(pages, f"{base}/documents/{first}/replace", PNG, kind=None, media="image/png")
    assert again.status_code == 422 and 'data-rule="document-current"' in again.text
    shown = pages.get(base).text
    assert f"by file #{new.id}" in shown
    assert f"/documents/{new.id}/replace" in shown and f"/documents/{old.id}/replace" not in shown

    for document_id, content in ((old.id, PDF), (new.id, BETTER_PDF)):
        got = pages.get(f"{base}/documents/{document_id}/download")
        assert got.status_code == 200
        assert got.content == content
        assert hashlib.sha256(got.content).hexdigest() == (old if content is PDF else new).sha256
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=")
        assert "filename*=UTF-8''%E6%94%B6%E5%85%A5%E8%AF%81%E6%98%8E.pdf" in disposition


@pytest.mark.parametrize(
    ("name", "content", "media", "rule", "status"),
    [
        ("big.pdf", PDF + bytes(6 * 1024 * 1024), "application/pdf", "file-size", 413),
        ("empty.pdf", b"", "application/pdf", "file-not-empty", 422),
        ("notes.pdf", b"just some text, not a PDF\n", "application/pdf", "file-type", 422),
        ("scan.png", b"MZ\x90\x00\x03" + bytes(200), "image/png", "file-type", 422),
        ("photo.png", PNG, "application/pdf", "file-type", 422),  # declared one, is another
    ],
)
def test_a_file_that_is_not_a_small_pdf_jpeg_or_png_is_refused(
    client, engine, officer, pages, application_id, name, content, media, rule, status
) -> None:
    base = f"/app/applications/{application_id}"
    before = counts(engine)
    answer = upload(pages, f"{base}/documents", content, name=name, media=media)
    assert answer.status_code == status, answer.text[:500]
    assert f'data-rule="{rule}" data-field="file"' in answer.text
    assert 'id="document-file-problem"' in answer.text  # beside the file field too
    assert counts(engine) == before
    read = client.get(f"/api/v1/applications/{application_id}", headers=officer).json()
    assert read["documents"] == []


def test_a_form_without_a_file_or_kind_says_so(engine, pages, application_id) -> None:
    base = f"/app/applications/{application_id}"
    before = counts(engine)
    answer = pages.post(f"{base}/documents", {})  # sent as a plain form, as the crawl does
    assert answer.status_code == 422
    fields = set(re.findall(r'<li data-rule="[^"]+" data-field="([^"]+)"', answer.text))
    assert fields == {"kind", "file"}
    assert counts(engine) == before


def test_another_office_gets_404_on_every_new_route(client, engine, clock, officer) -> None:
    move_to(clock, "2026-02-20")
    county = officer_pages(client, engine, "county.officer")
    theirs = create_household(
        client,
        officer,
        household(member("乙张红"), community="炉桥社区", township=OTHER, address="炉桥镇南街3号"),
    )
    their_application = take_in(county, theirs["id"])
    base = f"/app/applications/{their_application}"
    assert upload(county, f"{base}/documents", PDF).status_code == 303
    with engine.connect() as connection:
        their_document = connection.execute(
            text("SELECT id FROM application_document")
        ).scalar_one()
    ours = create_household(client, officer, household(member("甲李梅")))
    our_application = take_in(county, ours["id"])

    bound = officer_pages(client, engine, "own.officer", office=OWN)
    before = counts(engine)
    refused = {
        "GET household application": bound.get(f"/app/households/{theirs['id']}/application"),
        "POST household application": bound.post(
            f"/app/households/{theirs['id']}/application", {"category_requested": "C"}
        ),
        "POST documents": upload(bound, f"{base}/documents", PDF),
        "POST replace": upload(bound, f"{base}/documents/{their_document}/replace", PDF, kind=None),
        "GET download": bound.get(f"{base}/documents/{their_document}/download"),
        "GET download through own application": bound.get(
            f"/app/applications/{our_application}/documents/{their_document}/download"
        ),
        "POST replace through own application": upload(
            bound,
            f"/app/applications/{our_application}/documents/{their_document}/replace",
            PDF,
            kind=None,
        ),
    }
    wrong = {
        what: answer.status_code for what, answer in refused.items() if answer.status_code != 404
    }
    assert not wrong, wrong
    assert not any("乙张红" in answer.text for answer in refused.values())
    assert counts(engine) == before
    assert bound.get(f"/app/households/{ours['id']}/application").status_code == 200
    # the county-wide officer reaches the same records: the 404s come from the office rule
    county.sign_in("county.officer")
    assert county.get(f"/app/households/{theirs['id']}/application").status_code == 200
    assert county.get(f"{base}/documents/{their_document}/download").content == PDF


def test_the_new_pages_speak_chinese_with_files_on_record(client, engine, clock) -> None:
    """The language crawl's demo county has no uploaded files yet: the documents table, its
    replace forms and their refusals are read here, in Chinese, with a file replaced."""
    move_to(clock, "2026-02-20")
    make_account(engine, "zh.officer", "benefit_officer")  # Chinese, the accounts' default
    pages = PageClient(client)
    pages.sign_in("zh.officer")
    head, spouse = head_and_spouse()
    household_id = register(pages, registration_form(m0=head, m1=spouse))
    application_id = take_in(pages, household_id)
    base = f"/app/applications/{application_id}"
    assert upload(pages, f"{base}/documents", PDF).status_code == 303
    with engine.connect() as connection:
        first = connection.execute(text("SELECT id FROM application_document")).scalar_one()
    assert upload(pages, f"{base}/documents/{first}/replace", PNG, kind=None, media="image/png")
    read = {
        "application": pages.get(base),
        "intake": pages.get(f"/app/households/{household_id}/application"),
        "registration": pages.get("/app/households/new"),
        "refused upload": upload(pages, f"{base}/documents", b"", kind="other"),
        "refused replace": pages.post(f"{base}/documents/{first + 1}/replace", {}),
        "refused registration": pages.post("/app/households/new", registration_form(m0=head)),
    }
    assert "家庭登记" in read["registration"].text and "收入证明" in read["application"].text
    assert read["refused upload"].status_code == read["refused replace"].status_code == 422
    assert not [what for what, page in read.items() if unlabelled(page.text)]
    english = {what: english_runs(visible_text(page.text)) for what, page in read.items()}
    assert not any(english.values()), english
