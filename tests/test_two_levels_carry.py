"""两级联动 leftovers (issue 21): what travels between the levels keeps its meaning.

The district (大观区) and its township 海口镇, each with its own sancha (the `levels` fixture of
test_two_levels): the 下发包's items are 上级交办 in the township; 时间节点, 整改目标, 联系电话
and 整改建议 go both ways; the district's source note is written once and never echoed back.
"""

from __future__ import annotations

from datetime import date

import test_two_levels as two
from builders import data_row
from test_two_levels import send_down, unit_form

levels = two.levels  # the fixture: a district and its township, each with its own sancha
D = date
DISTRICT = "大观区人民政府办公室"


def assign(district, rows, day: date) -> list[str]:
    """The district's office registers work for 海口镇 with its own file."""
    district.drop(None, f"交办{day}.xlsx", unit_form("督查室", rows, day))
    (result,) = district.ingest(day)
    assert result["accepted"], result
    return result["added"]


def test_items_coming_down_in_the_package_are_assigned_by_the_level_above(levels):
    district, township = levels
    assign(district, [data_row(1, source="巡查", problem="河道沿线垃圾清理不及时", lead_unit="海口镇",
                               deadline="2026-11-20")], D(2026, 11, 2))
    (down,) = send_down(district, township, D(2026, 11, 2))
    assert down["accepted"] and not [f for f in down["issues"] if f["code"] == "unknown-source"], down["issues"]
    (item,) = township.items(D(2026, 11, 2)).values()
    assert (item["source_category"], item["source"], item["upstream"], item["upstream_id"]) == (
        "上级交办", DISTRICT, DISTRICT, "2026-0001")
    assert item["remark"] == "上级台帐问题来源：巡查"  # the district's own source, kept for the reader
