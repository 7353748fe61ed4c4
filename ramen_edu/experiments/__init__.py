"""Experiments: many trainings compared, and the commands that run them.

* :mod:`ramen_edu.experiments.runner` — the rows × seeds runner both commands share: run folders,
  the one "finished" rule, scratch folders, the summary writers;
* :mod:`ramen_edu.experiments.comparison` — mean ± std over seeds and paired intervals, the one
  verdict rule, the comparison tables;
* :mod:`ramen_edu.experiments.ablate` — ``ramen-edu ablate`` (Table 5 rows × seeds);
* :mod:`ramen_edu.experiments.baselines` — ``ramen-edu baselines`` (RAMEN vs AugGT and a two-stage GCN);
* :mod:`ramen_edu.experiments.rebuild` — the commands that make the book's committed results, in order.

The package sits above ``training`` and ``baselines``, whose models it trains and scores; nothing
below imports it.
"""
