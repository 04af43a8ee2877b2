"""Moving runs in from MLflow and TensorBoard, and out to MLflow.

`write.py` writes imported runs through the store's own batched write path and
finds runs imported before by their source key (a tag `nbtrack.source=...`);
`mlflow_import.py`, `tensorboard_import.py` and `mlflow_export.py` talk to the
source tools.
"""
