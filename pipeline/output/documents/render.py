"""Render a context into a Word template (docxtpl), and the optional PDF next to it.

Always autoescaped, always in a sandboxed jinja2 environment: a unit's text such as
`A&B<二期>` must come out verbatim, and a template the office edited must not reach Python
internals. Strict: a name or attribute the context does not have (`{{ mastehad }}`,
`{{ overview.totl }}`) is a `TemplateError` naming the template, the tag, its paragraph and the
nearest known name — never an empty string in a signed document; a syntax error likewise names
the template and the paragraph. Template bytes are read once per process and reused.
"""

from __future__ import annotations

import difflib
import errno
import functools
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from docx.oxml.parser import element_class_lookup
from docxtpl import DocxTemplate, RichText
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing as _missing
from lxml import etree

from pipeline.config import Fonts
from pipeline.errors import SanchaError
from pipeline.files import write_atomic as write_file
from pipeline.output.documents import fonts as faces
from pipeline.output.documents.docx_stream import DOC_PR, BodyStream, NotStreamable, W, grid_needs_fixing, with_body
from pipeline.output.documents.templates import BUILDERS


class DocumentError(SanchaError):
    """A document could not be made: a template is missing or broken (set-up, exit 2). The
    message says what to do (Chinese)."""

    exit_code = 2


class DocumentWriteError(DocumentError):
    """The disk refused a document (full, read-only, no permission); the ledger is intact."""

    exit_code = 1


class TemplateError(DocumentError):
    """A template names something the context lacks, or does not parse (Chinese message). The
    batch writes every other document and exits 1."""

    exit_code = 1


class UnknownField(TemplateError):
    """A template names a field or attribute the context does not have."""


TEMPLATE_FIX = ("请在 Word 中打开该模板改正（标签须在同一段文字中一次输入），"
                "或运行 sancha templates --force 恢复默认模板（会覆盖修改）。")


class UnknownName(UndefinedError):
    """An undefined name or attribute, with what it was looked up on."""

    def __init__(self, message: str | None = None, *, name: str | None = None, known: tuple[str, ...] | None = None):
        super().__init__(message)
        self.name = name
        self.known = known  # the attributes of the object it was looked up on; None for a top-level name


def _known(obj) -> tuple[str, ...] | None:
    if obj is _missing:
        return None
    if isinstance(obj, dict):
        return tuple(str(k) for k in obj)
    return tuple(a for a in dir(obj) if not a.startswith("_"))


class _Strict(StrictUndefined):
    """StrictUndefined whose error remembers the name and where it was looked for."""

    __slots__ = ()

    def __init__(self, hint=None, obj=_missing, name=None, exc=UndefinedError):
        if exc is UndefinedError:  # the sandbox passes SecurityError for an unsafe attribute: kept
            exc = functools.partial(UnknownName, name=name, known=_known(obj))
        super().__init__(hint, obj, name, exc)


_PATCHED_MAX = 64  # patched template parts kept per process (a few templates × their parts)
_patched: dict[str, str] = {}


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's, in resolve_listing
_LISTING = re.compile("[\t\a\n\f]")
_BODY_OPEN = re.compile(r"<w:body(?: [^>]*)?>")
_BODY = re.compile(r"<w:body(?: [^>]*)?>.*</w:body>|<w:body/>", re.DOTALL)
_FEED = 1 << 20  # characters fed to the parser at a time


