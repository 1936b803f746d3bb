"""sancha — the 三查三单 ledger pipeline.

read → normalise → validate → merge → states → render, with the shell
(CLI, storage, files, watcher) around it.
"""

__version__ = "0.1.0"
