"""The clerk's desk (`sancha serve`): a local web page over the workspace, in Chinese, offline.

    app.py          create_app(): the Flask app for a workspace (views, security, templates)
    security.py     who is asking, CSRF, login limits, 领导 read-only, headers
    accounts.py     data/users.json: `sancha user add|list|remove`, scrypt hashes
    states_cache.py every item's state as of a day, kept until the ledger changes
    outbox.py       the documents in outbox/ by week; the only way a page names a file there
    todo.py         待办: one provider per kind of task
    batch.py        批处理 in a background thread, one at a time
    server.py       serve(): waitress on the chosen address, the account rule for other binds
    views/          one module per group of pages; each reads through library functions
"""
