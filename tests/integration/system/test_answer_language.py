"""API problems in the caller's language: Chinese unless the caller asks for English
(``Accept-Language``), the rule code the same in both, and nothing written."""

from __future__ import annotations

from sqlalchemy import text

from support import household, member


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM household")).scalar_one()


def test_a_missing_record_is_told_in_chinese_by_default_and_in_english_on_request(
    client, officer
) -> None:
    chinese = client.get("/api/v1/households/999", headers=officer)
    assert chinese.status_code == 404
    assert chinese.headers["content-language"] == "zh-CN"
    assert "Accept-Language" in chinese.headers["vary"]
    body = chinese.json()
    assert body["title"] == "未找到"
    assert body["problems"] == [
        {"field": "household_id", "rule": "exists", "message": "没有编号为 999 的家庭"}
    ]
    english = client.get(
        "/api/v1/households/999", headers={**officer, "Accept-Language": "en-GB,en;q=0.9"}
    )
    assert english.headers["content-language"] == "en"
    assert english.json()["title"] == "Not found"
    assert english.json()["problems"][0]["message"] == "no household 999"


def test_schema_problems_are_listed_per_field_in_the_callers_language(
    client, officer, engine
) -> None:
    bad = household(member(incomes=[("wage", "lots")]))
    bad["scheme"] = "suburban"
    del bad["address"]
    before = _count(engine)
    chinese = client.post("/api/v1/households", json=bad, headers=officer)
    english = client.post(
        "/api/v1/households", json=bad, headers={**officer, "Accept-Language": "en"}
    )
    assert chinese.status_code == english.status_code == 422
    assert _count(engine) == before  # nothing written
    zh = {p["field"]: p for p in chinese.json()["problems"]}
    en = {p["field"]: p for p in english.json()["problems"]}
    assert zh.keys() == en.keys() and {"address", "scheme"} <= zh.keys()
    assert {f: p["rule"] for f, p in zh.items()} == {f: p["rule"] for f, p in en.items()}
    assert zh["address"]["message"] == "此项必填"
    assert en["address"]["message"] == "this field is required"
    assert zh["scheme"]["message"].startswith("应为以下之一：")
    assert "urban" in zh["scheme"]["message"]
    assert chinese.json()["title"] == "请求中有无效字段"


def test_litestar_own_answers_and_the_token_check_speak_chinese(client, officer) -> None:
    unknown = client.get("/api/v1/nowhere", headers=officer)
    assert unknown.status_code == 404
    assert unknown.json()["problems"][0]["message"] == "此地址没有内容"
    no_token = client.get("/api/v1/households/1")
    assert no_token.status_code == 401
    assert no_token.json()["title"] == "未登录"
    assert no_token.json()["problems"][0]["message"].startswith("需要 API 令牌")
    wrong_method = client.delete("/api/v1/households/1", headers=officer)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["problems"][0]["message"] == "此地址不支持这种请求方式"


def test_a_role_refusal_names_the_roles_that_may_in_the_callers_language(
    client, tokens, engine
) -> None:
    before = _count(engine)
    counsellor = tokens.headers("counsellor")
    chinese = client.post("/api/v1/households", json=household(member()), headers=counsellor)
    english = client.post(
        "/api/v1/households",
        json=household(member()),
        headers={**counsellor, "Accept-Language": "en"},
    )
    assert chinese.status_code == english.status_code == 403
    assert _count(engine) == before
    zh, en = chinese.json(), english.json()
    assert zh["title"] == "无权操作" and en["title"] == "Forbidden"
    assert zh["problems"][0]["rule"] == en["problems"][0]["rule"] == "role"
    assert zh["problems"][0]["message"] == "此操作需要以下角色之一：低保经办人员"
    assert zh["detail"] == zh["problems"][0]["message"]
    assert en["problems"][0]["message"] == "this action needs one of the roles: benefit officer"
    # a route several roles may use names each of them, in the reader's words
    provider = tokens.headers("training_provider")
    several = client.get("/api/v1/cases", headers=provider).json()["problems"][0]["message"]
    assert several == "此操作需要以下角色之一：低保经办人员；就业指导员"


def test_every_reason_an_id_number_is_wrong_is_told_in_the_callers_language(
    client, officer
) -> None:
    wrong = "110101199003070010"  # 18 characters; the status check is given only 17
    bad = household(member(national_id="001101199013400011"))
    chinese = client.post("/api/v1/households", json=bad, headers=officer)
    english = client.post(
        "/api/v1/households", json=bad, headers={**officer, "Accept-Language": "en"}
    )
    assert chinese.status_code == english.status_code == 422
    zh = chinese.json()["problems"][0]
    en = english.json()["problems"][0]
    assert zh["field"] == en["field"] == "members.0.national_id"
    assert zh["message"].startswith("身份证号码无效：")
    assert "第 7–14 位（19901340）不是有效日期" in zh["message"]
    assert "地区码不能以 00 开头" in zh["message"] and "；" in zh["message"]
    assert en["message"].startswith("invalid national ID: characters 7-14 (19901340)")
    assert "region code cannot start with 00" in en["message"]
    assert "\x1e" not in zh["message"] + en["message"]

    status = client.get(f"/api/v1/status/{wrong[:17]}", headers=officer)
    assert status.status_code == 422
    assert status.json()["problems"][0]["message"].startswith("应为 18 位")


def test_why_a_household_is_paid_is_told_in_the_callers_language(client, tokens, clock) -> None:
    from support import Desk

    desk = Desk(client, tokens, clock)
    person = member(incomes=[("wages", "100")])
    home = desk.household_with_case(person)
    national_id = person["national_id"]
    chinese = client.get(f"/api/v1/status/{national_id}", headers=desk.officer).json()
    english = client.get(
        f"/api/v1/status/{national_id}", headers={**desk.officer, "Accept-Language": "en"}
    ).json()
    assert chinese["why"].startswith("批准：人均收入 ") and "低于保障标准" in chinese["why"]
    assert english["why"].startswith("approved: per-capita income ")
    case = client.get(f"/api/v1/cases/{home['case_id']}", headers=desk.officer).json()
    assert case["status_reason"] == chinese["why"]  # the case says the same, in the same words
    assert case["history"][0]["reason"] == chinese["why"]
