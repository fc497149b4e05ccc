"""The figures every benchmark prints: median, p99 and this process's peak memory."""

from __future__ import annotations

import resource
import statistics
from pathlib import Path


def p99(times: list[float]) -> float:
    """The 99th percentile by rank (the slowest 1% lie above it)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def timing(times_ms: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(times_ms), "p99_ms": p99(times_ms)}


def line(label: str, times: list[float], width: int = 46) -> str:
    """One row of a results table: label, median, p99 and max, in milliseconds."""
    median = statistics.median(times)
    return f"{label:{width}}{median:>9.2f} ms{p99(times):>9.2f} ms{max(times):>9.2f} ms"


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM). ru_maxrss would include the parent's,
    since Linux carries it across fork and exec; it is the fallback off Linux."""
    status = Path("/proc/self/status")
    if status.exists():
        for row in status.read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
