"""Peak resident memory of this process over a stretch of work, for the benchmarks.

Each benchmark prints the peak memory of what it measured. A process's lifetime maximum
(``ru_maxrss``) would carry the peak of whatever ran before in the same process — in
``workbridge bench all`` the first sweep's peak showed up again beside the matching run — so
where Linux allows it the high-water mark is reset before each measured stretch (writing 5 to
``/proc/self/clear_refs`` resets VmHWM) and read after it.
"""

from __future__ import annotations

import resource


def reset_peak_memory() -> bool:
    """Start measuring peak memory from now. False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def resident_memory_mib() -> float:
    """Resident memory now (VmRSS), 0 where /proc is not available."""
    return _status_mib("VmRSS:") or 0.0


def peak_memory_mib(since_reset: bool) -> float:
    """Peak resident memory: VmHWM since the reset, or else the process's lifetime maximum
    from getrusage (ru_maxrss, KiB on Linux)."""
    if since_reset:
        peak = _status_mib("VmHWM:")
        if peak is not None:
            return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
