"""Small statistics for reporting over seeds: mean, sample std, Student-t 95% interval, median."""

from __future__ import annotations

import math
import statistics

# Two-sided 95% Student-t critical values for 1..30 degrees of freedom.
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
_Z975 = 1.959964


def t_critical_95(dof: int) -> float:
    """The 97.5% quantile of Student's t; beyond the table a Cornish-Fisher expansion (error < 1e-3)."""
    if dof < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if dof <= len(_T975):
        return _T975[dof - 1]
    z = _Z975
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def std(values: list[float]) -> float | None:
    """Sample standard deviation; None below two values, where it is undefined."""
    return statistics.stdev(values) if len(values) > 1 else None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def interval_95(values: list[float]) -> tuple[float, float] | None:
    """95% confidence interval of the mean (Student t); None below two values."""
    if len(values) < 2:
        return None
    centre = statistics.fmean(values)
    half = t_critical_95(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return centre - half, centre + half
