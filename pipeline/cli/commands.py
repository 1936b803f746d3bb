"""Imports every command module so their commands register on the app."""

from . import ingest  # noqa: F401
