"""`sancha serve`: the web desk on waitress (pure Python, runs on Windows), on 127.0.0.1 unless
asked otherwise. Any other address needs at least one account (`sancha user add`): the desk
refuses to start without. While it runs, data/serve.json says where (the offline 看板 links to it)."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.errors import UsageError
from pipeline.files import write_atomic
from pipeline.output.dashboard import SERVE_MARKER
from pipeline.service.web.accounts import load_accounts
from pipeline.service.web.security import is_local_host
from pipeline.workspace import Workspace

log = logging.getLogger("sancha.web")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
THREADS = 6


class ServeRefused(UsageError):
    """The desk will not start on that address (message in Chinese)."""


@dataclass(frozen=True)
class Served:
    url: str
    host: str
    port: int


def check_bind(ws: Workspace, host: str) -> bool:
    """True for a local bind (no login needed while there are no accounts); raises ServeRefused
    for another address without accounts."""
    if is_local_host(host):
        return True
    if not load_accounts(ws):
        raise ServeRefused(
            f"在 {host} 上开放督查台帐需要先添加账号，否则同一网络里的任何人都能打开台帐。"
            "请先运行 sancha user add 用户名 --role 督查室（领导只读账号用 --role 领导），再启动；"
            "只在本机使用时不要加 --host。")
    return False


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host in ("::", "::1") else host)
    return f"http://{shown}:{port}/"


def _stop_on_sigterm() -> None:
    """A service manager's stop (SIGTERM) ends the desk as Ctrl+C does: the marker is removed."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def serve(ws: Workspace, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, open_browser: bool = False,
          ready: Callable[[Served], None] | None = None) -> None:
    """Run the desk until interrupted (Ctrl+C)."""
    from waitress import create_server

    from pipeline.service.web.app import create_app

    local = check_bind(ws, host)
    app = create_app(ws, local=local)
    try:
        server = create_server(app, host=host, port=port, threads=THREADS, ident="sancha")
    except OSError as e:
        raise ServeRefused(f"无法在 {host}:{port} 上启动（{e.strerror or e}）。"
                           "端口可能已被占用，可用 --port 换一个。") from None
    actual = server.effective_port if hasattr(server, "effective_port") else port
    served = Served(url_of(host, int(actual)), host, int(actual))
    marker = ws.data / SERVE_MARKER
    write_atomic(marker, json.dumps({"url": served.url, "pid": os.getpid()}, ensure_ascii=False).encode("utf-8"))
    log.info("督查台帐网页已启动：%s（%s）", served.url, "本机" if local else "需登录")
    if ready:
        ready(served)
    desk = app.extensions["sancha"]
    # every item's state, computed before the first page asks for it (about 1 s at 50,000 items)
    threading.Thread(target=lambda: desk.states.snapshot(desk.today()), name="sancha-warm", daemon=True).start()
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(served.url,)).start()
    _stop_on_sigterm()
    try:
        server.run()
    finally:
        server.close()
        desk.states.close()
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("pid") == os.getpid():
                marker.unlink()
        except (OSError, ValueError):
            pass
