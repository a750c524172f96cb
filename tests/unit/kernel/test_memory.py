"""The benchmarks' peak memory is the peak of the stretch they measured, not of whatever ran
before in the same process (the matching row of ``bench all`` once showed the sweep's peak)."""

from __future__ import annotations

from kernel.memory import peak_memory_mib, reset_peak_memory, resident_memory_mib

MIB = 1024 * 1024


def test_a_reset_forgets_an_earlier_peak_and_a_new_one_is_seen() -> None:
    assert reset_peak_memory(), "Linux lets a process reset its VmHWM"
    blob = b"x" * (300 * MIB)  # written, so resident
    earlier_peak = peak_memory_mib(since_reset=True)
    assert earlier_peak >= resident_memory_mib() >= 300
    del blob

    assert reset_peak_memory()
    after_reset = peak_memory_mib(since_reset=True)
    assert after_reset < earlier_peak - 250

    blob = b"y" * (100 * MIB)
    assert peak_memory_mib(since_reset=True) >= after_reset + 90
    del blob


def test_without_a_reset_the_lifetime_maximum_is_reported() -> None:
    blob = b"z" * (50 * MIB)
    assert peak_memory_mib(since_reset=False) >= resident_memory_mib()
    del blob
