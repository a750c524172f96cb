"""Tokens and roles on every matching and training route: 401 without a valid token, 403 for
the wrong role; and the CLI refuses a provider token for a provider that does not exist."""

from datetime import UTC, datetime

import pytest

from kernel.db import session_scope
from training.models import TrainingProvider
from workbridge.cli import main

STAFF = {"counsellor", "benefit_officer"}
EVERYONE = {"counsellor", "benefit_officer", "training_provider", "admin"}
ENDPOINTS = [
    ("PUT", "/api/v1/matching/seekers/1", {"counsellor"}),
    ("GET", "/api/v1/matching/seekers/1", STAFF),
    ("GET", "/api/v1/matching/seekers/1/vacancies", STAFF),
    ("POST", "/api/v1/matching/vacancies", {"counsellor"}),
    ("POST", "/api/v1/matching/vacancies/csv", {"counsellor"}),
    ("GET", "/api/v1/matching/vacancies", STAFF),
    ("GET", "/api/v1/matching/vacancies/1", STAFF),
    ("PATCH", "/api/v1/matching/vacancies/1", {"counsellor"}),
    ("GET", "/api/v1/matching/vacancies/1/seekers", STAFF),
    ("GET", "/api/v1/matching/vacancies/1/suitability/1", STAFF),
    ("GET", "/api/v1/matching/occupations", EVERYONE),
    ("POST", "/api/v1/training/providers", STAFF),
    ("GET", "/api/v1/training/providers", STAFF),
    ("GET", "/api/v1/training/providers/1", STAFF | {"training_provider"}),
    ("GET", "/api/v1/training/providers/1/rates", STAFF),
    ("POST", "/api/v1/training/courses", STAFF),
    ("GET", "/api/v1/training/courses", STAFF | {"training_provider"}),
    ("GET", "/api/v1/training/courses/1", STAFF | {"training_provider"}),
    ("POST", "/api/v1/training/courses/1/enrolments", STAFF),
    ("GET", "/api/v1/training/courses/1/enrolments", STAFF | {"training_provider"}),
    ("GET", "/api/v1/training/courses/1/rates", STAFF),
    ("POST", "/api/v1/training/outcomes", {"training_provider"}),
    ("POST", "/api/v1/training/outcomes/csv", {"training_provider"}),
    ("GET", "/api/v1/training/trades", EVERYONE),
]
PREFIXES = ("/api/v1/matching/", "/api/v1/training/")


def test_every_matching_and_training_route_is_in_the_table(app) -> None:
    routes = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if route.path.startswith(PREFIXES) and method not in ("HEAD", "OPTIONS")
    }

    def shape(path: str) -> str:
        parts = path.rstrip("/").split("/")
        return "/".join("{x}" if p.startswith("{") or p[:1].isdigit() else p for p in parts)

    assert {(m, shape(p)) for m, p in routes} == {(m, shape(p)) for m, p, _ in ENDPOINTS}


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
def test_roles_and_tokens(client, tokens, method, path, allowed) -> None:
    assert client.request(method, path).status_code == 401
    bogus = {"Authorization": "Bearer wb_nonsense"}
    assert client.request(method, path, headers=bogus).status_code == 401
    for role in sorted(EVERYONE):
        status = client.request(method, path, headers=tokens.headers(role), json={}).status_code
        if role in allowed:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


def test_tokens_create_refuses_an_unknown_provider(database_url, engine, monkeypatch) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    argv = ["tokens", "create", "--role", "training_provider", "--provider"]
    assert main([*argv, "7"]) == 2
    with session_scope(engine) as session:
        session.add(TrainingProvider(name="培训学校", created_at=datetime.now(UTC)))
    assert main([*argv, "1"]) == 0
