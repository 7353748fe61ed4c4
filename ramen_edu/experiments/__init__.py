"""Experiments: the rows × seeds runner that ``ramen-edu ablate`` and ``ramen-edu baselines`` share
(:mod:`ramen_edu.experiments.runner`: run folders, the one "finished" rule, scratch folders, the
summary writers), and the commands that make the book's committed results, in order
(:mod:`ramen_edu.experiments.rebuild`)."""
