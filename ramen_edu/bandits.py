"""Bandit tuning of the regularization constants λ (RAMEN §3, "Bandit Learning for Regularization
Constants"): the paper's literal form, and a validated estimator that tunes.

Both modes are "gradient descent without a gradient" (Flaxman et al., 2005): λ is perturbed,
training runs ``period`` iterations with the perturbed λ̃, a signal is read, and λ moves along
the perturbation in proportion to what the signal did. They differ in the signal and in how
the training trend is kept out of the estimate. One class per mode (:class:`ValidationBandit`,
:class:`PaperBandit`); ``LambdaBandit(names, mode=...)`` builds the one a mode names.

``mode="validation"`` (default) — antithetic pairs with common random numbers, on log λ
-----------------------------------------------------------------------------------------
Work with θ = log λ (λ stays positive, a step is a relative change, no floor to bounce off).
Each *pair* draws a direction u ∈ {−1, +1}^d (Rademacher, as in SPSA; Spall 1992) and a coin
o ∈ {−1, +1}. From the same starting point (encoder, optimizer, schedule and random state are
snapshotted) the trainer trains ``period`` steps on the *same* batches twice:

    branch 1 with θ + o·σ·u,   then, restored, branch 2 with θ − o·σ·u,

and reads a *validation* reward after each (never the test split: the mean top-1 margin of a
held-out slice of the training documents, ``Trainer.validation_reward``). With r₊, r₋ the rewards
of the branches that used θ + σu and θ − σu,

    d = r₊ − r₋        estimates 2σ·uᵀ∇_θ r,

and the update is θ ← clip(θ + η·clip(d / rms(d), −2, 2)·u, log bounds), where rms(d) is an
exponential moving root-mean-square of past d's (the reward's scale is learnt, as Adam learns a
gradient's; decay 0.9), so η = 0.2 moves λ by ≈ ±20 % per pair. σ = 0.5 (λ × or ÷ 1.65): the
effect of a smaller perturbation over a 10-step period is below what one pair can resolve. Training continues from branch 2,
whose sign is the coin's: no branch is *selected* on the validation reward, so the bandit tunes λ
but does not cherry-pick a trajectory.

Why this tunes where the in-batch-P@1 bandit it replaces did not (issue 8, book/04):

* both branches start from the same state and see the same batches and dropout masks (common
  random numbers), so d contains neither the training trend (a reward that only rises with
  time gives r₊ = r₋ exactly: tested) nor mini-batch noise — only the effect of ±σu;
* the reward is read on documents the encoder never trains on, so it rewards generalisation;
* the perturbation is symmetric and bounds act on θ only, so no floor pushes λ up.

Its price: each pair trains ``period`` steps twice, so a RAMEN epoch costs about twice the steps
(measured in book/04 and benchmarks/bench_training.py); ``TrainConfig.bandit=False`` ("No
Bandit") is the cheap alternative, and the ablation says what the bandit buys.

``mode="paper"`` — the literal §3 form
--------------------------------------
f = the averaged λ̃-weighted mini-batch objective λ_l·L + Σ (λ_x R_x + λ_z R_z), *minimised*,
with λ̃ = λ + z, z ~ N(0, σ²), σ = 0.1 (the paper writes N(0, 0.01), 0.01 being the variance),
η = 0.01, and the one-point estimate ∇f ≈ f·z/σ². Since every term is ≥ 0, f grows with each λ,
so the estimate drifts every λ down to its lower bound: "make the weighted loss small" is won by
"weigh everything as little as possible". By default a moving-average baseline and step
clipping (0.1) tame its variance; ``baseline=False, max_step=None`` is the literal update.
Kept to show that failure (book/04_training.ipynb).

``LambdaHalving`` — successive halving over a λ grid (ours; the default bandit to measure)
-------------------------------------------------------------------------------------------
The two estimators above read a signal over ``period`` steps; on the Wikipedia benchmark that
horizon misleads (book/04: each 10-step branch rewarded a larger λ_z, the full run lost 5.9 P@1
to fixed λ). Successive halving (Jamieson & Talwalkar, 2016; the rung schedule of Hyperband, Li
et al., 2018) asks the question at the horizon it matters: every arm of a grid of λ values
(every regularizer λ_x = λ_z = the arm's value, λ_l = 1) trains ``rung_epochs`` whole epochs
from the same snapshot, with the same batches, and is scored by *validation P@1*; the better half
continues for twice as many epochs, and so on until one arm is left, and training goes on from
that arm's state. With 4 arms and 1-epoch rungs that is 4 × 1 + 2 × 2 = 8 epochs spent to finish
the first 3: a 10-epoch run costs 15 epochs (1.5×). The trainer runs the tournament
(``Trainer.run_halving``); this class holds the grid, the schedule, the choices and the record.
Unlike the estimators it *selects* a trajectory on the validation slice — the slice is held out
of training, so that is model selection, not a peek at the test split.

In both estimator modes λ_l ("doc_label") is fixed at 1 by default in validation mode (AdamW is invariant
to the loss scale, so only the ratios λ/λ_l matter) and tuned in paper mode (as the paper does).

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping

import numpy as np

from ramen_edu.terms import DOC_LABEL

__all__ = ["HALVING_GRID", "LambdaBandit", "LambdaHalving", "PaperBandit", "ValidationBandit", "run_toy_bandit"]

_STEP_CLIP = 2.0  # |d / rms(d)| above this is an outlier, not more evidence


def LambdaBandit(names: Iterable[str], *, mode: str = "validation", **kwargs) -> ValidationBandit | PaperBandit:
    """Online zeroth-order tuner of the RAMEN λ's (module docstring: both estimators): a
    :class:`ValidationBandit` (``mode="validation"``, default) or a :class:`PaperBandit`
    (``mode="paper"``), built with ``kwargs``.

    names:     objective terms, e.g. ``["doc_label", "doc_anchor:category", "label_anchor:category"]``.
    init:      starting λ per name; default doc_label = 1.0 and every other 0.1 (RAMEN §3).
    mode:      "validation" (default) or "paper".
    lr:        η. validation: typical step of log λ per pair (0.2); paper: 0.01 (App. B).
    period:    iterations a perturbation is held (paper: 30).
    sigma:     validation: the log-λ perturbation ±σ (0.5); paper: std of z (0.1).
    bounds:    (low, high) of every tuned λ; validation (1e-3, 10), paper (0.1, 10).
    seed:      seed of the perturbations.
    fixed:     names never tuned. Default {"doc_label"} in validation mode, none in paper mode.
    baseline, baseline_decay, max_step: paper mode's variance reduction (moving-average
               baseline, EMA factor, step clip); ``baseline=False, max_step=None`` is literal.
               Validation mode uses only ``baseline_decay`` (the decay of rms(d)).

    Paper mode: per iteration the trainer calls ``lam = bandit.values()`` (λ̃ to use now), trains,
    then ``bandit.observe(objective)``. Validation mode: ``first, second = bandit.pair()`` gives
    the two branches' λ̃; the trainer trains each from the same snapshot and calls
    ``bandit.report(reward_first, reward_second)``; between pairs (and for leftover steps)
    ``values()`` is the unperturbed λ. ``history`` holds one dict per update ("start" first):
    iteration, phase, lambda (after the update), perturbed (paper: λ̃ of the next period;
    validation: the λ used until the next pair), step (Δλ), signal (d, or the paper's f), reward
    ((r₊, r₋) in validation mode), direction (validation: the u of the pair whose d this is).
    Taught in: book/04_training.ipynb
    """
    classes = {cls.mode: cls for cls in (ValidationBandit, PaperBandit)}
    if mode not in classes:
        raise ValueError(f"mode={mode!r}; choose 'validation' (antithetic pairs rewarded on a "
                         f"held-out slice, default) or 'paper' (minimise the λ-weighted objective)")
    return classes[mode](names, **kwargs)


class _OnlineBandit:
    """What both online estimators share: the terms, which are tuned, their bounds, the λ in
    use, the history, and a state that resumes exactly. A subclass sets ``mode`` and its
    defaults, draws perturbations (:meth:`_new_perturbation`) and learns from its signal."""

    mode: str
    # (lr, sigma, bounds) when not given; see the module docstring
    defaults: tuple[float, float, tuple[float, float]]

    def __init__(self, names: Iterable[str], *, init: Mapping[str, float] | None = None,
                 lr: float | None = None, period: int = 30, sigma: float | None = None,
                 bounds: tuple[float, float] | None = None, seed: int = 0,
                 fixed: Iterable[str] | None = None, baseline: bool = True,
                 baseline_decay: float = 0.9, max_step: float | None = 0.1):
        self.names = list(names)
        if not self.names or len(set(self.names)) != len(self.names):
            raise ValueError(f"names must be a non-empty list of distinct terms, got {self.names}")
        d_lr, d_sigma, d_bounds = self.defaults
        lr, sigma = (d_lr if lr is None else lr), (d_sigma if sigma is None else sigma)
        low, high = d_bounds if bounds is None else bounds
        self._check_bounds(bounds, low, high)
        if period < 1 or sigma <= 0 or lr <= 0:
            raise ValueError(f"need period ≥ 1, sigma > 0, lr > 0 (got {period}, {sigma}, {lr})")
        if not 0 <= baseline_decay < 1:
            raise ValueError(f"baseline_decay={baseline_decay} must be in [0, 1)")
        init = dict(init or {})
        unknown = set(init) - set(self.names)
        if unknown:
            raise ValueError(f"init has λ for {sorted(unknown)}, which are not in names {self.names}")
        self.fixed = set(self._default_fixed() if fixed is None else fixed)
        if self.fixed - set(self.names):
            raise ValueError(f"fixed names {sorted(self.fixed - set(self.names))} are not in names")
        self.tuned = [n for n in self.names if n not in self.fixed]
        self.lr, self.period, self.sigma = float(lr), int(period), float(sigma)
        self.bounds = (float(low), float(high))
        self.baseline, self.baseline_decay = bool(baseline), float(baseline_decay)
        self.max_step = None if max_step is None else float(max_step)

        self.base = {n: float(init.get(n, 1.0 if n == DOC_LABEL else 0.1)) for n in self.names}
        for n in self.tuned:
            self.base[n] = self._clip(self.base[n])
        self.rng = np.random.default_rng(seed)
        self.iteration = 0
        self._sum, self._count = 0.0, 0  # paper: the objective summed over the current period
        self._mean: float | None = None  # paper: moving baseline of f
        self._ms: float | None = None  # validation: moving mean square of d
        self._u: dict[str, float] = {}  # validation: the pair's direction
        self._order = 1.0  # validation: the pair's coin
        self.history: list[dict] = []
        self._new_perturbation()
        self.history.append(self._record("start", signal=None, step={}))

    # ---- what a mode decides
    def _check_bounds(self, bounds, low: float, high: float) -> None:
        if not 0 <= low < high:
            raise ValueError(f"bounds={bounds} must satisfy 0 ≤ low < high")

    def _default_fixed(self) -> set[str]:
        return set()

    def _new_perturbation(self) -> None:
        raise NotImplementedError

    # ---- shared internals
    def _clip(self, value: float) -> float:
        return float(min(max(value, self.bounds[0]), self.bounds[1]))

    def _record(self, phase: str, *, signal, step, reward=None) -> dict:
        return {"iteration": self.iteration, "phase": phase, "lambda": dict(self.base),
                "perturbed": dict(self.current), "step": dict(step), "signal": signal,
                "reward": reward, "direction": dict(self._u)}

    def _check_objective(self, objective: float) -> float:
        objective = float(objective)
        if not math.isfinite(objective):
            raise ValueError(f"iteration {self.iteration}: non-finite objective {objective}; "
                             f"check the loss for NaN before observing it")
        return objective

    # ---- public API
    def values(self) -> dict[str, float]:
        """λ to use at this iteration: {name: float} (paper: this period's perturbed λ̃;
        validation: the unperturbed λ — its perturbations live in ``pair``)."""
        return dict(self.current)

    @property
    def lambdas(self) -> dict[str, float]:
        """The λ being tuned (without the current perturbation): {name: float}."""
        return dict(self.base)

    def pair(self) -> tuple[dict[str, float], dict[str, float]]:
        raise ValueError(f"pair() belongs to mode='validation'; this bandit is mode={self.mode!r} "
                         "(values()/observe())")

    def report(self, reward_first: float, reward_second: float) -> None:
        raise ValueError(f"report() belongs to mode='validation'; this bandit is mode={self.mode!r}")

    def state_dict(self) -> dict:
        """Everything needed to resume exactly (λ, pair state, averages, RNG, history). Both modes
        write the same keys; "mode" says which class loads it."""
        return {"base": dict(self.base), "current": dict(self.current), "iteration": self.iteration,
                "sum": self._sum, "count": self._count, "mean": self._mean, "ms": self._ms, "u": dict(self._u),
                "order": self._order, "rng": copy.deepcopy(self.rng.bit_generator.state),
                "history": copy.deepcopy(self.history), "names": list(self.names), "mode": self.mode}

    def load_state_dict(self, state: Mapping) -> None:
        """Restore :meth:`state_dict`; later values() and updates equal the saved run's."""
        if list(state["names"]) != self.names or state["mode"] != self.mode:
            raise ValueError(f"bandit state is for names={state['names']} mode={state['mode']!r}, "
                             f"this bandit has names={self.names} mode={self.mode!r}")
        self.base, self.current = dict(state["base"]), dict(state["current"])
        self.iteration, self._sum, self._count = int(state["iteration"]), float(state["sum"]), int(state["count"])
        self._mean, self._ms = state["mean"], state["ms"]
        self._u, self._order = dict(state["u"]), float(state["order"])
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.history = copy.deepcopy(list(state["history"]))


class ValidationBandit(_OnlineBandit):
    """The validated estimator (module docstring, ``mode="validation"``): antithetic pairs on
    log λ with common random numbers, rewarded on the held-out validation slice. Arguments as
    :func:`LambdaBandit`'s; λ_l ("doc_label") is fixed unless ``fixed`` says otherwise.
    """

    mode = "validation"
    defaults = (0.2, 0.5, (1e-3, 10.0))

    def _check_bounds(self, bounds, low: float, high: float) -> None:
        if not 0 < low < high:
            raise ValueError(f"bounds={bounds} must satisfy 0 < low < high (validation mode works on log λ)")

    def _default_fixed(self) -> set[str]:
        return {DOC_LABEL} & set(self.names)  # AdamW is scale-invariant: only λ/λ_l matters

    def _new_perturbation(self) -> None:
        self.current = dict(self.base)
        u = self.rng.choice([-1.0, 1.0], size=len(self.tuned))
        self._order = float(self.rng.choice([-1.0, 1.0]))
        self._u = {n: float(x) for n, x in zip(self.tuned, u)}

    def _branch(self, sign: float) -> dict[str, float]:
        # the perturbed λ may leave the bounds by a factor e^σ: clipping it would break the symmetry
        lam = dict(self.base)
        for n in self.tuned:
            lam[n] = self.base[n] * math.exp(sign * self.sigma * self._u[n])
        return lam

    def pair(self) -> tuple[dict[str, float], dict[str, float]]:
        """(λ̃ of the first branch, λ̃ of the second) = (θ + oσu, θ − oσu) in log space. Train
        ``period`` steps with each from the same snapshot, then :meth:`report`."""
        return self._branch(self._order), self._branch(-self._order)

    def report(self, reward_first: float, reward_second: float) -> None:
        """The rewards after the two branches of :meth:`pair`; updates λ."""
        for r in (reward_first, reward_second):
            if not math.isfinite(r):
                raise ValueError(f"iteration {self.iteration}: non-finite validation reward {r}; "
                                 f"check the encoder for NaN weights before tuning λ on it")
        r_plus, r_minus = (reward_first, reward_second) if self._order > 0 else (reward_second, reward_first)
        d = float(r_plus - r_minus)
        if abs(d) <= 1e-9 * (abs(r_plus) + abs(r_minus)) + 1e-15:
            d = 0.0  # rounding noise between equal rewards is no evidence (normalised, it would be ±1)
        decay = self.baseline_decay
        self._ms = d * d if self._ms is None else decay * self._ms + (1 - decay) * d * d
        g = 0.0 if self._ms == 0 else max(-_STEP_CLIP, min(_STEP_CLIP, d / math.sqrt(self._ms)))
        step = dict.fromkeys(self.tuned, 0.0)
        log_low, log_high = math.log(self.bounds[0]), math.log(self.bounds[1])
        for n in self.tuned if g else ():
            theta = min(max(math.log(self.base[n]) + self.lr * g * self._u[n], log_low), log_high)
            new = math.exp(theta)
            step[n], self.base[n] = new - self.base[n], new
        self.iteration += 2 * self.period
        self.current = dict(self.base)  # between pairs the trainer uses the unperturbed λ
        # recorded before the next pair is drawn: "direction" is the u that produced this d
        self.history.append(self._record("update", signal=d, step=step, reward=(r_plus, r_minus)))
        self._new_perturbation()

    def observe(self, objective: float) -> None:
        """The per-step hook: only checks the objective (this mode learns from :meth:`report`)."""
        self._check_objective(objective)


class PaperBandit(_OnlineBandit):
    """The literal §3 estimator (module docstring, ``mode="paper"``): Gaussian perturbations of
    λ, the averaged λ̃-weighted objective minimised with a one-point gradient estimate. Arguments
    as :func:`LambdaBandit`'s; every term is tuned unless ``fixed`` says otherwise.
    """

    mode = "paper"
    defaults = (0.01, 0.1, (0.1, 10.0))

    def _new_perturbation(self) -> None:
        self.current = dict(self.base)
        z = self.rng.normal(0.0, self.sigma, size=len(self.tuned))
        for n, dz in zip(self.tuned, z):
            self.current[n] = self._clip(self.base[n] + dz)

    def observe(self, objective: float) -> None:
        """Record one iteration's λ̃-weighted objective; every ``period`` calls λ is updated and
        a new perturbation starts."""
        objective = self._check_objective(objective)
        self.iteration += 1
        self._sum += objective
        self._count += 1
        if self._count < self.period:
            return
        f = self._sum / self._count
        self._sum, self._count = 0.0, 0
        if self.tuned:
            self._update(f)

    def _update(self, f: float) -> None:
        advantage = f
        if self.baseline:
            advantage = 0.0 if self._mean is None else f - self._mean
            d = self.baseline_decay
            self._mean = f if self._mean is None else d * self._mean + (1 - d) * f
        step = {}
        for n in self.tuned:
            z = self.current[n] - self.base[n]  # as applied (clipped at a bound)
            delta = -self.lr * advantage * z / self.sigma**2  # minimise f
            if self.max_step is not None:
                delta = max(-self.max_step, min(self.max_step, delta))
            step[n] = delta
            self.base[n] = self._clip(self.base[n] + delta)
        self._new_perturbation()
        self.history.append(self._record("update", signal=f, step=step))


HALVING_GRID = (0.01, 0.03, 0.1, 0.3)  # around the paper's 0.1; spans both encoders' best fixed λ


class LambdaHalving:
    """Successive halving over a grid of regularizer λ's (module docstring, last section).

    names:       objective terms, as :func:`LambdaBandit`'s; "doc_label" keeps ``lambda_label``.
    grid:        the arms: each sets every other term's λ to one value (default ``HALVING_GRID``).
    rung_epochs: epochs of the first rung; each later rung doubles it (1 → rungs of 1, 2, 4 …).
    lambda_label: λ_l of every arm (1).

    The trainer asks :meth:`rungs` for the plan, trains every surviving arm for a rung from its
    own state (:meth:`arm`, then :meth:`values` is that arm's λ), hands the rung's rewards to
    :meth:`keep`, and after the last rung calls :meth:`finish`. Ties in the reward (validation
    P@1, then the mean top-1 margin) go to the smaller λ: the less regularized arm is the safer
    default. ``history``: one dict per (rung, arm) with its λ, epochs and reward, then the winner.
    The estimator interface the trainer calls every step (``observe``) is a no-op here.
    Taught in: book/04_training.ipynb
    """

    mode = "halving"

    def __init__(self, names: Iterable[str], *, grid: Iterable[float] | None = None,
                 rung_epochs: int = 1, lambda_label: float = 1.0):
        self.names = list(names)
        if not self.names or len(set(self.names)) != len(self.names):
            raise ValueError(f"names must be a non-empty list of distinct terms, got {self.names}")
        grid = [float(g) for g in (HALVING_GRID if grid is None else grid)]
        if len(grid) < 2 or len(set(grid)) != len(grid) or min(grid) <= 0:
            raise ValueError(f"bandit_grid={grid}: give at least two distinct λ values > 0 "
                             f"(e.g. {list(HALVING_GRID)})")
        if int(rung_epochs) < 1:
            raise ValueError(f"bandit_rung_epochs={rung_epochs} must be ≥ 1")
        self.grid, self.rung_epochs, self.lambda_label = sorted(grid), int(rung_epochs), float(lambda_label)
        self.tuned = [n for n in self.names if n != DOC_LABEL]
        self.winner: float | None = None
        self.history: list[dict] = []
        self.current = self._lambdas(self.grid[0])

    def _lambdas(self, value: float) -> dict[str, float]:
        return {n: (self.lambda_label if n == DOC_LABEL else float(value)) for n in self.names}

    @property
    def done(self) -> bool:
        """True once a winner is chosen (a resumed run does not play the tournament again)."""
        return self.winner is not None

    def rungs(self, epochs: int) -> list[int]:
        """Epochs per rung, halving the arms after each, within ``epochs`` (the run's length):
        4 arms, rung_epochs 1, 10 epochs → [1, 2]; a short run truncates the last rung."""
        plan, arms, length, left = [], len(self.grid), self.rung_epochs, int(epochs)
        while arms > 1 and left > 0:
            plan.append(min(length, left))
            left -= plan[-1]
            arms, length = (arms + 1) // 2, 2 * length
        return plan

    def arm(self, value: float) -> None:
        """Train with this arm's λ until the next call (``values()`` returns it)."""
        if value not in self.grid:
            raise ValueError(f"λ {value} is not an arm of the grid {self.grid}")
        self.current = self._lambdas(value)

    def keep(self, rung: int, rewards: Mapping[float, tuple[float, float]], epochs: int) -> list[float]:
        """Record a rung — rewards {arm λ: (validation P@1, validation margin)} after ``epochs``
        epochs — and return the better half of its arms (ceil(n/2), best first)."""
        for value, reward in rewards.items():
            if not all(math.isfinite(r) for r in reward):
                raise ValueError(f"rung {rung}, λ {value}: non-finite validation reward {reward}; "
                                 f"check the encoder for NaN weights")
            self.history.append({"phase": "rung", "rung": rung, "lambda": value, "epochs": epochs,
                                 "val_p1": reward[0], "val_margin": reward[1]})
        ranked = sorted(rewards, key=lambda v: (-rewards[v][0], -rewards[v][1], v))
        return ranked[:(len(ranked) + 1) // 2]

    def finish(self, value: float) -> None:
        """The arm training continues with, for the rest of the run."""
        self.arm(value)
        self.winner = float(value)
        self.history.append({"phase": "winner", "lambda": self.winner})

    def values(self) -> dict[str, float]:
        """λ to use now: the arm being trained, or the winner once chosen."""
        return dict(self.current)

    @property
    def lambdas(self) -> dict[str, float]:
        return dict(self.current)

    def observe(self, objective: float) -> None:
        """The per-step hook of the estimators; halving reads no per-step signal."""

    def state_dict(self) -> dict:
        return {"mode": self.mode, "names": list(self.names), "grid": list(self.grid),
                "current": dict(self.current), "winner": self.winner,
                "history": copy.deepcopy(self.history)}

    def load_state_dict(self, state: Mapping) -> None:
        if state.get("mode") != self.mode or list(state["names"]) != self.names \
                or list(state["grid"]) != self.grid:
            raise ValueError(f"bandit state is for mode={state.get('mode')!r} names={state.get('names')} "
                             f"grid={state.get('grid')}, this is halving over {self.grid} with {self.names}")
        self.current, self.winner = dict(state["current"]), state["winner"]
        self.history = copy.deepcopy(list(state["history"]))


def run_toy_bandit(mode: str = "validation", *, iterations: int = 6000, seed: int = 0,
                   dim: int = 8, noise: float = 0.5, harm_offset: float = 1.0, step: float = 0.02,
                   **bandit_kwargs) -> ValidationBandit | PaperBandit:
    """Tune λ on a toy training where one regularizer helps and one hurts.

    θ ∈ R^dim is trained by stochastic gradient descent on
        λ_l·L + λ_help·R_help + λ_harm·R_harm,
        L = ‖θ[:dim/2] − (t + ε)[:dim/2]‖²  (the "labels" see only half of the truth t),
        R_help = ‖θ − (t + ε')‖²           (a graph that knows all of t),
        R_harm = ‖θ − (w + ε'')‖²          (a graph pointing elsewhere, w = t + harm_offset·N(0, I)),
    where ε, ε', ε'' ~ N(0, noise²) are drawn afresh every iteration — mini-batch noise, which
    also keeps every loss above zero, as in real training. The validation reward is
    −‖θ − t‖²/dim (held-out quality: it improves with λ_help and worsens with λ_harm). In
    validation mode each pair trains ``period`` steps twice from the same θ with the same noise
    (common random numbers), exactly as the trainer does. λ starts at doc_label 1, help 0.3,
    harm 1 (room to move the right way; override with ``init=``). Names: "doc_label",
    "doc_anchor:help", "doc_anchor:harm"; ``step`` is θ's learning rate; ``iterations`` counts
    the steps of the kept trajectory. Returns the bandit (its ``history`` tells the story).
    """
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=dim)
    harm_target = truth + harm_offset * rng.normal(size=dim)
    seen = np.arange(dim) < dim // 2
    names = ["doc_label", "doc_anchor:help", "doc_anchor:harm"]
    kwargs = {"init": {"doc_label": 1.0, "doc_anchor:help": 0.3, "doc_anchor:harm": 1.0},
              "seed": seed, **bandit_kwargs}
    bandit = LambdaBandit(names, mode=mode, **kwargs)

    def train(theta, lam, eps):
        """SGD over the noise rows eps (steps, 3, dim); returns θ and the last objective."""
        for e in eps:
            diffs = (np.where(seen, theta - truth - e[0], 0.0), theta - truth - e[1],
                     theta - harm_target - e[2])
            theta = theta - step * 2 * sum(lam[n] * d for n, d in zip(names, diffs))
            yield theta, sum(lam[n] * (d @ d) for n, d in zip(names, diffs))

    def reward(theta):
        return -float(np.mean((theta - truth) ** 2))

    theta = np.zeros(dim)
    done = 0
    while done < iterations:
        if mode == "paper":
            for theta, objective in train(theta, bandit.values(), noise * rng.normal(size=(1, 3, dim))):
                bandit.observe(objective)
            done += 1
            continue
        n = min(bandit.period, iterations - done)
        eps = noise * rng.normal(size=(n, 3, dim))
        first, second = bandit.pair()
        for theta_1, _ in train(theta, first, eps):
            pass
        for theta_2, _ in train(theta, second, eps):  # same start, same noise
            pass
        if n == bandit.period:
            bandit.report(reward(theta_1), reward(theta_2))
        theta, done = theta_2, done + n
    return bandit