class _Template(DocxTemplate):
    """docxtpl, with the same output made faster for big documents (issue 20: a circular whose
    附件 lists 27,000 items spent 6 of its 8.5 s after jinja2):
    - the XML a part was rendered from is kept on its error, to name the paragraph;
    - the template's XML as docxtpl patches it before compiling is kept per process (the 300
      notices of a batch share one template), keyed by the XML itself;
    - `resolve_listing` (text's tab, line break, \\a and \\f into Word's elements) works only on
      the paragraphs that hold one of them: on the others docxtpl's is the identity;
    - the rendered body is parsed once into the whole document instead of parsed alone and
      moved into it (lxml's `replace` walked every node again: 2.6 s), when its tables need
      none of docxtpl's grid fixing; else, or for XML only docxtpl's recovering parser reads,
      docxtpl's own way;
    - a body from `STREAM_FROM` characters on (a city's circular, 附件 of 100,000 rows) is
      written out part by part as it is parsed (`docx_stream.BodyStream`), never standing as one tree.
    tests/test_render_fast.py compares the bytes with docxtpl's, each way."""

    _spliced = None
    _streamed: list[bytes] | None = None
    docx_ids_index: int  # docxtpl's, set by its render_init

    def patch_xml(self, src_xml):
        found = _patched.get(src_xml)
        if found is None:
            if len(_patched) >= _PATCHED_MAX:
                _patched.clear()
            found = _patched[src_xml] = super().patch_xml(src_xml)
        return found

    def render_xml_part(self, src_xml, part, context, jinja_env=None):
        try:
            return super().render_xml_part(src_xml, part, context, jinja_env)
        except (UndefinedError, TemplateSyntaxError, SecurityError) as e:
            e.sancha_lines = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml).splitlines()  # type: ignore[union-attr]
            raise

    def resolve_listing(self, xml):
        if not _LISTING.search(xml):
            return xml
        whole = super().resolve_listing
        return _PARAGRAPH.sub(lambda m: whole(m.group(0)) if _LISTING.search(m.group(0)) else m.group(0), xml)

    def fix_tables(self, xml):
        self._spliced = self._streamed = None
        if len(xml) >= STREAM_FROM:  # a city's circular: its body written out as it is parsed
            first_id = self.docx_ids_index
            try:
                document, self._streamed = self._streamed_document(xml)
            except (NotStreamable, etree.XMLSyntaxError, ValueError, TypeError):
                self._streamed, self.docx_ids_index = None, first_id
            else:
                if document is not None:
                    self._spliced = document
                    return document.find(W + "body")
        try:
            document = self._spliced_document(xml)
        except etree.XMLSyntaxError:  # docxtpl parses with recover=True
            document = None
        body = document.find(W + "body") if document is not None else None
        try:
            fixing = body is None or grid_needs_fixing(body)
        except (ValueError, TypeError):  # a span that is not a number: docxtpl's way, as before
            fixing = True
        if fixing:
            return super().fix_tables(xml)
        self._spliced = document
        return body

    def _document_around(self, body_xml: str) -> tuple[str, str, int] | None:
        """The document's XML before and after its body, and where the rendered body's content
        starts; None when the body declares a namespace prefix differently from the document."""
        root = self.docx._element
        start = _BODY_OPEN.match(body_xml)
        if start is None:
            return None
        declared = dict(re.findall(r'xmlns:(\w+)="([^"]*)"', start.group(0)))
        if any(root.nsmap.get(prefix) != uri for prefix, uri in declared.items()):
            return None
        whole = etree.tostring(root, encoding="unicode")
        old = _BODY.search(whole)
        if old is None:
            return None
        return whole[:old.start()] + "<w:body>", whole[old.end():], start.end()

    def _spliced_document(self, body_xml: str):
        """The document element with `body_xml` as its body, parsed once (None: see
        `_document_around`)."""
        around = self._document_around(body_xml)
        if around is None:
            return None
        head, tail, at = around
        # fed in pieces: a city's circular is a body of 100 million characters, not copied again
        parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
        parser.set_element_class_lookup(element_class_lookup)  # python-docx's own element classes
        parser.feed(head)
        for n in range(at, len(body_xml), _FEED):
            parser.feed(body_xml[n:n + _FEED])
        parser.feed(tail)
        return parser.close()

    def _streamed_document(self, body_xml: str):
        """(the document element with an empty body, the body's content as serialized pieces):
        the body's finished children (and the finished rows of a table still being read) are
        serialized and dropped after each piece fed, so a body of 100 million characters never
        stands as one tree (issue 20: 1.2 GB of the circular's worker at 200,000 items). The
        pieces are what python-docx would write for that body; `NotStreamable` where docxtpl
        would fix a table's grid or a piece is unusual (then the whole-tree way)."""
        around = self._document_around(body_xml)
        if around is None:
            return None, None
        head, tail, at = around
        parser = etree.XMLPullParser(events=("start",), tag=W + "body", remove_blank_text=True,
                                     resolve_entities=False)
        parser.set_element_class_lookup(element_class_lookup)
        stream = BodyStream(self)
        parser.feed(head)
        for n in range(at, len(body_xml), _FEED):
            parser.feed(body_xml[n:n + _FEED])
            stream.flush(parser)
        parser.feed(tail)
        document = parser.close()
        stream.flush(parser, final=True)
        if len(document.find(W + "body")):
            raise NotStreamable
        return document, stream.parts

    def fix_docpr_ids(self, tree):
        for element in DOC_PR(tree):  # docxtpl's, for a tree of python-docx's own elements too
            self.docx_ids_index += 1
            element.attrib["id"] = str(self.docx_ids_index)

    def map_tree(self, tree):
        if self._spliced is not None and tree.getparent() is self._spliced:
            self.docx._part._element = self.docx._element = self._spliced
            return
        super().map_tree(tree)


