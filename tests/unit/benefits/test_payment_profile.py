"""Which part of a payment run a statement's time is counted under (the bench's profile)."""

from __future__ import annotations

import pytest

from benefits import payment_profile as profile


@pytest.mark.parametrize(
    ("sql", "part"),
    [
        (
            "INSERT INTO payment_line (run_id, period, case_id) SELECT 1, '2026-12', "
            "case_status_period.case_id FROM case_status_period",
            profile.PLAIN,
        ),
        (
            "INSERT INTO payment_line_period (period, case_id, status_period_id) SELECT ...",
            profile.PART_PERIODS,
        ),
        (
            "INSERT INTO payment_line (run_id, period) SELECT 1, anon_1.case_id FROM (SELECT "
            "payment_line_period.case_id FROM payment_line_period JOIN case_status_period) AS s",
            profile.PART_LINES,
        ),
        (
            "INSERT INTO payment_line (run_id, period, case_id) VALUES (?, ?, ?) "
            "ON CONFLICT (period, case_id) DO NOTHING",
            profile.RULE_LINES,
        ),
        ("SELECT count(*) FROM payment_line WHERE period = ?", profile.READS),
        ("  \n select 1", profile.READS),
        ("WITH x AS (SELECT 1) SELECT * FROM x", profile.READS),
        ("UPDATE payment_adjustment SET settled_period=? WHERE id IN (?)", profile.OTHER_WRITES),
        ("INSERT INTO payment_adjustment (case_id) VALUES (?)", profile.OTHER_WRITES),
        ("UPDATE payment_run SET lines=(payment_run.lines + ?)", profile.OTHER_WRITES),
    ],
)
def test_each_statement_counts_under_its_part(sql: str, part: str) -> None:
    assert profile.kind(sql) == part


def test_the_rest_is_what_the_statements_and_commits_leave_and_never_negative() -> None:
    spent = profile.TimeSpent()
    spent.seconds[profile.PLAIN], spent.statements[profile.PLAIN] = 2.0, 3
    spent.seconds[profile.READS], spent.statements[profile.READS] = 1.0, 5
    spent.commit_seconds = 0.5

    assert spent.parts(10.0) == [
        (profile.PLAIN, 2.0),
        (profile.READS, 1.0),
        (profile.COMMITS, 0.5),
        (profile.REST, 6.5),
    ]
    assert spent.parts(3.0)[-1] == (profile.REST, 0.0)
