"""Notebook views: the live chart under a tracked cell (`live`) and run comparisons
(`compare`). Built on ipywidgets and bqplot, imported only when a view is shown;
each view also leaves a static picture and a text summary in the output."""
