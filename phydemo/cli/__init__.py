"""The ``phydemo`` command (also ``python -m phydemo``): one subcommand per task, grouped by layer."""

from phydemo.cli.main import main

__all__ = ["main"]
