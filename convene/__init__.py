"""Convene: the kernel every capability plugs into (settings, database, errors, markup, mail, security)."""

__version__ = "0.1.0"
