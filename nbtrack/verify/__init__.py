"""Reproducibility you can check: replay a run's recorded history and compare.

`guard` runs replayed cells that raised in the original kernel; `history` reads
a run's recorded history back; `compare` judges a replay against the run;
`runner` executes a replay in a fresh kernel; `verdicts` stores the outcome.
Nothing heavy is imported here.
"""
