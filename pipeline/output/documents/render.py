"""Render a context into a Word template (docxtpl), and the optional PDF next to it.

Always autoescaped, always in a sandboxed jinja2 environment: a unit's text such as
`A&B<二期>` must come out verbatim, and a template the office edited must not reach Python
internals. Template bytes are read once per process and reused for every document.
"""

from __future__ import annotations

import errno
import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from pipeline.errors import SanchaError
from pipeline.files import write_atomic as write_file
from pipeline.output.documents.templates import BUILDERS


class DocumentError(SanchaError):
    """A document could not be made: a template is missing or broken (set-up, exit 2). The
    message says what to do (Chinese)."""

    exit_code = 2


class DocumentWriteError(DocumentError):
    """The disk refused a document (full, read-only, no permission); the ledger is intact."""

    exit_code = 1


# XML 1.0 forbids these; Word refuses a file that holds one.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_templates: dict[Path, tuple[tuple[int, int], bytes]] = {}


def jinja_env() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


def template_bytes(directory: Path, name: str) -> bytes:
    """The template `name` from a workspace's templates/ folder, cached while unchanged."""
    path = Path(directory) / name
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DocumentError(f"找不到模板 {path}。请运行 sancha templates 写入默认模板。") from None
    key = (st.st_mtime_ns, st.st_size)
    cached = _templates.get(path)
    if cached and cached[0] == key:
        return cached[1]
    data = path.read_bytes()
    _templates[path] = (key, data)
    return data


def _clean(value):
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def render_docx(template: bytes, context: dict) -> bytes:
    """The rendered document as bytes."""
    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(_clean(context), jinja_env=jinja_env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def undeclared_variables(template: bytes) -> set[str]:
    """Every variable a template uses (to check against the context keys)."""
    return DocxTemplate(io.BytesIO(template)).get_undeclared_template_variables(jinja_env=jinja_env())


def write_atomic(path: Path, data: bytes) -> Path:
    """Write through a temporary file so a reader never sees half a document.

    A full disk or a folder that may not be written becomes a DocumentError saying so (the
    ledger is written before any document, so it is never at stake here)."""
    try:
        return write_file(path, data)
    except OSError as e:
        raise DocumentWriteError(write_failure(Path(path), e)) from None


def write_failure(path: Path, error: OSError) -> str:
    """What to do about a document that could not be written (Chinese)."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"磁盘空间不足，无法写入 {path}。请清理该磁盘后重新运行；台帐未受影响。"
    if error.errno == errno.EROFS:
        return f"无法写入 {path}：所在磁盘或共享文件夹是只读的。请开放写权限后重新运行；台帐未受影响。"
    if isinstance(error, PermissionError):
        return (f"无法写入 {path}：文件可能正在 Word/WPS/Excel 中打开，或运行 sancha 的账户没有该文件夹的写权限。"
                "请关闭文件或开放写权限后重新运行；台帐未受影响。")
    return f"无法写入 {path}：{error.strerror or error}。请检查磁盘和共享文件夹后重新运行；台帐未受影响。"


def render_to(directory: Path, name: str, context: dict, out: Path) -> Path:
    """Render the workspace template `name` into `out`."""
    return write_atomic(out, render_docx(template_bytes(directory, name), context))


def template_names() -> list[str]:
    return list(BUILDERS)


# -- optional PDF ----------------------------------------------------------------------------


def soffice() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(paths: Iterable[Path], timeout: float = 300) -> list[Path]:
    """A PDF next to each .docx via LibreOffice; [] when LibreOffice is not installed.

    One soffice call per folder, with its own profile so a running LibreOffice does not block it.
    """
    exe = soffice()
    if not exe:
        return []
    by_dir: dict[Path, list[Path]] = {}
    for p in paths:
        by_dir.setdefault(Path(p).parent, []).append(Path(p))
    made = []
    with tempfile.TemporaryDirectory(prefix="sancha-lo-") as profile:
        for folder, files in by_dir.items():
            cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
                   "--outdir", str(folder), *map(str, files)]
            try:
                subprocess.run(cmd, check=False, capture_output=True, timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                continue
            made += [f.with_suffix(".pdf") for f in files if f.with_suffix(".pdf").exists()]
    return made
