"""ramen_edu — RAMEN (Mittal et al., arXiv 2402.18434), taught and implemented.

The flat public API below is what the book's chapters call; everything else is importable
from its module (``ramen_edu.metrics``, ``ramen_edu.graphs``, ...). Heavy modules (torch,
transformers, faiss) load only when first used, so ``import ramen_edu`` stays fast.
"""
from __future__ import annotations

from ramen_edu._lazy import lazy_getattr

from ramen_edu.settings import Profile, book_result, cache_dir, data_source, find_data_file, profile
from ramen_edu.data import AnchorSet, XCDataset

__version__ = "0.1.0"

# public name -> module that defines it (loaded on first access)
_LAZY = {
    "read_xc_dataset": "ramen_edu.data.xc_format",
    "write_xc_dataset": "ramen_edu.data.xc_format",
    "load_dataset": "ramen_edu.data.catalog",
    "make_synthetic_world": "ramen_edu.data.synthetic",
    "read_articles": "ramen_edu.data.wikipedia",
    "build_wiki_seealso": "ramen_edu.data.wiki_benchmark",
    "random_walk_with_restart": "ramen_edu.graphs",
    "personalized_pagerank": "ramen_edu.graphs",
    "prune_edges": "ramen_edu.graphs",
    "densify_anchor_set": "ramen_edu.data.anchors",
    "scramble_edges": "ramen_edu.data.anchors",
    "neighbourhood_graph": "ramen_edu.data.anchors",
    "all_metrics": "ramen_edu.metrics",
    "evaluate_retrieval": "ramen_edu.evaluation",
    "Encoder": "ramen_edu.encoders",
    "LabelIndex": "ramen_edu.retrieval",
    "TrainConfig": "ramen_edu.training",
    "RamenModel": "ramen_edu.training",
    "train": "ramen_edu.training",
    "run_record": "ramen_edu.runinfo",
    "pruned_edges_figure": "ramen_edu.viz.explorers",
    "explore_pruned_edges": "ramen_edu.viz.explorers",
    "predictions_figure": "ramen_edu.viz.explorers",
    "explore_predictions": "ramen_edu.viz.explorers",
}

__all__ = ["AnchorSet", "Profile", "XCDataset", "__version__", "book_result", "cache_dir", "data_source", "find_data_file",
           "profile", *_LAZY]


__getattr__ = lazy_getattr(__name__, _LAZY)
