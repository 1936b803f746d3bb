"""Same bytes, same Submission: dump what parsing gives every file of a corpus, to diff two trees.

    PYTHONPATH=OLD-TREE python benchmarks/parse_equivalence.py old.txt [--inbox DIR] [--stream 60]
    PYTHONPATH=NEW-TREE python benchmarks/parse_equivalence.py new.txt [--inbox DIR] [--stream 60]
    diff old.txt new.txt

(By its path, not with -m: -m would put the current directory, and its `pipeline`, first.)

Parses, with whatever `pipeline` is first on sys.path, and writes one block per file: `repr()`
of the `Submission` (rows and findings, in order), each row's problem key, and the sizes of the
chunks `stream_submission` handed on. The corpus: every xlsx under `--inbox` (default: the
600-file benchmark workspace, parsed with its own sancha.toml and folder units); every
.xlsx/.xls/.csv/.ods under tests/data, examples and ../shared/samples and the hostile corpus of
tests/hostile.py and tests/test_streaming.py (with the test configuration and the repository's
sancha.toml); and broken copies of some of them made here, seeded (truncated, a byte flipped in
each zip member, a DOCTYPE in each member, members stored uncompressed, a member declared
smaller than it is, sheets with an unusual or huge extent). With `--stream N`, the first N
benchmark files and the whole small corpus again with every xlsx streamed as
tests/test_streaming.py forces it (slices of 700 bytes, chunks of two rows).
"""

from __future__ import annotations

import argparse
import io
import random
import re
import struct
import sys
import zipfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_INBOX = Path("/tmp/sancha-bench/ws-60u-600f-50r-s1-g2/inbox")
RECEIVED = date(2026, 11, 20)
_SUFFIXES = (".xlsx", ".xls", ".csv", ".ods")


def small_corpus() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder in (REPO / "tests" / "data", REPO / "examples", REPO.parent / "shared" / "samples"):
        for p in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if p.suffix.lower() in _SUFFIXES:
                files[f"{folder.name}/{p.relative_to(folder).as_posix()}"] = p.read_bytes()
    sys.path.insert(0, str(REPO / "tests"))
    import hostile
    import test_streaming
    for case in hostile.CASES:
        c = case()
        files[f"hostile/{c.name}/{c.filename}"] = c.data
    for name, data in test_streaming.corpus().items():
        files[f"streaming/{name}"] = data
    return files


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i, z.read(i)) for i in z.infolist()]


