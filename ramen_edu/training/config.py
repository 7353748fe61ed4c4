"""The training configuration: one dataclass whose defaults are the paper's values.

Every default cites where the paper states it; the few values the paper leaves open say so.
A profile (``smoke`` for CI, ``cpu`` for a laptop, ``gpu`` for the paper's scale) changes
sizes only — batch, epochs, the epoch counts of the schedules, the evaluation slice — never the
method, so ``TrainConfig.for_profile("cpu")`` trains the same objective as the paper, shorter.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

TINY_ENCODER = "tiny-random"
FILE_KEYS = ("dataset", "profile", "recipe")  # keys a config file may hold beside TrainConfig fields  # Encoder.tiny_random: tests and CI, no weights to load


@dataclass
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
    margin:           γ = 0.3 for every triplet term (Table 16 caption).
    hard_k:           None = every in-batch negative counts (§3, the loss sums over negatives);
                      k = only the k hardest in-batch negatives per row (NGAME-style mining).
    regularize:       False sets λ_x = λ_z = 0: the no-graph baseline, everything else identical.
    anchor_sets:      which anchor sets regularize (None = all of the dataset's).
    doc_graph:        use the document-side regularizers R_x^t ("No Doc graph" in the ablation
                      when False); label_graph: the label-side R_z^t ("No Label graph").
    val_fraction:     share of the training documents held out of training as a validation
                      slice (every method holds out the same slice, seeded by ``seed``, so
                      comparisons see the same training data). The validation bandit reads its
                      reward there; nothing ever reads the test split during training. The
                      paper does not say; 0.05 is ours.
    bandit:           tune λ online (§3); False keeps the initial λ ("No Bandits", Table 5).
    bandit_mode:      "validation" (default: antithetic log-λ perturbation pairs rewarded by the
                      improvement of the validation slice's top-1 margin, book/04) or "paper"
                      (the λ-weighted mini-batch objective as written in §3; it collapses).
    bandit_lr:        η; None = the mode's default: 0.01 per constant in "paper" mode (App. B);
                      0.2 in "validation" mode, the typical step of log λ per pair (±20 %).
    bandit_sigma:     perturbation size; None = the mode's default: σ of z = 0.1 in "paper" mode
                      (App. B), the log-λ perturbation ±0.5 in "validation" mode (λ × or ÷ 1.65).
    bandit_period:    perturb and update every 30 iterations (§3).
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
    bf16:             bf16 autocast on CUDA (ignored on the CPU, where training is float32).
    embed_batch_size: batch for inference-mode embedding (clustering, pruning, evaluation).
    dropout:          None keeps the encoder's own dropout; a float overrides every dropout
                      probability (0.0 makes a step a deterministic function of the batch).
    device:           None = CUDA when available, else CPU; or "cpu", "cuda", "cuda:1".
    """

    encoder: str | None = None
    max_length: int = 32
    batch_size: int = 1024
    epochs: int = 300
    lr: float = 2e-4
    weight_decay: float = 0.01
    lr_warmup: float = 0.1
    grad_clip: float = 1.0
    margin: float = 0.3
    hard_k: int | None = None
    regularize: bool = True
    anchor_sets: list[str] | None = None
    doc_graph: bool = True
    label_graph: bool = True
    val_fraction: float = 0.05
    bandit: bool = True
    bandit_mode: str = "validation"
    bandit_lr: float | None = None
    bandit_sigma: float | None = None
    bandit_period: int = 30
    bandit_val_labels: int = 2000
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
    device: str | None = None
    extra: dict = field(default_factory=dict)  # free-form notes carried into the run record

    # sizes each profile scales; everything else is the method and stays at the paper's value
    _PROFILE_SIZES = {
        "smoke": dict(batch_size=32, epochs=3, prune_warmup=1, prune_every=1, cluster_refresh=1,
                      cluster_doubling=2, bandit_period=5, eval_docs=100, embed_batch_size=256),
        "cpu": dict(batch_size=128, epochs=12, prune_warmup=4, prune_every=2, cluster_refresh=2,
                    cluster_doubling=6, bandit_period=10, eval_docs=1000, embed_batch_size=256),
        "gpu": dict(),
    }

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field and the fix for values training cannot use."""
        positive = ("max_length", "batch_size", "epochs", "bandit_period", "prune_every",
                    "cluster_refresh", "cluster_doubling", "eval_k", "embed_batch_size")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a positive integer, got {value!r}")
        if self.batch_size < 2:
            raise ValueError("TrainConfig.batch_size must be ≥ 2: in-batch negatives need company")
        for name in ("lr", "margin", "bandit_lr", "bandit_sigma"):
            value = getattr(self, name)
            if name.startswith("bandit_") and value is None:
                continue
            if not value > 0:
                raise ValueError(f"TrainConfig.{name} must be > 0, got {value!r}")
        if not 0 <= self.lr_warmup < 1:
            raise ValueError(f"TrainConfig.lr_warmup is a fraction of the steps in [0, 1), got {self.lr_warmup!r}")
        if self.prune_warmup < 0 or self.eval_docs < 0:
            raise ValueError("TrainConfig.prune_warmup and eval_docs must be ≥ 0")
        if self.hard_k is not None and self.hard_k < 1:
            raise ValueError(f"TrainConfig.hard_k must be None or ≥ 1, got {self.hard_k!r}")
        if self.dropout is not None and not 0 <= self.dropout < 1:
            raise ValueError(f"TrainConfig.dropout must be None or in [0, 1), got {self.dropout!r}")
        if self.bandit_mode not in ("validation", "paper"):
            raise ValueError(f"TrainConfig.bandit_mode must be 'validation' or 'paper', got {self.bandit_mode!r}")
        if not 0 <= self.val_fraction < 0.5:
            raise ValueError(f"TrainConfig.val_fraction is the held-out share of training documents, "
                             f"in [0, 0.5), got {self.val_fraction!r}")
        if self.bandit and self.regularize and self.bandit_mode == "validation" and self.val_fraction == 0:
            raise ValueError("TrainConfig.bandit_mode='validation' needs a validation slice: set "
                             "val_fraction > 0 (e.g. 0.05), or bandit=False, or bandit_mode='paper'")
        if not self.bandit_val_labels >= 1:
            raise ValueError(f"TrainConfig.bandit_val_labels must be ≥ 1, got {self.bandit_val_labels!r}")
        if self.regularize and not (self.doc_graph or self.label_graph):
            raise ValueError("TrainConfig.doc_graph and label_graph are both False: no regularizer is "
                             "left; use regularize=False for the no-graph baseline")
        if self.batching not in ("cluster", "random"):
            raise ValueError(f"TrainConfig.batching must be 'cluster' or 'random', got {self.batching!r}")

    # --- profiles ---------------------------------------------------------------------------
    @classmethod
    def for_profile(cls, profile=None, **overrides) -> "TrainConfig":
        """The paper's config with sizes scaled for a profile (a name, a Profile, or None = active).

        smoke: seconds (CI); cpu: minutes on a laptop; gpu: the paper's sizes (Table 16).
        The schedules keep their shape: warm-up before the first pruning, then re-pruning, and
        cluster refreshes, all in proportion to the shorter run.
        """
        name = cls._profile_name(profile)
        return cls(**{**cls._PROFILE_SIZES[name], **overrides})

    @classmethod
    def _profile_name(cls, profile) -> str:
        """A profile's name (from a name, a Profile, or None = the active one), validated."""
        from ramen_edu.config import profile as active_profile

        name = getattr(profile, "name", profile) or active_profile().name
        if name not in cls._PROFILE_SIZES:
            raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(cls._PROFILE_SIZES)}")
        return name

    @classmethod
    def book_recipe(cls, profile=None, **overrides) -> "TrainConfig":
        """The run the book trains the Wikipedia see-also benchmark with (chapters 3 and 4).

        On the CPU profiles (smoke, cpu) the encoder is the tiny random BERT learned from
        scratch: a RAMEN step of MiniLM runs at ~78 encodings/s on a 2-core CPU
        (benchmarks/bench_training.py), minutes per epoch of this benchmark; lr 2e-3 suits a
        from-scratch encoder. λ_x = λ_z = 0.1, the paper's starting value, held *fixed*
        (``bandit=False``): on this benchmark the online bandit lost to fixed λ by 5.9 P@1 over
        3 seeds (book/04's ablation, row "With Bandit"). Of the fixed-λ grid 0.03 / 0.1 / 0.3
        (``ramen-edu ablate --lambdas``), 0.3 scored lowest on the validation slice and 0.03 and
        0.1 tied within its noise, so the paper's 0.1 stays (book/results/ablation-wiki-seealso-cpu). The
        bandit's period is 10 steps for the runs that switch it on. cpu: 10 epochs of batch 64,
        pruning at epochs 3, 6, 9; smoke: 1 epoch. gpu: the
        bundled MiniLM fine-tuned at the paper's lr 2e-4, batch 256, 20 epochs, pruning from
        epoch 5 every 5. ``overrides`` replace any field.
        """
        name = cls._profile_name(profile)
        recipes = {
            "smoke": dict(encoder=TINY_ENCODER, lr=2e-3, batch_size=64, epochs=1, prune_warmup=1,
                          prune_every=1, cluster_refresh=1, cluster_doubling=1),
            "cpu": dict(encoder=TINY_ENCODER, lr=2e-3, batch_size=64, epochs=10, prune_warmup=3,
                        prune_every=3, cluster_refresh=3, cluster_doubling=10),
            "gpu": dict(encoder=None, lr=2e-4, batch_size=256, epochs=20, prune_warmup=5, prune_every=5,
                        cluster_refresh=5, cluster_doubling=20),
        }
        common = dict(bandit=False, bandit_period=10, eval_docs=0, embed_batch_size=512)
        return cls.for_profile(name, **{**common, **recipes[name], **overrides})

    # --- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "config") -> "TrainConfig":
        """Build from a dict (e.g. a JSON file); unknown keys raise with the list of valid ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known - set(FILE_KEYS))
        if unknown:
            raise ValueError(f"{source}: unknown TrainConfig field(s) {unknown}; valid fields: {sorted(known)}")
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, path: str | Path, *, profile: str | None = None) -> "TrainConfig":
        """Read a JSON config file; it may also name ``dataset``, ``profile`` and ``recipe``.

        ``"recipe": "book"`` starts from :meth:`book_recipe` (the one recipe the book and every
        shipped Wikipedia config share) instead of :meth:`for_profile`; the file's fields then
        override it. ``profile`` (e.g. the command line's) wins over the file's.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"config file {path} not found") from None
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a config file holds one JSON object of TrainConfig fields")
        cls.from_dict(data, source=str(path))  # validates the names
        recipe = data.get("recipe")
        if recipe not in (None, "book"):
            raise ValueError(f"{path}: \"recipe\": {recipe!r} is unknown; use \"book\" "
                             f"(TrainConfig.book_recipe) or leave it out")
        fields = {k: v for k, v in data.items() if k not in FILE_KEYS}
        profile = profile or data.get("profile")
        if recipe == "book":
            return cls.book_recipe(profile, **fields)
        if profile:
            return cls.for_profile(profile, **fields)
        return cls(**fields)

    def prune_epochs(self) -> list[int]:
        """Epochs (0-based) at whose start the graphs are (re-)pruned: warm-up, then every k.

        With the paper's values: 10, 15, 20, ... (App. B). Empty when not pruning.
        """
        if not (self.prune and self.regularize):
            return []
        return list(range(self.prune_warmup, self.epochs, self.prune_every))
