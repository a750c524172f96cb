"""The load benchmark's ratio to its floor: taken round by round, the median reported. A ratio
from runs far apart in time measures the machine's drift as much as the service."""

from __future__ import annotations

import pytest

from workbridge.bench_load import FLOOR, SERVICE, STATUS, LoadReport, Measured


def _run(app: str, per_second: float, round_: int, connections: int = 64) -> Measured:
    result = {"per_second": per_second, "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0}}
    return Measured(STATUS, app, connections, result, (), round=round_)


def _report(*runs: Measured) -> LoadReport:
    report = LoadReport("m", "d", 1, 2, 8, 10.0, (0.0, 0.0, 0.0), rounds=3)
    report.runs.extend(runs)
    return report


def test_each_round_is_compared_with_its_own_floor() -> None:
    # the machine was fast in round 0 and slow in round 2: paired, the ratio stays 0.5
    report = _report(
        _run(SERVICE, 1000, 0),
        _run(FLOOR, 2000, 0),
        _run(SERVICE, 600, 1),
        _run(FLOOR, 1000, 1),
        _run(SERVICE, 300, 2),
        _run(FLOOR, 600, 2),
    )
    assert report.round_ratios(SERVICE, 64) == [0.5, 0.6, 0.5]
    service = report.find(STATUS, SERVICE, 64)
    assert service is not None and service.per_second == 600  # the median round is printed
    assert report.versus_floor(service) == 0.5


@pytest.mark.parametrize(
    ("services", "floors", "median"),
    [
        ([500], [1000], 0.5),
        ([500, 700], [1000, 1000], 0.6),  # an even count: the mean of the middle two
        ([500, 700, 900], [1000, 1000, 1000], 0.7),
        ([900, 500, 700, 1000], [1000] * 4, 0.8),
    ],
)
def test_the_ratio_is_the_median_of_the_rounds(
    services: list[int], floors: list[int], median: float
) -> None:
    runs = [_run(SERVICE, s, i) for i, s in enumerate(services)]
    runs += [_run(FLOOR, f, i) for i, f in enumerate(floors)]
    report = _report(*runs)
    assert report.versus_floor(runs[0]) == pytest.approx(median)


def test_no_floor_no_ratio() -> None:
    service = _run(SERVICE, 500, 0)
    assert _report(service).versus_floor(service) is None
    other_connections = _report(service, _run(FLOOR, 1000, 0, connections=16))
    assert other_connections.versus_floor(service) is None
