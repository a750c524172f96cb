"""Schema fuzzing: schemathesis generates requests from the served OpenAPI document, valid ones
and invalid ones, with a token of each role, against a real ``workbridge serve`` holding a
small demo county. Any 5xx, and any answer whose status code, content type or body the
document does not declare, fails the test.

The run is bounded to fit CI: ``WORKBRIDGE_FUZZ_EXAMPLES`` requests per role in all (default
300), spread over the operations the role may call. README (CI) gives a longer run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode as MODE
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from served import BIN, Served

ROLES = ("counsellor", "benefit_officer", "training_provider", "admin")
EXAMPLES_PER_ROLE = int(os.environ.get("WORKBRIDGE_FUZZ_EXAMPLES", "300"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    per_role: Counter[str] = field(default_factory=Counter)

    def count(self, role: str, status: int) -> None:
        self.requests += 1
        self.per_role[role] += 1
        self.statuses[status] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


@pytest.fixture
def served_county(database_url: str, tmp_path: Path) -> Iterator[Served]:
    """A demo county of 30 households loaded by the CLI, then the service over it."""
    env = {**os.environ, "WORKBRIDGE_DATABASE_URL": database_url}
    subprocess.run(
        [str(BIN), "demo", "--households", "30"],
        env=env, cwd=tmp_path, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    served = Served(database_url, tmp_path)
    yield served
    served.kill()


def _role_refusal(response: Any) -> bool:
    """The role guard's 403 (problem rule ``role``), not a refusal the use case made."""
    if response.status_code != 403:
        return False
    try:
        return any(p.get("rule") == "role" for p in response.json().get("problems", []))
    except ValueError:
        return False


def _fuzz(
    operation: Any, role: str, headers: dict[str, str], url: str, examples: int, tally: Tally
) -> bool:
    """``examples`` generated requests to one operation as one role; every failure is kept.
    True if the role may call the operation (an answer other than the role guard's 403)."""
    allowed = False

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(MODE.POSITIVE) | operation.as_strategy(MODE.NEGATIVE))
    def exercise(case: Any) -> None:
        nonlocal allowed
        response = case.call(base_url=url, headers=headers, timeout=30)
        tally.count(role, response.status_code)
        if not _role_refusal(response):
            allowed = True
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # every failure is kept, none raised
            found = [line[2:] for line in str(exc).splitlines() if line.startswith("- ")]
            tally.failures.append(
                f"{operation.label} as {role}: {response.status_code} "
                f"{'; '.join(found) or str(exc)[:300]}\n  {case.as_curl_command()}"
            )

    exercise()
    return allowed


def test_the_served_schema_holds_under_generated_requests(served_county: Served, tokens) -> None:
    schema = schemathesis.openapi.from_url(f"{served_county.url}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally()
    started = time.monotonic()
    for role in ROLES:
        headers = tokens.headers(role)
        # One request to every operation finds what the role may call; the rest of its
        # examples go to those operations.
        allowed = [op for op in operations if _fuzz(op, role, headers, served_county.url, 1, tally)]
        rest = max(EXAMPLES_PER_ROLE - len(operations), len(allowed))
        for operation in allowed:
            _fuzz(operation, role, headers, served_county.url, rest // len(allowed), tally)
    elapsed = time.monotonic() - started
    summary = (
        f"schema fuzz: {tally.requests} requests in {elapsed:.0f} s "
        f"({', '.join(f'{role} {n}' for role, n in tally.per_role.items())}), "
        f"{tally.server_errors} server errors, statuses {dict(sorted(tally.statuses.items()))}"
    )
    print(f"\n{summary}", file=sys.stderr)
    assert tally.server_errors == 0, "\n".join(tally.failures[:20]) + "\n" + served_county.log()
    distinct = Counter(failure.split("\n")[0] for failure in tally.failures)
    assert tally.failures == [], (
        f"{summary}\n"
        + "\n".join(f"{n} x {kind}" for kind, n in distinct.most_common())
        + "\nfor example:\n"
        + "\n".join(tally.failures[:5])
    )
