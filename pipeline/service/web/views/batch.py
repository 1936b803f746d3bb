"""批处理: run the weekly batch from the page, follow its progress, read its summary."""

from __future__ import annotations

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for

from pipeline.service.web.views.common import desk, parse_day

bp = Blueprint("batch", __name__)


@bp.get("/batch")
def index():
    d = desk()
    return render_template("batch.html", status=d.batch.status, today=d.today(), page="batch")


@bp.get("/batch/status.json")
def status():
    return jsonify(desk().batch.status.as_json())


@bp.post("/batch/run")
def run():
    d = desk()
    as_of = parse_day(request.form.get("as_of", ""), d.today())
    if d.batch.start(as_of, g.operator):
        flash(f"每周批处理已开始（截至 {as_of.isoformat()}）。", "info")
    else:
        flash("已有一个批处理正在运行，请等它结束。", "warning")
    return redirect(url_for("batch.index"), code=303)
