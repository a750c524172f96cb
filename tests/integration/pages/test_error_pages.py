"""A page address answers errors with a page in the reader's language, never the API's JSON;
the API keeps its problem details."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "path", "status", "chinese"),
    [
        ("GET", "/app/nowhere", 404, "没有此页面或记录。"),
        ("GET", "/app/people/not-a-number", 404, "没有此页面或记录。"),
        ("PUT", "/app/login", 405, "此页面不能这样使用。"),
        ("DELETE", "/app", 405, "此页面不能这样使用。"),
    ],
)
def test_unknown_page_addresses_get_a_page(client, method, path, status, chinese) -> None:
    answer = client.request(method, path)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in answer.text and chinese in answer.text
    assert "problems/" not in answer.text  # no problem JSON in the page


def test_the_page_is_in_english_for_a_reader_who_chose_english(client) -> None:
    client.cookies.set("wb_lang", "en")
    answer = client.get("/app/nowhere")
    assert answer.status_code == 404
    assert '<html lang="en">' in answer.text and "There is no such page or record." in answer.text


def test_the_api_keeps_problem_details(client) -> None:
    answer = client.get("/api/v1/nowhere")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    near = client.get("/application")  # starts like /app but is not a page address
    assert near.headers["content-type"].startswith("application/problem+json")
