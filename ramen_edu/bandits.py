"""Bandit tuning of the regularization constants λ (RAMEN §3, "Bandit Learning for Regularization
Constants"), the paper's form and a reward form that works.

Each constant is tuned on its own by "gradient descent without a gradient" (Flaxman et al.,
2005): every ``period`` (= 30) iterations λ is perturbed, λ̃ = λ + z with z ~ N(0, σ²), the
trainer uses λ̃ for the next ``period`` iterations, the signal f observed meanwhile is averaged,
and λ moves along the one-point gradient estimate

    ∇f(λ) ≈ E[f(λ + z)·z] / σ²      (Gaussian smoothing; Flaxman's (d/δ)·f(x + δu)·u for u = ±1)

with step η = 0.01, clipped to ``bounds``. All constants are perturbed at once with independent
z's (the other constants' perturbations then act as extra noise, as in SPSA).

σ: the paper writes z ~ N(0, 0.01) and calls 0.01 the *variance*, so σ = 0.1 — that is what we
use (0.01 as the standard deviation would be a perturbation far below the noise of a
mini-batch objective, and the 1/σ² factor would blow every step up by 100).

Two signals (``mode``):

* ``"paper"`` — f = the averaged λ-weighted mini-batch objective λ_l·L + Σ (λ_x R_x + λ_z R_z),
  minimised, exactly as the text says. Since every term is ≥ 0, f grows with each λ
  (∂f/∂λ = the term's loss), so the estimate drifts every λ down to its lower bound: the
  optimum of "make the weighted loss small" is "weigh everything as little as possible".
  Kept to show that failure (book/04_training.ipynb). By default this mode uses the reward
  mode's baseline and step clipping (below), not its normalisation;
  ``baseline=False, max_step=None`` gives the paper's literal update λ ← λ − η·f·z/σ², which
  is far noisier (f ≈ 10 makes each step ≈ η·f/σ ≈ 1) and, because f > 0, turns *both* bounds
  into traps: at a bound only one-sided perturbations remain and f·z then always points out.
* ``"reward"`` (default) — f = a reward to *maximise* that the λ's cannot game by scaling,
  e.g. the in-batch P@1 of the document–label scores or minus the unweighted document–label
  loss. Variance reduction (what docs/RAMEN.md reports of a co-author's public code): a
  moving-average baseline b (advantage f − b) scaled by a moving standard deviation, steps
  clipped to ``max_step``, λ ≥ 0.1. λ_l ("doc_label") is fixed at 1 by default in this mode: AdamW is invariant to the
  scale of the loss, so only the ratios λ/λ_l matter and tuning all of them adds a direction
  that changes nothing but the noise.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["LambdaBandit", "run_toy_bandit"]

MODES = ("reward", "paper")


class LambdaBandit:
    """Online one-point-gradient bandit over the RAMEN λ's.

    names:   objective terms, e.g. ``["doc_label", "doc_anchor:category", "label_anchor:category"]``.
    init:    starting λ per name; default doc_label = 1.0 and every other 0.1 (RAMEN §3).
    lr:      η, the step on the gradient estimate (paper: 0.01).
    period:  iterations a perturbation is held, and the signal averaged (paper: 30).
    sigma:   standard deviation of z (paper: variance 0.01 → σ = 0.1; module docstring).
    bounds:  (low, high) range of every tuned λ (co-author's code: λ ≥ 0.1).
    mode:    "reward" (default) or "paper"; see the module docstring.
    seed:    seed of the perturbations.
    fixed:   names never tuned (kept at their init). Default: {"doc_label"} in reward mode, none
             in paper mode (the paper tunes all).
    baseline: subtract a moving-average baseline from f (default True); ``baseline_decay`` is
             its EMA factor.
    normalise: divide the advantage by its moving standard deviation (default: on in reward
             mode only — a reward such as P@1 moves by ~1e-3 between periods, so its scale must
             be learnt; the paper's objective has the loss's own scale, and normalising it would
             let the largest term's noise drown the others).
    max_step: largest |Δλ| of one update (None = unclipped).
    The paper's literal update is ``mode="paper", baseline=False, max_step=None``.

    Per iteration the trainer calls ``lam = bandit.values()`` (λ̃ to use now), computes the
    losses, then ``bandit.observe(objective, reward)``. ``history`` holds one dict per update:
    iteration, phase, lambda (the point being tuned), perturbed (λ̃ for the next period), step,
    signal (averaged f), baseline.
    Taught in: book/04_training.ipynb
    """

    def __init__(self, names: Iterable[str], *, init: Mapping[str, float] | None = None,
                 lr: float = 0.01, period: int = 30, sigma: float = 0.1,
                 bounds: tuple[float, float] = (0.1, 10.0), mode: str = "reward", seed: int = 0,
                 fixed: Iterable[str] | None = None, baseline: bool | None = None,
                 baseline_decay: float = 0.9, normalise: bool | None = None,
                 max_step: float | None = 0.1):
        self.names = list(names)
        if not self.names or len(set(self.names)) != len(self.names):
            raise ValueError(f"names must be a non-empty list of distinct terms, got {self.names}")
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}; choose 'reward' (maximise a reward, default) or "
                             f"'paper' (minimise the λ-weighted objective)")
        low, high = bounds
        if not 0 <= low < high:
            raise ValueError(f"bounds={bounds} must satisfy 0 ≤ low < high")
        if period < 1 or sigma <= 0 or lr <= 0:
            raise ValueError(f"need period ≥ 1, sigma > 0, lr > 0 (got {period}, {sigma}, {lr})")
        if not 0 <= baseline_decay < 1:
            raise ValueError(f"baseline_decay={baseline_decay} must be in [0, 1)")
        init = dict(init or {})
        unknown = set(init) - set(self.names)
        if unknown:
            raise ValueError(f"init has λ for {sorted(unknown)}, which are not in names {self.names}")
        if fixed is None:
            fixed = {"doc_label"} & set(self.names) if mode == "reward" else set()
        self.fixed = set(fixed)
        if self.fixed - set(self.names):
            raise ValueError(f"fixed names {sorted(self.fixed - set(self.names))} are not in names")
        self.mode, self.lr, self.period, self.sigma = mode, float(lr), int(period), float(sigma)
        self.bounds = (float(low), float(high))
        self.baseline = True if baseline is None else bool(baseline)
        self.normalise = (mode == "reward") if normalise is None else bool(normalise)
        self.baseline_decay = float(baseline_decay)
        self.max_step = None if max_step is None else float(max_step)
        self.tuned = [n for n in self.names if n not in self.fixed]

        self.base = {n: float(init.get(n, 1.0 if n == "doc_label" else 0.1)) for n in self.names}
        for n in self.tuned:
            self.base[n] = self._clip(self.base[n])
        self.rng = np.random.default_rng(seed)
        self.iteration = 0
        self._sum = 0.0
        self._count = 0
        self._mean: float | None = None  # moving baseline of f
        self._var: float | None = None  # moving variance of the advantage
        self.history: list[dict] = []
        self._perturb()
        self.history.append(self._record("start", signal=None, baseline=None, step={}))

    # ---- internals
    def _clip(self, value: float) -> float:
        return float(min(max(value, self.bounds[0]), self.bounds[1]))

    def _perturb(self) -> None:
        z = self.rng.normal(0.0, self.sigma, size=len(self.tuned))
        self.current = dict(self.base)
        for n, dz in zip(self.tuned, z):
            self.current[n] = self._clip(self.base[n] + dz)

    def _record(self, phase: str, *, signal, baseline, step) -> dict:
        return {"iteration": self.iteration, "phase": phase, "lambda": dict(self.base),
                "perturbed": dict(self.current), "step": dict(step), "signal": signal,
                "baseline": baseline}

    def _update(self, f: float) -> None:
        baseline = self._mean
        if self.baseline:
            advantage = 0.0 if baseline is None else f - baseline
            d = self.baseline_decay
            self._mean = f if baseline is None else d * baseline + (1 - d) * f
        else:
            advantage = f
        if self.normalise and advantage != 0.0:
            d = self.baseline_decay
            self._var = advantage**2 if self._var is None else d * self._var + (1 - d) * advantage**2
            advantage /= math.sqrt(self._var) + 1e-12
        sign = -1.0 if self.mode == "paper" else 1.0  # paper: minimise; reward: maximise
        step = {}
        for n in self.tuned:
            # the perturbation actually applied (differs from z where λ̃ was clipped at a bound)
            z = self.current[n] - self.base[n]
            delta = sign * self.lr * advantage * z / self.sigma**2
            if self.max_step is not None:
                delta = max(-self.max_step, min(self.max_step, delta))
            step[n] = delta
            self.base[n] = self._clip(self.base[n] + delta)
        self._perturb()
        self.history.append(self._record("update", signal=f, baseline=baseline, step=step))

    # ---- public API
    def values(self) -> dict[str, float]:
        """λ̃ to use at this iteration: {name: float} (perturbed values of the current period)."""
        return dict(self.current)

    @property
    def lambdas(self) -> dict[str, float]:
        """The λ being tuned (without the current perturbation): {name: float}."""
        return dict(self.base)

    def observe(self, objective: float, reward: float | None = None) -> None:
        """Record one iteration: ``objective`` = the λ̃-weighted mini-batch objective (used by
        mode "paper"), ``reward`` = the quantity to maximise (mode "reward", required there).
        Every ``period`` calls the averaged signal updates λ and a new perturbation starts."""
        signal = objective if self.mode == "paper" else reward
        if signal is None:
            raise ValueError("mode='reward' needs observe(objective, reward=...), e.g. the "
                             "in-batch P@1 of the document–label scores")
        signal = float(signal)
        if not math.isfinite(signal):
            raise ValueError(f"iteration {self.iteration}: non-finite bandit signal {signal} "
                             f"({'objective' if self.mode == 'paper' else 'reward'}); "
                             f"check the loss for NaN before observing it")
        self.iteration += 1
        self._sum += signal
        self._count += 1
        if self._count == self.period:
            f = self._sum / self._count
            self._sum, self._count = 0.0, 0
            self._update(f)

    def state_dict(self) -> dict:
        """Everything needed to resume exactly (λ, perturbation, partial averages, RNG, history)."""
        return {"base": dict(self.base), "current": dict(self.current),
                "iteration": self.iteration, "sum": self._sum, "count": self._count,
                "mean": self._mean, "var": self._var,
                "rng": copy.deepcopy(self.rng.bit_generator.state),
                "history": copy.deepcopy(self.history), "names": list(self.names),
                "mode": self.mode}

    def load_state_dict(self, state: Mapping) -> None:
        """Restore :meth:`state_dict`; later values() and updates equal the saved run's."""
        if list(state["names"]) != self.names or state["mode"] != self.mode:
            raise ValueError(f"bandit state is for names={state['names']} mode={state['mode']!r}, "
                             f"this bandit has names={self.names} mode={self.mode!r}")
        self.base, self.current = dict(state["base"]), dict(state["current"])
        self.iteration, self._sum, self._count = int(state["iteration"]), float(state["sum"]), int(state["count"])
        self._mean, self._var = state["mean"], state["var"]
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.history = copy.deepcopy(list(state["history"]))


def run_toy_bandit(mode: str = "reward", *, iterations: int = 6000, seed: int = 0,
                   dim: int = 8, noise: float = 0.5, harm_offset: float = 1.0, step: float = 0.02,
                   **bandit_kwargs) -> LambdaBandit:
    """Tune λ on a toy training where one regularizer helps and one hurts.

    θ ∈ R^dim is trained by stochastic gradient descent on
        λ_l·L + λ_help·R_help + λ_harm·R_harm,
        L = ‖θ[:dim/2] − (t + ε)[:dim/2]‖²  (the "labels" see only half of the truth t),
        R_help = ‖θ − (t + ε')‖²           (a graph that knows all of t),
        R_harm = ‖θ − (w + ε'')‖²          (a graph pointing elsewhere, w = t + harm_offset·N(0, I)),
    where ε, ε', ε'' ~ N(0, noise²) are drawn afresh every iteration — mini-batch noise, which
    also keeps every loss above zero, as in real training. The reward is −‖θ − t‖²/dim (a
    stand-in for held-out P@1): it improves with λ_help and worsens with λ_harm. λ starts at
    doc_label 1, help 0.3, harm 1 (room to move the right way; override with ``init=``).
    Names: "doc_label", "doc_anchor:help", "doc_anchor:harm"; ``step`` is θ's learning rate.
    Returns the bandit after ``iterations`` steps (its ``history`` tells the story).
    Taught in: book/04_training.ipynb
    """
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=dim)
    harm_target = truth + harm_offset * rng.normal(size=dim)
    seen = np.arange(dim) < dim // 2
    theta = np.zeros(dim)
    names = ["doc_label", "doc_anchor:help", "doc_anchor:harm"]
    kwargs = {"init": {"doc_label": 1.0, "doc_anchor:help": 0.3, "doc_anchor:harm": 1.0},
              "seed": seed, **bandit_kwargs}
    bandit = LambdaBandit(names, mode=mode, **kwargs)
    for _ in range(iterations):
        lam = bandit.values()
        eps = noise * rng.normal(size=(3, dim))
        diffs = (np.where(seen, theta - truth - eps[0], 0.0), theta - truth - eps[1],
                 theta - harm_target - eps[2])
        losses = [d @ d for d in diffs]
        grad = 2 * sum(lam[n] * d for n, d in zip(names, diffs))
        theta = theta - step * grad
        objective = sum(lam[n] * v for n, v in zip(names, losses))
        bandit.observe(objective, reward=-np.mean((theta - truth) ** 2))
    return bandit
