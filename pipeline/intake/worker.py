"""The parse worker: a process that reads submitted files for sancha, within limits.

Started by `isolation.py` as `python -m pipeline.intake.worker PARENT_PID MEMORY_MB` (a fresh
interpreter on every platform: no fork, nothing inherited but the pipes). It caps its address
space, arranges to die with its parent, says hello with what it could set, then answers tasks
one at a time over stdin/stdout, each a length-prefixed pickle:

    ("config", Config)                                   → nothing (kept for the next tasks)
    ("parse", data, name, folder_unit, received, secs)   → ("done", Submission | STREAM)
    ("mark", archive_path, name, findings, secs)         → ("done", bytes | None)

Before each task the CPU budget is set anew (`osguard.cpu_budget`). A file whose reading runs
out of memory in Python is answered `MEMORY` (the parent gives the verdict); one that aborts the
process (calamine's allocation failures are not exceptions) or exceeds its CPU time ends it, and
the parent sees that. STREAM: a huge sheet, read and checked here, to be read again (streamed,
a chunk at a time) by the ingesting process.
"""

from __future__ import annotations

import pickle
import struct
import sys
from pathlib import Path
from typing import IO

STREAM = "stream"  # the file reads fine here; the ingesting process streams it itself
MEMORY = "memory"  # the file needed more memory than the limit allows
_FRAME = struct.Struct("<Q")


def send(out: IO[bytes], message: object) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(body)) + body)
    out.flush()


def receive(inp: IO[bytes]) -> object:
    """The next message; EOFError when the other side is gone."""
    head = inp.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(head)
    body = inp.read(size)
    if len(body) < size:
        raise EOFError
    return pickle.loads(body)


def main(argv: list[str]) -> None:
    from pipeline.osguard import cpu_budget, limit_this_process

    parent, memory_mb = int(argv[0]), int(argv[1])
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but messages on the pipe
    status = limit_this_process(memory_mb, parent)
    from pipeline.intake import parse  # after the limits: imports count against them too

    send(out, ("hello", status))
    config = None
    while True:
        try:
            task = receive(inp)
        except EOFError:
            return  # the parent closed the pipe (or died): done
        kind: str = task[0]  # type: ignore[index]
        args: list = list(task[1:])  # type: ignore[index]
        if kind == "config":
            config = args[0]
            continue
        cpu_budget(args[-1])
        try:
            result = _run(kind, args[:-1], config, parse, out)
        except MemoryError:
            result = MEMORY
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # a Rust panic is a BaseException: the file is unreadable, the worker fine
            result = None
        send(out, ("done", result))


def _run(kind: str, args: list, config, parse, out: IO[bytes]) -> object:
    if kind == "parse":
        data, name, unit, received = args
        return _parse(parse, data, name, config, unit, received)
    if kind == "mark":
        from pipeline.output.receipts import marked_workbook

        original, name, found = args
        return marked_workbook(Path(original), name, found)
    raise ValueError(kind)


def _parse(parse, data: bytes, name: str, config, unit: str | None, received):
    from pipeline.intake.read import streams

    if streams(data):  # a huge sheet: checked here in full, then streamed by the ingesting process
        stream = parse.stream_submission(data, name, config, folder_unit=unit, received=received)
        for _ in stream.chunks():
            pass
        sub = stream.result()
        return sub if not sub.ok else STREAM
    return parse.parse_submission(data, name, config, folder_unit=unit, received=received)


if __name__ == "__main__":
    main(sys.argv[1:])