def _rezip(members, change=lambda info, body: body, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for info, body in members:
            z.writestr(info.filename, change(info, body))
    return out.getvalue()


def broken_copies(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    """Seeded damaged and unusual variants of one xlsx, named NAME#what.xlsx."""
    stem, dot, suffix = name.rpartition(".")
    name = stem
    out = {f"{name}#cut{k}": data[:n] for k, n in enumerate(
        sorted({len(data) // 10, len(data) // 2, len(data) * 9 // 10, len(data) - 1, len(data) - 23,
                rng.randrange(1, len(data))}))}
    try:
        members = _members(data)
    except Exception:
        return {f"{k}{dot}{suffix}": v for k, v in out.items()}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    for k, info in enumerate(infos):  # one byte flipped in each member's data, and in its local header
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        if info.compress_size:
            at = start + rng.randrange(info.compress_size)
            out[f"{name}#flip{k}"] = data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
        # (not the file's first four bytes: the scan of main at cfc7931, which this is compared
        # with, skipped a zip without the magic in front, and calamine then aborts the process on
        # the sparse-sheet bomb so disguised — tests/test_read.py has the cases now)
        at = info.header_offset + rng.randrange(4 if k == 0 else 0, 30)
        out[f"{name}#head{k}"] = data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1:]
        out[f"{name}#dtd{k}"] = _rezip(members, lambda i, b, n=info.filename: (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + b if i.filename == n else b))
        # the central directory says the member is smaller than it is (a lie the CRC/size check catches)
        out[f"{name}#size{k}"] = _shrunk(data, info)
    out[f"{name}#stored"] = _rezip(members, compression=zipfile.ZIP_STORED)
    out[f"{name}#junk"] = _rezip([*members, (zipfile.ZipInfo("xl/media/junk.bin"), rng.randbytes(5000))])
    sheet = next((i.filename for i, _ in members if i.filename.startswith("xl/worksheets/")), None)
    if sheet:
        variants = {
            "norow": lambda b: re.sub(rb'<row r="\d+"', b"<row", b, count=3),
            "nor": lambda b: re.sub(rb'<c r="[A-Z]+\d+"', b"<c", b, count=5),
            "rlate": lambda b: re.sub(rb'<c r="([A-Z]+\d+)"( [^>]*?)?(/?)>', rb'<c\2 r="\1"\3>', b, count=4),
            "lower": lambda b: b.replace(b'r="A', b'r="a', 2),
            "far": lambda b: b.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"/></row></sheetData>'),
            "farv": lambda b: b.replace(b"</sheetData>", b'<row r="400000"><c r="Z400000" t="inlineStr">'
                                        b"<is><t>x</t></is></c></row></sheetData>"),
            "prefix": lambda b: b.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>"),
            "formula": lambda b: b.replace(
                b"</sheetData>", b'<row r="999"><c r="B999"><f>1+1</f></c></row></sheetData>'),
            "bom": lambda b: b"\xef\xbb\xbf" + b,
            "notxml": lambda b: b"garbage" + b,
        }
        if name.startswith("hostile/"):  # likewise a bomb's sheet not starting with a tag, at cfc7931
            del variants["notxml"]
        for tag, change in variants.items():
            out[f"{name}#{tag}"] = _rezip(members, lambda i, b, change=change: change(b) if i.filename == sheet else b)
    return {f"{k}{dot}{suffix}": v for k, v in out.items()}


def _shrunk(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """`data` with `info`'s uncompressed size declared one byte smaller, in both headers."""
    buf = bytearray(data)
    if info.file_size < 1:
        return bytes(buf)
    struct.pack_into("<I", buf, info.header_offset + 22, info.file_size - 1)
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        if struct.unpack_from("<I", data, at + 42)[0] == info.header_offset:
            struct.pack_into("<I", buf, at + 24, info.file_size - 1)
            break
        at += 4
    return bytes(buf)


def describe(stream_submission, data: bytes, name: str, config, folder: str | None) -> str:
    stream = stream_submission(data, name, config, folder_unit=folder, received=RECEIVED)
    chunks = list(stream.chunks())
    rows = tuple(r for chunk in chunks for r in chunk)
    sub = stream.result(rows)
    return "\n".join([
        f"== {name} [{folder}]", f"unit before rows: {stream.unit!r}", repr(sub),
        f"keys: {[r.key for r in sub.rows]!r}", f"chunks: {[len(c) for c in chunks]}",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.parse_equivalence", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--inbox", type=Path, default=BENCH_INBOX)
    ap.add_argument("--stream", type=int, default=60, help="benchmark files also parsed streamed (0: none)")
    ap.add_argument("--broken", type=int, default=12, help="benchmark files also parsed as broken copies")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    import pipeline
    from pipeline.config import parse_config
    from pipeline.intake import parse, read, xlsx_stream
    from pipeline.workspace import Workspace
    sys.path.insert(0, str(REPO / "tests"))
    from builders import make_config

    print(f"pipeline from {Path(pipeline.__file__).parent}", file=sys.stderr)
    rng = random.Random(args.seed)
    bench = [(p, p.read_bytes()) for p in sorted(args.inbox.rglob("*.xlsx"))] if args.inbox.is_dir() else []
    bench_config = Workspace(args.inbox.parent).config if bench else None
    small = small_corpus()
    configs = {"tests": make_config(), "repo": parse_config((REPO / "sancha.toml").read_text(encoding="utf-8")),
               "tight": make_config(max_findings=5)}
    broken: dict[str, bytes] = {}
    for name, data in [*((f"bench/{p.name}", d) for p, d in bench[:args.broken]), *small.items()]:
        if data.startswith(b"PK\x03\x04"):
            broken.update(broken_copies(name, data, rng))

    def run(label: str):
        out: list[str] = []
        for p, data in bench[:args.stream] if label == "streamed" else bench:
            folder = p.parent.name if p.parent != args.inbox else None
            out.append(describe(parse.stream_submission, data, f"bench/{p.name}", bench_config, folder))
        for cname, config in configs.items():
            for name, data in (small | ({} if label == "streamed" else broken)).items():
                for folder in (None, "区财政局"):
                    out.append(f"[{cname}] " + describe(parse.stream_submission, data, name, config, folder))
        return out

    blocks = run("whole")
    if args.stream:
        saved = read.STREAM_MIN_BYTES, xlsx_stream.SLICE_BYTES, parse.CHUNK_ROWS
        read.STREAM_MIN_BYTES, xlsx_stream.SLICE_BYTES, parse.CHUNK_ROWS = 0, 700, 2
        try:
            blocks += ["-- streamed --", *run("streamed")]
        finally:
            read.STREAM_MIN_BYTES, xlsx_stream.SLICE_BYTES, parse.CHUNK_ROWS = saved
    args.out.write_text("\n".join(blocks) + "\n", encoding="utf-8")
    print(f"{len(blocks)} parses: {len(bench)} benchmark files, {len(small)} small, {len(broken)} broken copies "
          f"→ {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
