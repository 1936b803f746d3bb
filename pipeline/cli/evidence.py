"""evidence: an item's 佐证材料 files listed, and one written back out byte for byte from the
archive (`--get N -o PATH`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import app, console, get_workspace
from pipeline.cli.params import ItemIdArgument
from pipeline.errors import Refused, UsageError
from pipeline.files import write_atomic
from pipeline.ledger.evidence import archived_bytes, evidence_files
from pipeline.ledger.ledger import Ledger
from pipeline.output.show import evidence_lines


def _files(ws, item_id: str):
    if not ws.db_path.exists():
        raise Refused(f"台帐中没有编号 {item_id}")
    with Ledger.open(ws.db_path) as ledger:
        item = ledger.item(item_id)
        if item is None:
            raise Refused(f"台帐中没有编号 {item_id}")
        return item, evidence_files(ledger.events(item_id))


@app.command("evidence")
def evidence_command(
    ctx: typer.Context,
    item_id: ItemIdArgument,
    get: Annotated[int | None, typer.Option("--get", help="取出第 N 份佐证材料（序号见列表）", min=1,
                                            show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="--get 取出的文件保存到哪里（文件路径）",
                                                show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    """列出一个事项收到的佐证材料；--get N -o 路径 把第 N 份原样取出。"""
    ws = get_workspace(ctx)
    item, files = _files(ws, item_id)
    if get is None:
        if output is not None:
            raise UsageError("-o 只与 --get N 一起使用")
        if as_json:
            sys.stdout.write(json.dumps([f.as_json() | {"size": f.size, "unit": f.unit} for f in files],
                                        ensure_ascii=False, indent=2) + "\n")
            return
        console.print("\n".join([f"事项 {item.id}", *evidence_lines(files, item.evidence_text)]), markup=False)
        return
    if get > len(files):
        raise Refused(f"{item_id} 只有 {len(files)} 份佐证材料，没有第 {get} 份")
    if output is None:
        raise UsageError("请用 -o 指定保存的位置，例如 --get 1 -o 整改照片.jpg")
    f = files[get - 1]
    data = archived_bytes(ws.archive, f)
    target = output / f.name if output.is_dir() else output
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data)
    console.print(f"已取出 {item_id} 第 {get} 份佐证材料 {f.name}（{len(data)} 字节）到 {target}", markup=False)
