"""The training configuration: one dataclass whose defaults are the paper's values.

Every default cites where the paper states it; the few values the paper leaves open say so.
A profile (``smoke`` for CI, ``cpu`` for a laptop, ``gpu`` for the paper's scale) changes
sizes only — batch, epochs, the epoch counts of the schedules, the evaluation slice — never the
method, so ``TrainConfig.for_profile("cpu")`` trains the same objective as the paper, shorter.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from ramen_edu.settings import PROFILES
from ramen_edu.settings import profile as active_profile

TINY_ENCODER = "tiny-random"  # Encoder.tiny_random: tests and CI, no weights to load
# keys of a config file that from_json interprets itself rather than passing them as fields
# ("profile" scales the sizes there, and the config then records its name in the field)
FILE_KEYS = ("dataset", "profile", "recipe")


#: Every trained run of the project starts from one of these recipes: recipe -> profile -> the
#: fields it sets. "default" scales the paper's config (the dataclass defaults, Table 16) to a
#: profile; every other recipe is applied on top of "default" for the same profile. One table, so
#: the CLI, the demo, the book's chapters and the configs/*.json files ("recipe": NAME) cannot
#: drift apart. Why each recipe departs from the paper is in TrainConfig.from_recipe's docstring.
RECIPES: dict[str, dict[str, dict]] = {
    "default": {
        "smoke": dict(batch_size=32, epochs=3, prune_warmup=1, prune_every=1, cluster_refresh=1,
                      cluster_doubling=2, bandit_period=5, eval_docs=100, embed_batch_size=256),
        "cpu": dict(batch_size=128, epochs=12, prune_warmup=4, prune_every=2, cluster_refresh=2,
                    cluster_doubling=6, bandit_period=10, eval_docs=1000, embed_batch_size=256),
        "gpu": dict(),
    },
    # the Wikipedia see-also runs: chapter 4, configs/wiki_seealso_*.json, `ramen-edu ablate`
    "book": {
        "smoke": dict(encoder="tiny-random", lr=2e-3, batch_size=64, epochs=1, prune_warmup=1,
                      prune_every=1, cluster_refresh=1, cluster_doubling=1, bandit=False,
                      bandit_period=10, eval_docs=0, embed_batch_size=512),
        "cpu": dict(encoder="tiny-random", lr=2e-3, batch_size=64, epochs=10, prune_warmup=3,
                    prune_every=3, cluster_refresh=3, cluster_doubling=10, bandit=False,
                    bandit_period=10, eval_docs=0, embed_batch_size=512),
        "gpu": dict(encoder=None, lr=2e-4, batch_size=256, epochs=20, prune_warmup=5, prune_every=5,
                    cluster_refresh=5, cluster_doubling=20, bandit=False, bandit_period=10,
                    eval_docs=0, embed_batch_size=512),
    },
    # the pre-trained encoder fine-tuned (chapter 4's headline table, configs/wiki_seealso_cpu_minilm.json):
    # the book recipe's schedule with all-MiniLM-L6-v2, the in-batch softmax and the lr chosen on the
    # validation slice (book/results/minilm-sweep), λ and the anchor set too (book/results/minilm-grid),
    # its top 2 layers trained on the CPU profiles
    "minilm": {
        "smoke": dict(encoder=None, train_layers=2, loss="softmax", scale=20.0, lr=2e-4, batch_size=64,
                      lambda_regularizer=0.01, anchor_sets=["category"],
                      epochs=1, prune_warmup=1, prune_every=1, cluster_refresh=1, cluster_doubling=1,
                      bandit=False, bandit_period=10, eval_docs=0, embed_batch_size=512),
        "cpu": dict(encoder=None, train_layers=2, loss="softmax", scale=20.0, lr=2e-4, batch_size=64,
                    lambda_regularizer=0.01, anchor_sets=["category"],
                    epochs=10, prune_warmup=3, prune_every=3, cluster_refresh=3, cluster_doubling=10,
                    bandit=False, bandit_period=10, eval_docs=0, embed_batch_size=512),
        "gpu": dict(encoder=None, loss="softmax", scale=20.0, lr=5e-5, batch_size=256, epochs=20,
                    lambda_regularizer=0.01, anchor_sets=["category"],
                    prune_warmup=5, prune_every=5, cluster_refresh=5, cluster_doubling=20, bandit=False,
                    bandit_period=10, eval_docs=0, embed_batch_size=512),
    },
    # `ramen-edu demo`'s trained rows (the encoder is the demo's own argument)
    "demo": {
        "smoke": dict(lr=2e-3, batch_size=64, epochs=2, prune_warmup=1, prune_every=1,
                      cluster_refresh=1, cluster_doubling=1, eval_docs=0, bandit=False),
        "cpu": dict(lr=2e-3, batch_size=128, epochs=3, prune_warmup=1, prune_every=1,
                    cluster_refresh=1, cluster_doubling=1, eval_docs=0, bandit=False),
        "gpu": dict(lr=2e-4, batch_size=256, epochs=20, prune_warmup=6, prune_every=4,
                    cluster_refresh=4, cluster_doubling=10, eval_docs=0, bandit=False),
    },
    # chapter 4's synthetic "informative-graph world" (RAMEN vs no-graph, λ_l = λ = 1)
    "synthetic": {
        "smoke": dict(encoder="tiny-random", lr=2e-3, batch_size=32, epochs=2, prune_warmup=1,
                      prune_every=1, cluster_refresh=1, cluster_doubling=2, bandit_period=2,
                      lambda_regularizer=1.0, bandit=False),
        "cpu": dict(encoder="tiny-random", lr=2e-3, batch_size=64, epochs=12, prune_warmup=3,
                    prune_every=3, cluster_refresh=3, cluster_doubling=12, bandit_period=10,
                    lambda_regularizer=1.0, bandit=False),
        "gpu": dict(encoder=None, lr=2e-4, batch_size=256, epochs=40, prune_warmup=10, prune_every=5,
                    cluster_refresh=5, cluster_doubling=25, bandit_period=30,
                    lambda_regularizer=1.0, bandit=False),
    },
}


def read_config_file(path: str | Path) -> dict:
    """The JSON object of a config file; errors name the file (and the line for bad JSON)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"config file {path} not found") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"config file {path} is a directory, not a JSON file") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    except UnicodeDecodeError as err:  # a ValueError too, whose message names no file
        raise ValueError(f"{path}: byte {err.object[err.start:err.start + 1]!r} at offset {err.start} is not "
                         "UTF-8: save the config file as UTF-8") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config file holds one JSON object of TrainConfig fields")
    return data


