"""The status-check benchmark runs end to end (figures are printed, never asserted)."""

from workbridge.bench_status import run_status_bench


def test_bench_status_measures_known_and_unknown_people() -> None:
    report = run_status_bench(households=200, requests=60, concurrency=2)
    assert report.households == 200 and report.requests == 60
    assert 0 < report.not_found < 60  # unknown people answered 404, the others 200
    assert report.p50_ms > 0 and report.p95_ms >= report.p50_ms
    assert report.sequential_per_second > 0 and report.concurrent_per_second > 0
