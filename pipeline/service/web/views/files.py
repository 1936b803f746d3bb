"""文件 (every file received: verdict, findings, receipt, archive copy) and 文书 (the outbox by
week). Files are sent only from inside data/archive/, the workspace and outbox/; a path that
leads elsewhere is a 404."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file

from pipeline.ledger.search import FileQuery, file_record, search_files
from pipeline.service.web.outbox import OutsideOutbox, by_week, list_documents, resolve_document
from pipeline.service.web.security import DOCUMENT_CSP
from pipeline.service.web.views.common import desk, int_arg, ledger, page_args

bp = Blueprint("files", __name__)

VERDICTS = {"accepted": "接收", "rejected": "退回", "duplicate": "重复", "evidence": "佐证材料"}
RECEIPT_LIMIT = 1 << 20  # bytes of a receipt shown on the page
INLINE = {".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
          ".csv": "text/plain; charset=utf-8", ".json": "application/json"}


def _inside(root: Path, rel: str | None) -> Path | None:
    if not rel:
        return None
    root = root.resolve()
    path = (root / rel).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


@bp.get("/files")
def index():
    a = request.args
    verdict = a.get("verdict") if a.get("verdict") in VERDICTS else None
    q = FileQuery(unit=a.get("unit") or None, verdict=verdict, text=a.get("q", "")[:200], page=int_arg("page"))
    return render_template("files.html", result=search_files(ledger(), q), q=q, verdicts=VERDICTS,
                           units=desk().ws.config.unit_names, page_args=page_args, page="files")


@bp.get("/files/<int:file_id>")
def detail(file_id: int):
    ws = desk().ws
    record = file_record(ledger(), file_id)
    if record is None:
        abort(404, f"没有编号为 {file_id} 的收件记录。")
    receipt_text = None
    receipt = _inside(ws.root, record.receipt_path)
    if receipt is not None:
        receipt_text = receipt.read_bytes()[:RECEIPT_LIMIT].decode("utf-8", errors="replace")
    archived = _inside(ws.archive, record.archive_path) is not None
    return render_template("file.html", f=record, verdicts=VERDICTS, receipt_text=receipt_text, archived=archived,
                           page="files")


@bp.get("/files/<int:file_id>/archive")
def archive(file_id: int):
    record = file_record(ledger(), file_id)
    path = _inside(desk().ws.archive, record.archive_path) if record else None
    if record is None or path is None:
        abort(404, "该文件没有存档副本。")
    return send_file(path, as_attachment=True, download_name=record.name, max_age=0)


# -- 文书 ---------------------------------------------------------------------------------------

bp_documents = Blueprint("documents", __name__)


@bp_documents.get("/documents")
def documents_index():
    return render_template("documents.html", weeks=by_week(list_documents(desk().ws)), page="documents")


def _document(rel: str) -> Path:
    try:
        return resolve_document(desk().ws, rel)
    except OutsideOutbox:
        abort(404, "没有这个文书（只能打开 outbox 文件夹里的文件）。")


@bp_documents.get("/documents/open/<path:rel>")
def document_open(rel: str):
    path = _document(rel)
    mimetype = INLINE.get(path.suffix.lower())
    response = send_file(path, mimetype=mimetype, as_attachment=mimetype is None, download_name=path.name, max_age=0)
    if path.suffix.lower() == ".html":
        response.headers["Content-Security-Policy"] = DOCUMENT_CSP
    return response


@bp_documents.get("/documents/download/<path:rel>")
def document_download(rel: str):
    path = _document(rel)
    return send_file(path, as_attachment=True, download_name=path.name, max_age=0)
