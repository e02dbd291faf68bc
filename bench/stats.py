# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Medians and spreads: the machines are noisy, so every timed figure is a median over repeats with its range."""

from __future__ import annotations

import dataclasses
import statistics


@dataclasses.dataclass(frozen=True)
class Summary:
    """Median of a few samples and their range; ``spread`` is (max - min) / median, the noise we report."""

    median: float
    low: float
    high: float
    samples: tuple[float, ...]

    @property
    def spread(self) -> float:
        return (self.high - self.low) / self.median if self.median else 0.0

    def to_dict(self) -> dict:
        return {"median": self.median, "min": self.low, "max": self.high, "spread": round(self.spread, 4), "samples": list(self.samples)}


def summarize(samples: list[float]) -> Summary:
    if not samples:
        raise ValueError("no samples to summarize")
    return Summary(statistics.median(samples), min(samples), max(samples), tuple(samples))


def linear_fit(xs: list[float], ys: list[float]) -> dict:
    """Least-squares line through (x, y) and R²: how well cost follows a straight line in the number of hosts."""
    if len(xs) < 2:
        return {"slope": None, "intercept": None, "r2": None}
    slope, intercept = statistics.linear_regression(xs, ys)
    if len(xs) < 3:
        # Two points always lie on a line: R² says nothing about linearity until there are three.
        return {"slope": slope, "intercept": intercept, "r2": None}
    mean = statistics.fmean(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys))
    return {"slope": slope, "intercept": intercept, "r2": 1.0 - residual / total if total else 1.0}