@dataclass(frozen=True)
class Bounds:
    """The allowed range of a numeric field: low ≤ x (or low < x), x < high (or x ≤ high)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = True
    why: str = ""  # said after the range, when the range alone does not explain itself

    def __contains__(self, x) -> bool:
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return self.high is None or (x < self.high if self.high_open else x <= self.high)

    def __str__(self) -> str:
        if self.high is None:
            text = f"{'>' if self.low_open else '≥'} {self.low}"
        else:
            text = f"in {'(' if self.low_open else '['}{self.low}, {self.high}{')' if self.high_open else ']'}"
        return f"{text} ({self.why})" if self.why else text


def at_least(low, why: str = "") -> Bounds:
    return Bounds(low, why=why)


def above(low, why: str = "") -> Bounds:
    return Bounds(low, low_open=True, why=why)


def within(low, high, why: str = "") -> Bounds:
    """[low, high)."""
    return Bounds(low, high, why=why)


# the range of every numeric field (None, where a field allows it, is always fine)
BOUNDS = {
    "max_length": at_least(1), "batch_size": at_least(2, "in-batch negatives need company"),
    "epochs": at_least(1), "lr": above(0), "weight_decay": at_least(0),
    "lr_warmup": within(0, 1, "a fraction of the steps"), "grad_clip": above(0), "margin": above(0),
    "scale": above(0, "1 / the softmax's temperature"),
    "hard_k": at_least(1), "val_fraction": within(0, 0.5, "the held-out share of training documents"),
    "bandit_lr": above(0), "bandit_sigma": above(0), "bandit_period": at_least(1), "bandit_rung_epochs": at_least(1),
    "bandit_val_labels": at_least(1), "lambda_label": at_least(0), "lambda_regularizer": at_least(0),
    "prune_warmup": at_least(0), "prune_every": at_least(1),
    "prune_threshold": within(-1, 1, "a cosine; 1 or more would cut every edge"),
    "cluster_refresh": at_least(1), "cluster_doubling": at_least(1), "eval_docs": at_least(0),
    "eval_k": at_least(1), "seed": within(0, 2**63, "what every generator accepts"),
    "embed_batch_size": at_least(1), "dropout": within(0, 1, "a probability"),
    "train_layers": at_least(1, "the number of top transformer layers trained"),
}
# "loss": ramen_edu.losses.LOSS_FORMS, spelled out so that reading a config never imports torch
CHOICES = {"loss": ("triplet", "softmax"), "bandit_mode": ("validation", "paper", "halving"), "batching": ("cluster", "random"),
           "profile": PROFILES, "recipe": tuple(RECIPES)}
DEVICE = re.compile(r"cpu|cuda(:\d+)?")


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of RAMEN encoder training (paper values unless noted).

    encoder:          Hugging Face name/path; ``None`` = bundled all-MiniLM-L6-v2 (the paper uses
                      DistilBERT, §4); ``"tiny-random"`` = a tiny random BERT for tests.
    max_length:       32 tokens for titles, 128 for full text (Table 16, "BERT seq. len").
    batch_size:       1024 documents per global batch (Table 16).
    epochs:           300 (Table 16).
    lr:               2e-4, AdamW, for the encoder (Table 16).
    weight_decay:     AdamW decay, 0.01 (torch's default; not stated in the paper).
    lr_warmup:        fraction of steps with linear warm-up, then linear decay to 0 (not stated).
    grad_clip:        max global gradient norm, 1.0 (not stated).
    loss:             the form of every in-batch term (``ramen_edu.losses``): "triplet", the
                      paper's margin hinge (§3; the default), or "softmax", ours: the in-batch
                      softmax sentence-transformers trains with (MultipleNegativesRankingLoss),
                      with the same false-negative masks — its gradient does not vanish once every
                      negative is γ below the positive, which may suit a pre-trained encoder.
    margin:           γ = 0.3 for every triplet term (Table 16 caption); unused by "softmax".
    scale:            the softmax's 1 / temperature: 20 (= 0.05, sentence-transformers' default);
                      unused by "triplet".
    hard_k:           None = every in-batch negative counts (§3, the loss sums over negatives);
                      k = only the k hardest in-batch negatives per row (NGAME-style mining).
    regularize:       False sets λ_x = λ_z = 0: the no-graph baseline, everything else identical.
    anchor_sets:      which anchor sets regularize (None = all of the dataset's).
    doc_graph:        use the document-side regularizers R_x^t ("No Doc graph" in the ablation
                      when False); label_graph: the label-side R_z^t ("No Label graph").
    scramble_graph:   True shuffles the edges of every anchor graph before training
                      (:func:`ramen_edu.graphs.shuffle_edges`: every document, label and anchor
                      keeps its degree, which anchors a node links to becomes chance), the
                      document side and the label side each with its own seed, derived from
                      ``seed`` and the anchor set's name by a stable hash (sha256, not Python's
                      ``hash()``, which changes with every process). Pruning then starts from the
                      scrambled graphs. A control, not the method: does the gain come from the
                      edges, or only from the extra anchor texts? (Ours: the "Scrambled graph"
                      row of ``ramen-edu ablate``.)
    val_fraction:     share of the training documents held out of training as a validation
                      slice (every method holds out the same slice, seeded by ``seed``, so
                      comparisons see the same training data). The validation bandit reads its
                      reward there; nothing ever reads the test split during training. The
                      paper does not say; 0.05 is ours.
    bandit:           tune λ online (§3); False keeps the initial λ ("No Bandits", Table 5).
    bandit_mode:      "validation" (default: antithetic log-λ perturbation pairs rewarded by the
                      improvement of the validation slice's top-1 margin, book/04) or "paper"
                      (the λ-weighted mini-batch objective as written in §3; it collapses), or
                      "halving": successive halving over ``bandit_grid`` scored by validation P@1
                      after whole epochs (``ramen_edu.bandits.LambdaHalving``; ours).
    bandit_lr:        η; None = the mode's default: 0.01 per constant in "paper" mode (App. B);
                      0.2 in "validation" mode, the typical step of log λ per pair (±20 %).
    bandit_sigma:     perturbation size; None = the mode's default: σ of z = 0.1 in "paper" mode
                      (App. B), the log-λ perturbation ±0.5 in "validation" mode (λ × or ÷ 1.65).
    bandit_period:    perturb and update every 30 iterations (§3).
    bandit_grid:      "halving" mode's arms: the λ every regularizer term takes (None = the
                      mode's default 0.01, 0.03, 0.1, 0.3); lambda_regularizer is then unused.
    bandit_rung_epochs: "halving" mode: epochs of the first rung (doubling after each halving).
    bandit_val_labels: label candidates of the validation reward: the slice's own labels plus
                      random labels up to this many (all labels when fewer).
    lambda_label:     λ_l starts at 1; lambda_regularizer: every λ_x, λ_z starts at 0.1 (§3).
    prune:            prune graph edges with the current encoder (App. B; "No Pruning", Table 5).
    prune_warmup:     10 warm-up epochs on unpruned graphs before the first pruning (App. B).
    prune_every:      re-prune every 5 epochs, always from the unpruned graphs (App. B).
    prune_threshold:  keep an edge when cos(node, anchor) > 0 (App. B).
    batching:         "cluster" (batches of similar documents, NGAME; Table 16) or "random".
    cluster_refresh:  re-cluster every 5 epochs; cluster_doubling: cluster size doubles every 25
                      epochs (Table 16 caption).
    eval_docs:        size of the fixed held-out slice (test documents) scored after every epoch;
                      it only monitors training, nothing is selected on it.
    eval_k:           labels retrieved per document for evaluation and prediction.
    seed:             everything random (init of the tiny encoder, sampler, bandit, dropout).
    bf16:             mixed precision on CUDA: bf16 autocast where the GPU has bf16, else fp16
                      autocast with a gradient scaler (Colab's T4; ``ramen_edu.precision``).
                      Ignored on the CPU, where training is float32.
    embed_batch_size: batch for inference-mode embedding (clustering, pruning, evaluation).
    dropout:          None keeps the encoder's own dropout; a float overrides every dropout
                      probability (0.0 makes a step a deterministic function of the batch).
    train_layers:     None trains every layer and the embeddings (full fine-tuning, the paper's);
                      k trains only the top k transformer layers: the embeddings and lower layers
                      are frozen and their output is computed once per text before training
                      (``ramen_edu.training.frozen``), so a step runs k layers. Ours, for CPUs.
    device:           None = CUDA when available, else CPU; or "cpu", "cuda", "cuda:1".
    profile:          the profile whose sizes this config starts from (set by ``for_profile``,
                      ``book_recipe`` and ``from_json``; None = sizes set by hand). The run
                      record names it; it changes nothing in training.
    recipe:           the :data:`RECIPES` entry this config starts from (set by ``from_recipe``
                      and its shortcuts; None = made by hand). Recorded, changes nothing.

    Every value is checked when the config is made (also by ``dataclasses.replace``): its type
    against the field's annotation (bools are real bools, ints real ints, floats take ints too),
    its range against ``BOUNDS``, names against ``CHOICES``.
    """

    encoder: str | None = None
    max_length: int = 32
    batch_size: int = 1024
    epochs: int = 300
    lr: float = 2e-4
    weight_decay: float = 0.01
    lr_warmup: float = 0.1
    grad_clip: float = 1.0
    loss: str = "triplet"
    margin: float = 0.3
    scale: float = 20.0
    hard_k: int | None = None
    regularize: bool = True
    anchor_sets: list[str] | None = None
    doc_graph: bool = True
    label_graph: bool = True
    scramble_graph: bool = False
    val_fraction: float = 0.05
    bandit: bool = True
    bandit_mode: str = "validation"
    bandit_lr: float | None = None
    bandit_sigma: float | None = None
    bandit_period: int = 30
    bandit_val_labels: int = 2000
    bandit_grid: list[float] | None = None
    bandit_rung_epochs: int = 1
    lambda_label: float = 1.0
    lambda_regularizer: float = 0.1
    prune: bool = True
    prune_warmup: int = 10
    prune_every: int = 5
    prune_threshold: float = 0.0
    batching: str = "cluster"
    cluster_refresh: int = 5
    cluster_doubling: int = 25
    eval_docs: int = 2000
    eval_k: int = 20
    seed: int = 0
    bf16: bool = True
    embed_batch_size: int = 512
    dropout: float | None = None
    train_layers: int | None = None
    device: str | None = None
    profile: str | None = None
    recipe: str | None = None
    extra: dict = field(default_factory=dict)  # free-form notes carried into the run record

    # frozen, so the check when a config is made is the only one it needs (the trainer trusts
    # it); dataclasses.replace makes a changed copy, checked again
    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise TypeError (wrong type) or ValueError (out of range, or fields that contradict each
        other), one line naming the field and what it expects."""
        for name, hint in expected_types().items():
            value = getattr(self, name)
            if not _is_instance(value, hint):
                raise TypeError(f"TrainConfig.{name} must be {_describe(hint)}, got {value!r} "
                                f"({type(value).__name__})")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"TrainConfig.{name} must be a finite number, got {value!r}")
            if value is not None and name in BOUNDS and value not in BOUNDS[name]:
                raise ValueError(f"TrainConfig.{name} must be {BOUNDS[name]}, got {value!r}")
            if value is not None and name in CHOICES and value not in CHOICES[name]:
                raise ValueError(f"TrainConfig.{name} must be one of "
                                 f"{', '.join(map(repr, CHOICES[name]))}, got {value!r}")
        if self.device is not None and not DEVICE.fullmatch(self.device):
            raise ValueError(f"TrainConfig.device must be None (CUDA when available), 'cpu', 'cuda' or "
                             f"'cuda:N', got {self.device!r}")
        if self.bandit and self.regularize and self.bandit_mode != "paper" and self.val_fraction == 0:
            raise ValueError(f"TrainConfig.bandit_mode={self.bandit_mode!r} needs a validation slice: set "
                             "val_fraction > 0 (e.g. 0.05), or bandit=False, or bandit_mode='paper'")
        if self.bandit_grid is not None and (len(self.bandit_grid) < 2 or min(self.bandit_grid) <= 0
                                             or len(set(self.bandit_grid)) != len(self.bandit_grid)):
            raise ValueError(f"TrainConfig.bandit_grid must list at least two distinct λ values > 0 "
                             f"(e.g. [0.01, 0.03, 0.1, 0.3]), got {self.bandit_grid!r}")
        if self.regularize and not (self.doc_graph or self.label_graph):
            raise ValueError("TrainConfig.doc_graph and label_graph are both False: no regularizer is "
                             "left; use regularize=False for the no-graph baseline")
        if self.regularize and self.anchor_sets is not None and not self.anchor_sets:
            raise ValueError("TrainConfig.anchor_sets is empty: no anchor set is left to regularize; "
                             "use regularize=False for the no-graph baseline, or None for all sets")

    # --- profiles ---------------------------------------------------------------------------
    @classmethod
    def from_recipe(cls, recipe: str = "default", profile=None, **overrides) -> "TrainConfig":
        """A recipe of :data:`RECIPES` at a profile (a name, a Profile, or None = the active one),
        then ``overrides``; the config remembers both names (``recipe``, ``profile``).

        * ``default`` — the paper's config (Table 16) with sizes scaled: smoke seconds (CI), cpu
          minutes on a laptop, gpu the paper's sizes. The schedules keep their shape (warm-up
          before the first pruning, then re-pruning, and cluster refreshes, in proportion).
        * ``book`` — the Wikipedia see-also runs (chapter 4, ``configs/wiki_seealso_*.json``).
          On smoke/cpu the encoder is the tiny random BERT learned from scratch: a RAMEN step of
          MiniLM runs at ~78 encodings/s on a 2-core CPU (benchmarks/bench_training.py), minutes
          per epoch; lr 2e-3 suits a from-scratch encoder. λ_x = λ_z = 0.1, the paper's starting
          value, held *fixed* (``bandit=False``): on this benchmark the bandit lost to fixed λ by
          5.9 P@1 over 3 seeds (book/04's ablation, "With Bandit"); successive halving over
          0.01–0.3 ("Halving bandit") came within 0.43 P@1 of the best fixed λ at 1.5× the
          epochs, on a grid whose λ's all score alike, so fixed λ stays; of the fixed-λ grid
          0.03 / 0.1 / 0.3, 0.3 scored lowest on the validation slice and 0.03 and 0.1 tied, so
          0.1 stays (book/results/ablation-wiki-seealso-cpu). cpu: 10 epochs of batch 64, pruning
          at epochs 3, 6, 9; gpu: MiniLM fine-tuned at the paper's lr 2e-4, batch 256, 20 epochs.
        * ``minilm`` — the pre-trained all-MiniLM-L6-v2 fine-tuned on the same benchmark (chapter 4's
          headline table, ``configs/wiki_seealso_cpu_minilm.json``): the ``book`` schedule (10
          epochs of batch 64, pruning at 3, 6, 9, fixed λ), with the in-batch softmax at scale 20
          (``loss="softmax"``) and lr 2e-4, chosen on the validation slice among {hinge, softmax}
          × {5e-5, 2e-4} × {1, 3, 10} epochs (book/results/minilm-sweep: the hinge scored 5 points
          lower); cpu trains the top 2 of 6 layers on cached frozen states (``train_layers=2``:
          25–35 s an epoch instead of ~100 s; at 3 epochs it tied full fine-tuning on the
          validation slice but trailed it by 2.0 P@1 on the test split). λ = 0.01 with the
          category set alone: the best of λ ∈ {0.01, 0.1} × {category, category + mentions} on the
          validation slice (book/results/minilm-grid, one seed each). gpu fine-tunes every layer
          (its λ and anchor set are the cpu choice, not tuned there).
        * ``demo`` — ``ramen-edu demo``'s trained rows: 2 / 3 / 20 epochs, fixed λ as ``book``.
        * ``synthetic`` — chapter 4's informative-graph world: λ_l = λ = 1 so the graph's pull is
          visible in a short run, fixed.
        Taught in: book/04_training.ipynb
        """
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
        name = getattr(profile, "name", profile) or active_profile().name
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
        fields = {**RECIPES["default"][name], **RECIPES[recipe][name], **overrides}
        return cls(**{**fields, "profile": name, "recipe": recipe})

    @classmethod
    def for_profile(cls, profile=None, **overrides) -> "TrainConfig":
        """:meth:`from_recipe` ``("default", profile, **overrides)``: the paper's config, scaled."""
        return cls.from_recipe("default", profile, **overrides)

    @classmethod
    def book_recipe(cls, profile=None, **overrides) -> "TrainConfig":
        """:meth:`from_recipe` ``("book", profile, **overrides)``: the Wikipedia see-also runs."""
        return cls.from_recipe("book", profile, **overrides)

    # --- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> "TrainConfig":
        """Build from a dict of fields (e.g. a run record's ``"config"``); a config file's other
        keys (``FILE_KEYS``) are ignored. Unknown keys raise with the list of valid ones; every
        error names ``source`` (e.g. the file) when given."""
        cls._check_names(data, source)
        known = {f.name for f in dataclasses.fields(cls)}
        with _naming(source):
            return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def _check_names(cls, data: dict, source: str | None) -> None:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known - set(FILE_KEYS))
        if unknown:
            raise ValueError(f"{source or 'config'}: unknown TrainConfig field(s) {unknown}; "
                             f"valid fields: {sorted(known)}")

    @classmethod
    def from_json(cls, path: str | Path, *, profile: str | None = None) -> "TrainConfig":
        """Read a JSON config file; it may also name ``dataset``, ``profile`` and ``recipe``.

        ``"recipe": "book"`` starts from :meth:`book_recipe` (the one recipe the book and every
        shipped Wikipedia config share) instead of :meth:`for_profile`; the file's fields then
        override it. ``profile`` (e.g. the command line's) wins over the file's. Every error
        names the file.
        """
        return cls.from_mapping(read_config_file(path), source=str(path), profile=profile)

    @classmethod
    def from_mapping(cls, data: dict, *, source: str, profile: str | None = None) -> "TrainConfig":
        """:meth:`from_json` for a file already read by :func:`read_config_file` (``source`` names
        it in errors), so a caller that also needs the file's ``dataset`` reads it once."""
        cls._check_names(data, source)
        recipe = data.get("recipe")
        if recipe is not None and recipe not in RECIPES:
            raise ValueError(f"{source}: \"recipe\": {recipe!r} is unknown; use one of "
                             f"{', '.join(map(repr, RECIPES))} (TrainConfig.from_recipe) or leave it out")
        named = data.get("profile")
        if named is not None and named not in PROFILES:  # checked even when the caller's profile wins
            raise ValueError(f"{source}: \"profile\": {named!r} is unknown; use one of "
                             f"{', '.join(map(repr, PROFILES))} or leave it out")
        fields = {k: v for k, v in data.items() if k not in FILE_KEYS}
        profile = profile or named
        with _naming(source):
            if recipe is not None or profile:
                return cls.from_recipe(recipe or "default", profile, **fields)
            return cls(**fields)

    def prune_epochs(self) -> list[int]:
        """Epochs (0-based) at whose start the graphs are (re-)pruned: warm-up, then every k.

        With the paper's values: 10, 15, 20, ... (App. B). Empty when not pruning.
        """
        if not (self.prune and self.regularize):
            return []
        return list(range(self.prune_warmup, self.epochs, self.prune_every))


# --------------------------------------------------------------------------------------------
# type checks, derived from the field annotations
# --------------------------------------------------------------------------------------------
@functools.cache
def expected_types() -> dict[str, object]:
    """{field: its annotation, resolved to types}: what :meth:`TrainConfig.validate` checks."""
    return typing.get_type_hints(TrainConfig)


def _is_instance(value, hint) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is_instance(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is int:  # True is an int to Python, never to a config
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if origin is list:  # a tuple of names is as good as a list; a bare string is not one
        return isinstance(value, (list, tuple)) and all(_is_instance(v, args[0]) for v in value)
    return isinstance(value, origin or hint)


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in args)
    if origin is list:
        return f"a list of {_describe(args[0]).removeprefix('a ')}s"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string",
            dict: "a dict (a JSON object)", type(None): "None (JSON null)"}.get(hint, repr(hint))


@contextlib.contextmanager
def _naming(source: str | None):
    """Prefix the TypeError/ValueError raised inside with ``source`` (a file name)."""
    try:
        yield
    except (TypeError, ValueError) as err:
        if source is None:
            raise
        raise (TypeError if isinstance(err, TypeError) else ValueError)(f"{source}: {err}") from None
