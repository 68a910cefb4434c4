"""``python -m memlab`` runs the CLI."""

from memlab.cli import cli

cli()
