"""The desk's pages, one module per group. `register` puts them all on the app.

views/actions.py: the office's actions, a GET form and a POST per action under
/items/<id>/actions/<name>, and 撤销; they call the ledger's office-action functions with
`g.operator` and show the item's text before confirming.
views/inspections.py: 检查, the inspections with 登记检查 and 报告收到 as forms.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from pipeline.service.web.views import actions, auth, batch, files, inspections, items, overview, units

    for module in (auth, overview, items, actions, units, inspections, files, batch):
        app.register_blueprint(module.bp)
    app.register_blueprint(files.bp_documents)
