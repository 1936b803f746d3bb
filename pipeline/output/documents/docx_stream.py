"""docxtpl's output for very big documents, written out part by part (issue 20).

A city's circular lists 110,000 items in 附件: its rendered body is 100 million characters, and
python-docx's tree of it 1.2 GB. `BodyStream` serializes the body while a pull parser reads it —
each finished child of the body, and the finished rows of a table still being read — exactly as
python-docx would serialize the whole document (lxml's serialization of each part, less the
namespace declarations the document already makes), renumbering docPr ids in document order as
docxtpl's fix_docpr_ids does and checking every table's grid as docxtpl's fix_tables does;
`with_body` puts the parts into the saved docx. `NotStreamable` where docxtpl would change a
grid or a part is unusual: the caller then takes the whole-tree way. Used by render._Template.
"""

from __future__ import annotations

import io
import re
import zipfile

import docx.oxml.ns
from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOC_PR = etree.XPath("//wp:docPr", namespaces=docx.oxml.ns.nsmap)
_DOC_PR_BELOW = etree.XPath(".//wp:docPr", namespaces=docx.oxml.ns.nsmap)


class NotStreamable(Exception):
    """The body is not written piece by piece: the whole-tree way instead."""


_TAG_START = re.compile(rb"^<([^\s>/]+)((?:\s+[^\s=]+=\"[^\"]*\")*)(\s*/?>)")
_XMLNS = re.compile(rb'\s+xmlns:([^\s=]+)="([^"]*)"')


class BodyStream:
    """Serializes a body being parsed (XMLPullParser), finished part by finished part, as
    python-docx serializes the whole document: lxml's serialization of each part without the
    namespace declarations the document already makes; docPr ids renumbered in document order
    (docxtpl's fix_docpr_ids); a table's grid checked as docxtpl's fix_tables checks it."""

    def __init__(self, template) -> None:
        """`template`: the render._Template whose docx_ids_index the docPr ids continue."""
        self.template = template
        self.parts: list[bytes] = []
        self.body = None
        self.inherited: dict[bytes, bytes] = {}
        self.table = None  # the table whose start tag is written and whose rows are streaming
        self.columns: int | None = None
        self.widest = 0

    def flush(self, parser, final: bool = False) -> None:
        for _, element in parser.read_events():
            self.body = element
            self.inherited = {k.encode(): v.encode() for k, v in element.nsmap.items() if k}
        body = self.body
        if body is None:
            return
        children = list(body)
        done = children if final else children[:-1]
        for child in done:
            if child is self.table:
                self._table_rows(child, final=True)
                self.parts.append(b"</w:tbl>")
                self.table = None
            else:
                self._whole(child)
            body.remove(child)
        if not final and children:
            last = children[-1]
            if last.tag == W + "tbl" and last.prefix == "w" and not last.attrib and last.nsmap == body.nsmap:
                if self.table is not last:
                    self.parts.append(b"<w:tbl>")
                    self.table, self.columns, self.widest = last, None, 0
                self._table_rows(last, final=False)

    def _whole(self, element) -> None:
        if element.tail or grid_needs_fixing(element):
            raise NotStreamable
        self.parts.append(self._serialized(element))

    def _table_rows(self, table, final: bool) -> None:
        rows = list(table)
        for row in rows if final else rows[:-1]:
            if row.tag == W + "tblGrid":
                self.columns = len(row.findall(W + "gridCol"))
            elif row.tag == W + "tr":
                if self.columns is None:
                    raise NotStreamable
                for r in row.iter(W + "tr"):  # docxtpl counts a nested table's rows in too
                    cells = r.findall(W + "tc")
                    if len(cells) > self.columns:
                        raise NotStreamable
                    spans = sum(int(s.get(W + "val")) - 1 for s in r.iterfind(f"{W}tc/{W}tcPr/{W}gridSpan"))
                    self.widest = max(self.widest, len(cells) + spans)
                for nested in row.iter(W + "tbl"):
                    if grid_needs_fixing(nested):
                        raise NotStreamable
            if row.tail:
                raise NotStreamable
            self.parts.append(self._serialized(row))
            table.remove(row)
        if final and (table.text or table.tail or self.columns is None or self.widest < self.columns):
            raise NotStreamable

    def _serialized(self, element) -> bytes:
        for doc_pr in _DOC_PR_BELOW(element):
            self.template.docx_ids_index += 1
            doc_pr.attrib["id"] = str(self.template.docx_ids_index)
        data = etree.tostring(element, encoding="UTF-8", with_tail=False)
        m = _TAG_START.match(data)
        if m is None:
            raise NotStreamable
        inherited = self.inherited
        attrs = _XMLNS.sub(lambda a: b"" if inherited.get(a.group(1)) == a.group(2) else a.group(0), m.group(2))
        return b"<" + m.group(1) + attrs + m.group(3) + data[m.end():]


def with_body(data: bytes, parts: list[bytes]) -> bytes:
    """The saved document with the streamed body's pieces in place of its empty body."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = src.read(info.filename)
            if info.filename != "word/document.xml":
                dst.writestr(info, member)
                continue
            head, empty, tail = member.partition(b"<w:body/>")
            if not empty or b"<w:body/>" in tail:
                raise NotStreamable("the saved document has no empty body to fill")
            info.file_size = len(head) + len(tail) + len(b"<w:body></w:body>") + sum(map(len, parts))
            with dst.open(info, "w") as fh:  # Zip64 only where the size needs it, as zipfile decides
                fh.write(head + b"<w:body>")
                for part in parts:
                    fh.write(part)
                fh.write(b"</w:body>" + tail)
    return out.getvalue()


def grid_needs_fixing(body) -> bool:
    """Whether docxtpl's `fix_tables` would change a table: a row with more cells than the grid
    has columns, or a grid wider than its widest row (cells and their spans)."""
    for table in body.iter(W + "tbl"):
        grid = table.find(W + "tblGrid")
        if grid is None:
            return True
        columns = len(grid.findall(W + "gridCol"))
        widest = 0
        for row in table.iter(W + "tr"):
            cells = row.findall(W + "tc")
            if len(cells) > columns:
                return True
            spans = sum(int(s.get(W + "val")) - 1 for s in row.iterfind(f"{W}tc/{W}tcPr/{W}gridSpan"))
            widest = max(widest, len(cells) + spans)
        if widest < columns:
            return True
    return False