# characters of rendered body from which it is streamed (`docx_stream.BodyStream`): a 附件 of
# about 30,000 rows; below, the whole tree (≈ 300 MB at this size) costs less time than streaming
STREAM_FROM = 30_000_000


# XML 1.0 forbids these; Word refuses a file that holds one.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_templates: dict[Path, tuple[tuple[int, int], bytes]] = {}


class _CompilingOnce(SandboxedEnvironment):
    """The sandbox, compiling each template source once per process (issue 20: compiling a
    notice's XML was a quarter of rendering it). The source is the whole part's XML, so an
    edited template is a new key; a compiled jinja2 Template holds no state between renders."""

    COMPILED_MAX = 64

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._compiled: dict[str, Template] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            if len(self._compiled) >= self.COMPILED_MAX:
                self._compiled.clear()
            found = self._compiled[source] = super().from_string(source)
        return found


@functools.cache
def jinja_env() -> SandboxedEnvironment:
    return _CompilingOnce(autoescape=True, undefined=_Strict)


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


def prepared(context: dict) -> dict:
    """The context a template sees: text cleaned of XML-illegal characters, and the 发文机关标志
    as rich text of its size (`masthead_rich`: a long office name is set smaller to stay on one line)."""
    context = _clean(context)
    if "masthead" in context and "masthead_pt" in context:
        context["masthead_rich"] = RichText(context["masthead"], size=int(context["masthead_pt"]) * 2)
    return context


def render_docx(template: bytes, context: dict, *, name: str = "", fonts: Fonts | None = None) -> bytes:
    """The rendered document as bytes, naming `fonts` (default: the template's own faces).

    Raises TemplateError (naming template `name`) for an unknown name or a syntax error."""
    try:
        tpl = _Template(io.BytesIO(template))
        tpl.render(prepared(context), jinja_env=jinja_env(), autoescape=True)
    except UnknownName as e:
        raise UnknownField(template_problem(name, e, context)) from None
    except (UndefinedError, TemplateSyntaxError, SecurityError) as e:
        raise TemplateError(template_problem(name, e, context)) from None
    out = io.BytesIO()
    tpl.save(out)
    data = out.getvalue()
    if tpl._streamed is not None:
        try:
            data = with_body(data, tpl._streamed)
        except NotStreamable:  # python-docx saved no empty body to fill: never seen, but never half a document
            raise DocumentError(f"文档 {name or ''} 正文无法写出（内部错误），请重新运行；台帐未受影响。") from None
    return faces.retarget(data, fonts) if fonts is not None else data


