"""Experiments: the commands that make the book's committed results, in order
(:mod:`ramen_edu.experiments.rebuild`)."""
