"""Chaos Suite: inject real faults into a running service and check how it degrades."""

__version__ = "0.1.0"

__all__ = ["__version__"]