def _paragraph(e: Exception) -> str:
    """The text of the paragraph the error is in (tags included, XML stripped)."""
    lines = getattr(e, "sancha_lines", None)
    lineno = getattr(e, "lineno", None)
    if lineno is None:  # an undefined name: the line of the deepest template frame
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<template>":
                lineno = tb.tb_lineno
            tb = tb.tb_next
    if not lines or not lineno or lineno > len(lines):
        return ""
    return re.sub(r"<[^>]+>", "", lines[lineno - 1]).strip()


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def template_problem(name: str, e: Exception, context: dict) -> str:
    """What is wrong with template `name` and how to fix it (Chinese)."""
    paragraph = _paragraph(e)
    shown = f"（所在段落：“{_excerpt(paragraph, getattr(e, 'name', None))}”）" if paragraph else ""
    template = f"模板 {name} " if name else "模板"
    if isinstance(e, UnknownName) and e.name:
        known = e.known if e.known is not None else tuple(prepared(context))
        tag = next((t for t in _TAG.findall(paragraph) if re.search(rf"\b{re.escape(e.name)}\b", t)), "")
        nearest = difflib.get_close_matches(e.name, known, n=1, cutoff=0.5)
        guess = f"，是否应为“{nearest[0]}”？" if nearest else "。"
        return f"{template}中的 {tag or '标签'} 有误：没有名为“{e.name}”的字段{guess}{shown}{TEMPLATE_FIX}"
    if isinstance(e, SecurityError):
        return f"{template}访问了不允许的内容（模板只能使用文档字段）{shown}。{TEMPLATE_FIX}"
    if isinstance(e, TemplateSyntaxError):
        return f"{template}有语法错误{shown}：{_syntax_hint(e.message or '')}（{e.message}）。{TEMPLATE_FIX}"
    return f"{template}无法生成文档{shown}：{e}。{TEMPLATE_FIX}"


def _syntax_hint(message: str) -> str:
    low = message.lower()
    if "unexpected end of template" in low:
        return "有标签没有结束，缺少对应的 {% endif %} 或 {% endfor %}"
    if "unexpected '}'" in low or "unexpected '%'" in low:
        return "标签的括号不成对，应写成 {{ 字段 }} 或 {% … %}"
    if "unknown tag" in low:
        return "有无法识别的 {% … %} 标签"
    if "expected token" in low or "unexpected" in low:
        return "标签内容写法有误"
    return "标签写法有误"


def _excerpt(paragraph: str, name: str | None, width: int = 80) -> str:
    """The paragraph, or the part of a long one around `name`."""
    if len(paragraph) <= width:
        return paragraph
    at = paragraph.find(name) if name else -1
    start = max(0, min(at - width // 2, len(paragraph) - width)) if at >= 0 else 0
    return ("…" if start else "") + paragraph[start:start + width] + ("…" if start + width < len(paragraph) else "")


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


def render_to(directory: Path, name: str, context: dict, out: Path, fonts: Fonts | None = None) -> Path:
    """Render the workspace template `name` into `out`."""
    return write_atomic(out, render_docx(template_bytes(directory, name), context, name=name, fonts=fonts))


def template_names() -> list[str]:
    return list(BUILDERS)


# -- optional PDF ----------------------------------------------------------------------------


def soffice() -> str | None:
    """The LibreOffice binary, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(paths: Iterable[Path], timeout: float = 300, fonts: Fonts | None = None) -> list[Path]:
    """A PDF next to each .docx via LibreOffice; [] when LibreOffice is not installed.

    One soffice call per folder, with its own profile so a running LibreOffice does not block it.
    Faces of `fonts` missing here are set in stand-ins of the same widths where installed
    (fonts.stand_in_config), so the PDF breaks lines and pages as the printed document does.
    """
    exe = soffice()
    if not exe:
        return []
    by_dir: dict[Path, list[Path]] = {}
    for p in paths:
        by_dir.setdefault(Path(p).parent, []).append(Path(p))
    made = []
    with tempfile.TemporaryDirectory(prefix="sancha-lo-") as profile:
        env = dict(os.environ)
        conf = faces.stand_in_config(fonts or Fonts())
        if conf:
            (Path(profile) / "fonts.conf").write_text(conf, encoding="utf-8")
            env["FONTCONFIG_FILE"] = str(Path(profile) / "fonts.conf")
        for folder, files in by_dir.items():
            cmd = [exe, f"-env:UserInstallation={(Path(profile) / 'lo').as_uri()}", "--headless", "--convert-to", "pdf",
                   "--outdir", str(folder), *map(str, files)]
            try:
                subprocess.run(cmd, check=False, capture_output=True, timeout=timeout, env=env)
            except (OSError, subprocess.TimeoutExpired):
                continue
            made += [f.with_suffix(".pdf") for f in files if f.with_suffix(".pdf").exists()]
    return made
