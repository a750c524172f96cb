"""Tokens and roles: 401 without a valid token, 403 for the wrong role, on every endpoint."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from kernel.auth import TokenCache, hash_token
from support import household, member

STAFF = {"counsellor", "benefit_officer"}
ENDPOINTS = [
    ("POST", "/api/v1/households", {"benefit_officer"}),
    ("GET", "/api/v1/households/1", {"benefit_officer", "counsellor"}),
    ("POST", "/api/v1/households/1/members", {"benefit_officer"}),
    ("PATCH", "/api/v1/members/1", {"benefit_officer", "counsellor"}),
    ("POST", "/api/v1/members/1/incomes", {"benefit_officer"}),
    ("POST", "/api/v1/applications", {"benefit_officer"}),
    ("GET", "/api/v1/applications/1", {"benefit_officer", "counsellor"}),
    ("GET", "/api/v1/applications/1/checks", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/investigation", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/appraisal", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/public-notice", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/objections", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/objections/1/resolution", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/decision", {"benefit_officer"}),
    ("POST", "/api/v1/applications/1/second-approval", {"benefit_officer"}),
    ("GET", "/api/v1/cases", {"benefit_officer", "counsellor"}),
    ("GET", "/api/v1/cases/1", {"benefit_officer", "counsellor"}),
    ("POST", "/api/v1/cases/1/status", {"benefit_officer"}),
    ("POST", "/api/v1/cases/1/reviews", {"benefit_officer"}),
    ("GET", "/api/v1/status/11010519491231002X", {"benefit_officer"}),
    (
        "GET",
        "/api/v1/policy",
        {"benefit_officer", "counsellor", "training_provider", "admin", "supervisor"},
    ),
    ("GET", "/api/v1/activation/people/1", STAFF),
    ("POST", "/api/v1/activation/people/1/registration", {"counsellor"}),
    ("GET", "/api/v1/activation/people/1/matches", STAFF),
    ("GET", "/api/v1/activation/people/1/file", STAFF),
    ("GET", "/api/v1/activation/people/1/file.csv", STAFF),
    ("POST", "/api/v1/activation/jobs", {"counsellor"}),
    ("GET", "/api/v1/activation/jobs/1", STAFF),
    ("POST", "/api/v1/activation/jobs/1/income", {"counsellor"}),
    ("POST", "/api/v1/activation/jobs/1/end", {"counsellor"}),
    ("POST", "/api/v1/activation/referrals/1/hired", {"counsellor"}),
    ("POST", "/api/v1/applications/1/reentry-decision", {"benefit_officer"}),
    ("GET", "/api/v1/activation/unregistered", STAFF),
    ("POST", "/api/v1/activation/referrals", {"counsellor"}),
    ("GET", "/api/v1/activation/referrals/1", STAFF),
    ("POST", "/api/v1/activation/referrals/1/delivery", {"counsellor"}),
    ("POST", "/api/v1/activation/referrals/1/answer", {"counsellor"}),
    ("POST", "/api/v1/activation/referrals/1/evidence", {"counsellor"}),
    ("POST", "/api/v1/activation/referrals/1/good-reason", STAFF),
    ("GET", "/api/v1/activation/sanctions", STAFF),
    ("GET", "/api/v1/activation/sanctions/1", STAFF),
    ("POST", "/api/v1/activation/sanctions/1/vulnerability-review", {"benefit_officer"}),
    ("POST", "/api/v1/activation/sanctions/1/decision", {"benefit_officer"}),
    ("POST", "/api/v1/activation/sanctions/1/appeals", STAFF),
    ("POST", "/api/v1/activation/appeals/1/decision", {"benefit_officer"}),
    ("GET", "/api/v1/activation/tasks", STAFF),
    ("GET", "/api/v1/activation/decisions/1", STAFF),
    ("GET", "/api/v1/activation/decisions/1/replay", STAFF),
    ("POST", "/api/v1/activation/sweeps/daily", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/payments/runs", {"benefit_officer"}),
    ("GET", "/api/v1/payments/runs", {"benefit_officer"}),
    ("GET", "/api/v1/payments/runs/1", {"benefit_officer"}),
    ("GET", "/api/v1/payments/runs/1/bank-file", {"benefit_officer"}),
    ("POST", "/api/v1/payments/runs/1/sign-off", {"benefit_officer"}),
    ("GET", "/api/v1/oversight/report", {"admin", "supervisor"}),
    ("GET", "/api/v1/oversight/tasks", {"admin", "supervisor"}),
    ("POST", "/api/v1/oversight/tasks/1/close", {"admin", "supervisor"}),
    ("POST", "/api/v1/replays", {"benefit_officer", "admin"}),
    ("GET", "/api/v1/replays", {"benefit_officer", "admin"}),
    ("GET", "/api/v1/replays/1", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/replays/1/rerun", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/parameter-versions", {"benefit_officer", "admin"}),
    ("GET", "/api/v1/parameter-versions", {"benefit_officer", "admin"}),
    ("GET", "/api/v1/parameter-versions/1", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/parameter-versions/1/replay", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/parameter-versions/1/sign-off", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/parameter-versions/1/refuse", {"benefit_officer", "admin"}),
    ("POST", "/api/v1/parameter-versions/1/withdraw", {"benefit_officer", "admin"}),
    ("GET", "/api/v1/payments/lines?case_id=1", {"benefit_officer"}),
    ("GET", "/api/v1/roll", {"benefit_officer"}),
    ("POST", "/api/v1/roll/checks", {"benefit_officer"}),
    ("POST", "/api/v1/roll/imports", {"benefit_officer"}),
    ("GET", "/api/v1/roll/imports", {"benefit_officer"}),
    ("GET", "/api/v1/roll/imports/1", {"benefit_officer"}),
    ("GET", "/api/v1/roll/imports/1/result", {"benefit_officer"}),
    ("GET", "/api/v1/registers/relatives", {"benefit_officer"}),
]
WORDS_IN_PATHS = {"relatives"}  # a word path parameter's value, as ENDPOINTS writes it
ROLES = ["counsellor", "benefit_officer", "training_provider", "admin", "supervisor"]


OTHER_CONTEXTS = ("/api/v1/matching/", "/api/v1/training/")  # their own access tables


def test_every_api_route_is_in_the_access_table(app) -> None:
    routes = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if route.path.startswith("/api/")
        and not route.path.startswith(OTHER_CONTEXTS)
        and method not in ("HEAD", "OPTIONS")
    }

    def shape(path: str) -> str:
        parts = path.split("?")[0].rstrip("/").split("/")
        return "/".join(
            "{x}" if p.startswith("{") or p[:1].isdigit() or p in WORDS_IN_PATHS else p
            for p in parts
        )

    assert {(m, shape(p)) for m, p in routes} == {(m, shape(p)) for m, p, _ in ENDPOINTS}


@pytest.mark.parametrize(("method", "path", "allowed"), ENDPOINTS)
def test_roles_and_tokens(client, tokens, method, path, allowed) -> None:
    assert client.request(method, path).status_code == 401
    assert (
        client.request(method, path, headers={"Authorization": "Bearer wb_nonsense"}).status_code
        == 401
    )
    assert client.request(method, path, headers={"Authorization": "Basic abc"}).status_code == 401
    for role in ROLES:
        status = client.request(method, path, headers=tokens.headers(role), json={}).status_code
        if role in allowed:
            assert status not in (401, 403), (role, status)
        else:
            assert status == 403, (role, status)


def _revoke(engine, raw: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE api_token SET revoked_at = :now WHERE token_hash = :hash"),
            {"now": datetime.now(UTC).replace(tzinfo=None), "hash": hash_token(raw)},
        )


def test_a_revoked_token_is_refused_once_the_process_stops_trusting_it(
    app, client, tokens, engine
) -> None:
    """A process trusts a token it has looked up for WORKBRIDGE_TOKEN_CACHE_SECONDS (5), so a
    revocation reaches every serving process within that time, not later."""
    now = [1000.0]
    app.state.token_cache = TokenCache(5, clock=lambda: now[0])
    headers = tokens.headers("benefit_officer")
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    _revoke(engine, tokens.raw["benefit_officer"])
    now[0] += 4.9
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    now[0] += 0.1
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_without_the_cache_a_revocation_is_immediate(app, client, tokens, engine) -> None:
    app.state.token_cache = TokenCache(0)
    headers = tokens.headers("benefit_officer")
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    _revoke(engine, tokens.raw["benefit_officer"])
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_an_unknown_token_is_remembered_as_unknown(app, client, tokens) -> None:
    now = [0.0]
    app.state.token_cache = cache = TokenCache(5, clock=lambda: now[0])
    bad = {"Authorization": "Bearer wb_not-a-token"}
    assert client.get("/api/v1/cases", headers=bad).status_code == 401
    assert cache.get(hash_token("wb_not-a-token")) == (True, None)
    now[0] += 5
    assert cache.get(hash_token("wb_not-a-token")) == (False, None)


def test_the_cache_keeps_at_most_its_size() -> None:
    cache = TokenCache(60, size=2, clock=lambda: 0.0)
    for name in ("a", "b", "c"):
        cache.put(name, None)
    assert [cache.get(n)[0] for n in ("a", "b", "c")] == [False, True, True]


def test_tokens_are_stored_only_as_hashes(tokens, engine) -> None:
    with engine.connect() as connection:
        stored = [row[0] for row in connection.execute(text("SELECT token_hash FROM api_token"))]
    assert all(len(h) == 64 for h in stored)
    assert not set(tokens.raw.values()) & set(stored)


def test_counsellor_reads_but_cannot_create(client, tokens) -> None:
    response = client.post(
        "/api/v1/households", json=household(member()), headers=tokens.headers("counsellor")
    )
    assert response.status_code == 403
    body = response.json()
    assert body["type"].endswith("/forbidden")
    assert body["problems"][0]["rule"] == "role"  # the role guard, not a use case's refusal
