"""Imports every command module so their commands register on the app."""

from pipeline.cli import (
    dashboard,  # noqa: F401
    doctor,  # noqa: F401
    documents,  # noqa: F401
    ingest,  # noqa: F401
    serve,  # noqa: F401
    states,  # noqa: F401
    watch,  # noqa: F401
)
