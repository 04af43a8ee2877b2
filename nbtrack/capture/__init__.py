"""What a run records: params from the cell, environment, git state, notebook path."""
