"""Imports every command module so their commands register on the app."""

from . import ingest  # noqa: F401
from . import dashboard  # noqa: F401
from . import states  # noqa: F401
from . import watch  # noqa: F401
from . import documents  # noqa: F401
from . import doctor  # noqa: F401
