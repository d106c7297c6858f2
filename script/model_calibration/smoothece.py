"""Smooth ECE (Blasiok & Nakkiran 2023, "Smooth ECE: principled reliability diagrams via kernel
smoothing"): a binning-free calibration error, with the kernel smoothing it is built on.

The residuals ``p - y`` are smoothed by a Gaussian kernel reflected at 0 and 1 (bandwidth
``sigma``), and weighted by the smoothed density of the predictions; ``smECE(sigma)`` is the mean
absolute smoothed residual. The bandwidth is the fixed point ``sigma = smECE(sigma)``, found by
bisection, so the figure needs no tuning. The computation follows the reference implementation
(``relplot.smECE``) step for step: the weights are spread linearly onto an evaluation grid of
``max(2000, round(20 / sigma)) // 2 + 1`` points, convolved with the kernel (by FFT here, the same
sums to rounding) and interpolated at ``max(200, round(10 / sigma))`` mesh points.

Input are aggregated predictions (each distinct value with its weight ``n`` and weighted
positives ``k``), so a weight counts as that many repeated rows and the cost is independent of
the row count beyond the distinct values.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .aggregation import Aggregated
from .numerics import FloatArray, weighted_count

SMOOTH_ECE_TOLERANCE = 1e-3
"""Bandwidths below this are not searched (``relplot``'s ``eps``)."""
_BISECTION_STEPS = 10
_DENSITY_FLOOR = 1e-4
"""Added to the smoothed density before dividing by it, as ``relplot`` does."""


def kernel_grid_points(sigma: float) -> int:
    """Points of the grid the kernel is convolved on at bandwidth ``sigma``.

    >>> kernel_grid_points(0.1), kernel_grid_points(0.001)
    (1001, 10001)
    """
    return max(2000, round(20.0 / sigma)) // 2 + 1


def spread_on_grid(values: FloatArray, weights: FloatArray, points: int) -> FloatArray:
    """``weights`` spread linearly onto ``points`` equally spaced points of [0, 1] (each value's
    weight split between its two neighbouring grid points).

    >>> spread_on_grid(np.array([0.25, 1.0]), np.array([1.0, 2.0]), 3).tolist()
    [0.5, 0.5, 2.0]
    """
    scaled = values * (points - 1)
    cell = np.clip(scaled.astype(np.int64), 0, points - 2)
    frac = scaled - cell
    out = weighted_count(cell, (1.0 - frac) * weights, points)
    out += weighted_count(cell + 1, frac * weights, points)
    return out


def _convolve_valid(signal: FloatArray, kernel: FloatArray) -> FloatArray:
    """``np.convolve(signal, kernel, "valid")`` by FFT."""
    size = signal.shape[0] + kernel.shape[0] - 1
    fft_size = 1 << (size - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(signal, fft_size) * np.fft.rfft(kernel, fft_size), fft_size)
    out: FloatArray = full[kernel.shape[0] - 1:signal.shape[0]]
    return out


def reflected_smooth(grid: FloatArray, sigma: float) -> FloatArray:
    """The Gaussian kernel sums ``sum_j grid_j K_sigma(t_i - t_j)`` on the grid's points, the grid
    reflected at 0 and 1 (no mass lost at the edges).

    >>> out = reflected_smooth(spread_on_grid(np.array([0.5]), np.array([1.0]), 1001), 0.1)
    >>> round(float(out[500]), 4)  # the kernel's peak, 1 / (sqrt(2 pi) 0.1)
    3.9894
    """
    points = grid.shape[0]
    t = np.linspace(0.0, 1.0, points)
    kernel = np.exp(-(t - 0.5) ** 2 / (2.0 * sigma * sigma)) / (math.sqrt(2.0 * math.pi) * sigma)
    extended = np.concatenate([grid[::-1][:-1], grid, grid[::-1][1:]])
    return _convolve_valid(extended, kernel)[points // 2:points // 2 + points]


def interpolate_grid(t: FloatArray, on_grid: FloatArray) -> FloatArray:
    """Linear interpolation at ``t`` of the values given at the grid's equally spaced points."""
    cells = on_grid.shape[0] - 1
    idx = np.clip((t * cells).astype(np.int64), 0, cells - 1)
    frac = t * cells - idx
    out: FloatArray = on_grid[idx] * (1.0 - frac) + on_grid[idx + 1] * frac
    return out


class _SmoothEce:
    """smECE at any bandwidth of one set of aggregated predictions (grids cached by size)."""

    def __init__(self, agg: Aggregated) -> None:
        self.values = np.clip(agg.values, 0.0, 1.0)
        self.residual = agg.n * agg.values - agg.k
        self.weight = agg.n
        self._grids: dict[int, tuple[FloatArray, FloatArray]] = {}

    def at(self, sigma: float) -> float:
        points = kernel_grid_points(sigma)
        if points not in self._grids:
            self._grids[points] = (spread_on_grid(self.values, self.residual, points),
                                   spread_on_grid(self.values, self.weight, points))
        residual, weight = self._grids[points]
        mesh = np.linspace(0.0, 1.0, max(round(10.0 / sigma), 200))
        smoothed = interpolate_grid(mesh, reflected_smooth(residual, sigma))
        density = interpolate_grid(mesh, reflected_smooth(weight, sigma)) + _DENSITY_FLOOR
        return float(np.sum(np.abs(smoothed / density) * density) / np.sum(density))


def smooth_ece(agg: Aggregated) -> tuple[Optional[float], Optional[float]]:
    """Smooth ECE and its bandwidth ``sigma`` of aggregated predictions ``agg.values``
    (probabilities) with weights ``agg.n`` and weighted positives ``agg.k``; ``(None, None)``
    without rows.

    >>> agg = Aggregated(np.array([0.2, 0.8]), np.array([10.0, 10.0]), np.array([2.0, 8.0]))
    >>> value, sigma = smooth_ece(agg)
    >>> value < 1e-3 and sigma is not None
    True
    """
    if agg.values.shape[0] == 0 or not float(agg.n.sum()) > 0.0:
        return None, None
    at = _SmoothEce(agg).at

    def small(sigma: float) -> bool:
        return sigma < SMOOTH_ECE_TOLERANCE or sigma < at(sigma)

    # relplot's search: the bandwidth where smECE(sigma) crosses sigma, by bisection on (0, 1]
    upper = 1.0
    if not small(upper):
        lower = 0.0
        for _ in range(_BISECTION_STEPS):
            middle = (upper + lower) / 2.0
            if small(middle):
                lower = middle
            else:
                upper = middle
    return at(upper), upper
