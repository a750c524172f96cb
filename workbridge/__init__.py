"""Composition root: the app, the CLI, scheduling and the wiring between contexts."""
