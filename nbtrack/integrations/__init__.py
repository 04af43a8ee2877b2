"""Framework integrations: `nbtrack.sklearn`, `nbtrack.lightning`,
`nbtrack.transformers`, `nbtrack.keras`.

Each attaches to the `%%track` cell's run when there is one, and otherwise
records a run of its own that ends with the training (failed on an exception).
Nothing here is imported until a user names an integration: `import nbtrack`
never imports a framework.
"""
