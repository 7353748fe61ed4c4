"""The book's figures, one module per topic; nothing upstream (data, metrics, graphs, training)
imports this package.

* :mod:`ramen_edu.viz.xc` — chapter 1: the long tail, label quantiles, propensities, metric bars;
* :mod:`ramen_edu.viz.graphs` — chapter 2: neighbourhoods, walk visits, edge cosines, graph quality;
* :mod:`ramen_edu.viz.theory` — chapter 3: the two sides of Theorem 1 over many instances;
* :mod:`ramen_edu.viz.training` — chapter 4: λ paths and the bandits' evidence;
* :mod:`ramen_edu.viz.explorers` — chapter 4: pruned edges and predictions of a trained model,
  as figures and as ipywidgets apps;
* :mod:`ramen_edu.viz.baselines` — chapter 5: HTML tables, FN@k differences, inference cost;
* :mod:`ramen_edu.viz.site` — every chapter: :func:`setup_plotly` (the plotly renderer), and the
  Sphinx extension that makes the HTML book work offline.

Every public name is re-exported here, so ``from ramen_edu.viz import X`` works for all of them.
"""
from ramen_edu.viz.baselines import cost_figure, fn_diff_figure
from ramen_edu.viz.explorers import (QUANTILE_COLOURS, document_edges, explore_predictions, explore_pruned_edges,
                                     label_rank, pick_pruned_documents, predictions_figure, pruned_edges_figure,
                                     pruned_edges_gallery)
from ramen_edu.viz.graphs import (EDGE_STYLES, KIND_COLOURS, cosine_histogram_figure, draw_neighbourhood,
                                  graph_quality_table, shorten, visits_by_distance_figure,
                                  walk_convergence_figure)
from ramen_edu.viz.site import setup_plotly
from ramen_edu.viz.theory import explore_noise_level, looseness_figure, noise_level_figure, sides_figure
from ramen_edu.viz.training import bandit_pairs_figure, inbatch_bandit_figure, lambda_paths_figure
from ramen_edu.viz.tables import html_table
from ramen_edu.viz.xc import (QUANTILE_NAMES, label_frequency_figure, metrics_figure, propensity_figure,
                              quantile_figure, quantile_metrics_figure)

__all__ = [
    "EDGE_STYLES", "KIND_COLOURS", "QUANTILE_COLOURS", "QUANTILE_NAMES", "bandit_pairs_figure", "cost_figure",
    "fn_diff_figure", "html_table",
    "cosine_histogram_figure", "document_edges", "draw_neighbourhood", "explore_noise_level", "explore_predictions",
    "explore_pruned_edges", "graph_quality_table", "inbatch_bandit_figure", "label_frequency_figure",
    "label_rank", "lambda_paths_figure", "looseness_figure", "metrics_figure", "noise_level_figure",
    "pick_pruned_documents", "predictions_figure", "propensity_figure", "pruned_edges_figure",
    "pruned_edges_gallery", "quantile_figure",
    "quantile_metrics_figure", "setup_plotly", "shorten", "sides_figure", "visits_by_distance_figure",
    "walk_convergence_figure",
]
