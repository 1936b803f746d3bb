"""两级联动 leftovers (issue 21): what travels between the levels keeps its meaning.

The district (大观区) and its township 海口镇, each with its own sancha (the `levels` fixture of
test_two_levels): the 下发包's items are 上级交办 in the township; 时间节点, 整改目标, 联系电话
and 整改建议 go both ways; the district's source note is written once and never echoed back.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date

import test_two_levels as two
from builders import HEADER, data_row, submission_rows, xlsx_bytes
from test_two_levels import send_down, send_up, unit_form

levels = two.levels  # the fixture: a district and its township, each with its own sancha
D = date
DISTRICT = "大观区人民政府办公室"
CITY = two.CITY


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


def test_an_item_registered_as_other_is_put_right_by_the_next_package(levels):
    district, township = levels
    # as before the fix: the township's office had the district's name counted as 其他
    plain = township.ws.config_path.read_text(encoding="utf-8")
    township.ws.config_path.write_text(plain + '[sources]\n"其他" = ["大观区人民政府办公室"]\n', encoding="utf-8")
    township = two.Level(type(township.ws)(township.ws.root), township.capsys)
    assign(district, [data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-11-20")],
           D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    (item,) = township.items(D(2026, 11, 2)).values()
    assert item["source_category"] == "其他"
    township.ws.config_path.write_text(plain, encoding="utf-8")
    township = two.Level(type(township.ws)(township.ws.root), township.capsys)
    (down,) = send_down(district, township, D(2026, 11, 9))
    assert down["updated"] == [item["id"]]
    assert township.items(D(2026, 11, 9))[item["id"]]["source_category"] == "上级交办"
    assert township.items(D(2026, 11, 6))[item["id"]]["source_category"] == "其他"  # the days before stay


MORE = ["整改建议", "整改目标", "时间节点", "联系电话"]


def with_more(row: list, suggestion="", target="", milestones="", phone="") -> list:
    return [*row, suggestion, target, milestones, phone]


def more_form(unit: str, rows: list, day: date) -> bytes:
    return xlsx_bytes(submission_rows(*rows, unit=unit, report_date=f"{day:%Y年%-m月%-d日}", header=[*HEADER, *MORE]))


def test_milestones_target_phone_and_suggestion_go_down_and_come_back_up(levels):
    district, township = levels
    district.drop(None, "交办.xlsx", more_form("督查室", [with_more(
        data_row(1, problem="农村危房改造进度滞后", lead_unit="海口镇", deadline="2026-12-31"),
        suggestion="建立危房台账，逐户销号", target="年底前全部完成改造",
        milestones="2026年11月30日前完成排查；2026年12月31日前完成改造", phone="0556-5501234")], D(2026, 11, 2)))
    (registered,) = district.ingest(D(2026, 11, 2))
    assert registered["accepted"], registered
    (down,) = send_down(district, township, D(2026, 11, 2))
    assert down["accepted"], down
    (t,) = township.items(D(2026, 11, 2)).values()
    assert (t["suggestion"], t["target"], t["phone"]) == ("建立危房台账，逐户销号", "年底前全部完成改造", "0556-5501234")
    assert [(m["due"], m["done_on"]) for m in t["milestones"]] == [("2026-11-30", None), ("2026-12-31", None)]

    # 11-3 the township assigns it; 11-27 the village reports the first step done, its own target
    # and phone; the township reports up; the district has what the village said
    township.run("reassign", t["id"], "--to", "新河村", "--note", "镇督查室交办", "--on", D(2026, 11, 3))
    township.drop("新河村", "新河村.xlsx", more_form("新河村", [with_more(
        data_row(1, item_id=t["id"], problem="农村危房改造进度滞后", lead_unit="新河村", deadline="2026-12-31",
                 progress="已排查45户"),
        target="年底前全部完成改造，住户全部入住",
        milestones="2026年11月30日前完成排查（11月26日完成）；2026年12月31日前完成改造", phone="13905561234")],
        D(2026, 11, 27)))
    (village,) = township.ingest(D(2026, 11, 27))
    assert village["accepted"], village
    send_up(township, district, D(2026, 11, 27), D(2026, 11, 27))
    d = district.items(D(2026, 11, 27))["2026-0001"]
    t = township.items(D(2026, 11, 27))[t["id"]]
    for key in ("suggestion", "target", "phone", "milestones"):
        assert d[key] == t[key], key
    assert (d["target"], d["phone"]) == ("年底前全部完成改造，住户全部入住", "13905561234")
    assert [(m["due"], m["done_on"]) for m in d["milestones"]] == [("2026-11-30", "2026-11-26"), ("2026-12-31", None)]
    # and the district's behind-milestone view is the township's: nothing 滞后 on 12-1
    assert district.items(D(2026, 12, 1))["2026-0001"]["state"] != "滞后"


def test_the_districts_source_note_is_written_once_and_never_echoed_back(levels):
    district, township = levels
    assign(district, [data_row(1, source="巡查", problem="河道沿线垃圾清理不及时", lead_unit="海口镇",
                               deadline="2026-12-20", remark="区里备注：请镇里每周报一次")], D(2026, 11, 2))
    t_id = None
    for week, day in enumerate([D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23)]):
        (down,) = send_down(district, township, day)
        assert down["accepted"], down
        (t,) = township.items(day).values()
        t_id = t["id"]
        if week == 1:  # the village sends its form back, the note it was shown left in
            township.run("reassign", t_id, "--to", "海口村", "--note", "镇督查室交办", "--on", day)
            township.drop("海口村", f"海口村{day}.xlsx", unit_form("海口村", [
                data_row(1, item_id=t_id, problem="河道沿线垃圾清理不及时", lead_unit="海口村", deadline="2026-12-20",
                         progress="已清理5公里", status="需上级协调",
                         remark=f"{t['remark']}；河道跨区界，需区水利局统一协调")], day))
            assert township.ingest(day)[0]["accepted"]
        send_up(township, district, day, day)
        t = township.items(day)[t_id]
        d = district.items(day)["2026-0001"]
        assert t["remark"].count("上级台帐问题来源") == 1, (week, t["remark"])
        assert "上级台帐问题来源" not in (d["remark"] or ""), (week, d["remark"])
    assert t["remark"] == "上级台帐问题来源：巡查；河道跨区界，需区水利局统一协调"
    assert d["remark"] == "河道跨区界，需区水利局统一协调"  # the village's words, the district's source left out
    assert d["state"] == "待上级协调"


def answers(level, item_id: str, day: date) -> list[dict]:
    shown = json.loads(level.run("show", item_id, "--json", "--as-of", day))
    return [e for e in shown["events"] if e["kind"] == "answer"]


def test_the_citys_answer_comes_down_to_the_district_and_the_township_once(levels, tmp_path):
    district, township = levels
    # the city's list maps its 答复意见 column: the answer to what the district reported upward
    toml = district.ws.config_path.read_text(encoding="utf-8").replace(
        '"办理时限" = "deadline"}\n', '"办理时限" = "deadline", "答复意见" = "answer"}\n', 1)
    district.ws.config_path.write_text(toml, encoding="utf-8")
    district = two.Level(type(district.ws)(district.ws.root), district.capsys)
    first = tmp_path / "市督办清单.xlsx"
    first.write_bytes(xlsx_bytes([["市政府督查室督办事项清单"], ["序号", "督办事项", "责任单位", "办理时限", "答复意见"],
                                  ["3", "做好冬季河道保洁", "海口镇", D(2026, 11, 30), ""]]))
    assert "新增 1 项" in district.run("upstream", "import", first, "--from", CITY, "--as-of", D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    (t,) = township.items(D(2026, 11, 2)).values()
    d_id = t["upstream_id"]
    # the township cannot solve it: 需上级协调 goes up; the district reports it to the city
    township.drop("海口镇", "镇.xlsx", unit_form("海口镇", [
        data_row(1, item_id=t["id"], problem="做好冬季河道保洁", lead_unit="海口镇", deadline="2026-11-30",
                 status="需上级协调", progress="河道跨区界，需市里统一调度保洁船只")], D(2026, 11, 9)))
    assert township.ingest(D(2026, 11, 9))[0]["accepted"]
    send_up(township, district, D(2026, 11, 10), D(2026, 11, 10))
    district.run("escalate", d_id, "--to", CITY, "--on", D(2026, 11, 11))
    assert district.items(D(2026, 11, 11))[d_id]["state"] == "待上级协调"

    # 11-20 the city's next list answers, with a new time limit; imported twice, one answer
    answered = tmp_path / "市督办清单2.xlsx"
    answered.write_bytes(xlsx_bytes([["市政府督查室督办事项清单"], ["序号", "督办事项", "责任单位", "办理时限", "答复意见"],
                                     ["3", "做好冬季河道保洁", "海口镇", D(2027, 1, 15), "由市城管局统一调度保洁船只"]]))
    district.run("upstream", "import", answered, "--from", CITY, "--as-of", D(2026, 11, 20))
    district.run("upstream", "import", answered, "--from", CITY, "--as-of", D(2026, 11, 21))
    (a,) = answers(district, d_id, D(2026, 11, 21))
    assert (a["on"], a["data"]["answer"], a["new"]) == ("2026-11-20", "由市城管局统一调度保洁船只", "2027-01-15")
    d = district.items(D(2026, 11, 21))[d_id]
    assert (d["state"], d["status"], d["deadline"]) == ("正常推进", "推进中", "2027-01-15")
    shown = json.loads(district.run("show", d_id, "--json", "--as-of", D(2026, 11, 21)))
    assert not [e for e in shown["events"] if e["kind"] == "extend"]  # the answer's new deadline, no extension

    # the 下发包 brings the answer down; next week's package (other bytes, same answer) adds nothing
    send_down(district, township, D(2026, 11, 23))
    send_down(district, township, D(2026, 11, 30))
    (a,) = answers(township, t["id"], D(2026, 11, 30))
    assert (a["on"], a["data"]["answer"], a["new"]) == ("2026-11-23", "由市城管局统一调度保洁船只", "2027-01-15")
    t = township.items(D(2026, 11, 30))[t["id"]]
    assert (t["state"], t["status"], t["deadline"]) == ("正常推进", "推进中", "2027-01-15")
    # a new request upward in the township is not answered by the old answer of the next package
    township.drop("海口镇", "镇2.xlsx", unit_form("海口镇", [
        data_row(1, item_id=t["id"], problem="做好冬季河道保洁", lead_unit="海口镇", deadline="2027-01-15",
                 status="需上级协调", progress="保洁船只仍未到位")], D(2026, 12, 2)))
    assert township.ingest(D(2026, 12, 2))[0]["accepted"]
    send_down(district, township, D(2026, 12, 7))
    assert len(answers(township, t["id"], D(2026, 12, 7))) == 1
    assert township.items(D(2026, 12, 7))[t["id"]]["state"] == "待上级协调"


JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # a photo's first bytes, and some more
PDF = b"%PDF-1.7\n" + "验收报告".encode() * 100


def rewrite_part(data: bytes, suffix: str, change) -> bytes:
    """The workbook with its zip member ending in `suffix` changed in transit (a damaged copy)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, change(body) if info.filename.endswith(suffix) else body)
    return out.getvalue()


def test_evidence_travels_up_with_the_report_byte_for_byte_once(levels, tmp_path):
    district, township = levels
    assign(district, [data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-12-20")],
           D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    (t,) = township.items(D(2026, 11, 2)).values()
    township.run("reassign", t["id"], "--to", "海口村", "--note", "镇督查室交办", "--on", D(2026, 11, 3))
    # the village sends two files the usual ways: a 佐证 folder, a name starting with the 编号
    township.drop(f"海口村/佐证/{t['id']}", "整改照片.jpg", JPEG)
    township.drop("海口村", f"{t['id']}_验收报告.pdf", PDF)
    township.ingest(D(2026, 11, 9))
    t_files = json.loads(township.run("show", t["id"], "--json"))["evidence"]
    assert sorted(f["name"] for f in t_files) == [f"{t['id']}_验收报告.pdf", "整改照片.jpg"]

    report = tmp_path / "up.xlsx"
    out = township.run("upstream", "export", "--as-of", D(2026, 11, 10), "-o", report)
    assert "附佐证材料 2 份" in out
    district.drop("海口镇", "up1.xlsx", report.read_bytes())
    (up,) = district.ingest(D(2026, 11, 10))
    assert up["accepted"] and not [f for f in up["issues"] if f["code"].startswith("evidence")], up["issues"]
    d_files = json.loads(district.run("show", "2026-0001", "--json"))["evidence"]
    assert sorted((f["name"], f["sha256"]) for f in d_files) == sorted((f["name"], f["sha256"]) for f in t_files)
    assert {f["sha256"] for f in d_files} == {hashlib.sha256(b).hexdigest() for b in (JPEG, PDF)}
    got = {}
    for n in (1, 2):
        path = tmp_path / f"got{n}"
        district.run("evidence", "2026-0001", "--get", n, "-o", path)
        got[path.read_bytes()[:4]] = path.read_bytes()
    assert got == {JPEG[:4]: JPEG, PDF[:4]: PDF}  # byte for byte
    assert len(district.items(D(2026, 11, 10))["2026-0001"]["evidence"]) == 2

    # the next report carries them again: the district already has them, nothing is added
    again = tmp_path / "up2.xlsx"
    township.run("upstream", "export", "--as-of", D(2026, 11, 13), "-o", again)
    district.drop("海口镇", "up2.xlsx", again.read_bytes())
    (up2,) = district.ingest(D(2026, 11, 13))
    assert up2["accepted"] and len(json.loads(district.run("show", "2026-0001", "--json"))["evidence"]) == 2

    # a file damaged on the way is refused by its SHA-256, named in the receipt; the rest is taken
    township.drop("海口村", f"{t['id']}_补充照片.jpg", JPEG + b"more")
    township.ingest(D(2026, 11, 16))
    third = tmp_path / "up3.xlsx"
    township.run("upstream", "export", "--as-of", D(2026, 11, 16), "-o", third)
    damaged = rewrite_part(third.read_bytes(), "3.bin", lambda b: b[:-1] + b"x")
    district.drop("海口镇", "up3.xlsx", damaged)
    (up3,) = district.ingest(D(2026, 11, 16))
    assert up3["accepted"]
    (refused,) = [f for f in up3["issues"] if f["code"] == "evidence-in-report"]
    assert "补充照片.jpg" in refused["message"] and "SHA-256" in refused["message"]
    assert len(json.loads(district.run("show", "2026-0001", "--json"))["evidence"]) == 2


def test_evidence_too_big_for_the_report_is_listed_and_goes_the_ordinary_way(levels, tmp_path):
    district, township = levels
    plain = township.ws.config_path.read_text(encoding="utf-8")
    township.ws.config_path.write_text(plain + "[limits]\nmax_file_mb = 0.1\n", encoding="utf-8")
    township = two.Level(type(township.ws)(township.ws.root), township.capsys)
    assign(district, [data_row(1, problem="河道沿线垃圾清理不及时", lead_unit="海口镇", deadline="2026-12-20")],
           D(2026, 11, 2))
    send_down(district, township, D(2026, 11, 2))
    (t,) = township.items(D(2026, 11, 2)).values()
    big = JPEG * 30  # about 60 KB: with the workbook, over the 0.1 MB a file may have
    township.drop("海口镇", f"{t['id']}_航拍照片.jpg", big)
    township.drop("海口镇", f"{t['id']}_验收报告.pdf", PDF)
    township.ingest(D(2026, 11, 9))
    report = tmp_path / "up.xlsx"
    out = township.run("upstream", "export", "--as-of", D(2026, 11, 10), "-o", report)
    assert "附佐证材料 1 份" in out and "以下 1 份佐证材料放不进报表" in out
    assert f"2026-0001  {t['id']}_航拍照片.jpg" in out and "inbox/海口镇/佐证/<上级编号>/" in out
    district.drop("海口镇", "up.xlsx", report.read_bytes())
    district.ingest(D(2026, 11, 10))
    district.drop("海口镇/佐证/2026-0001", "航拍照片.jpg", big)  # as the export says
    district.ingest(D(2026, 11, 10))
    d_files = json.loads(district.run("show", "2026-0001", "--json"))["evidence"]
    assert sorted(f["sha256"] for f in d_files) == sorted(hashlib.sha256(b).hexdigest() for b in (big, PDF))


def _report_zip(manifest: list) -> bytes:
    from pipeline.upstream import evidence_up

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("sancha/evidence/1.bin", b"%PDF-1.4 small")
        z.writestr("sancha/evidence/2.bin", b"\0" * (3 * 1024 * 1024))  # compresses to almost nothing
        z.writestr(evidence_up.MANIFEST, json.dumps(manifest))
    return buf.getvalue()


def test_a_hostile_manifest_reads_each_part_once_and_no_part_over_the_limit(monkeypatch):
    """A report whose manifest names one part thousands of times, or carries a part larger than
    the district takes, must not make the district's ingest read it thousands of times or at all."""
    from pipeline.upstream import evidence_up

    small = {"part": "sancha/evidence/1.bin", "upstream_id": "2026-0001", "name": "a.pdf", "sha256": "x"}
    big = {"part": "sancha/evidence/2.bin", "upstream_id": "2026-0001", "name": "b.pdf", "sha256": "y"}
    many, two_parts = _report_zip([small] * 20000), _report_zip([big, small])
    reads: list[str] = []
    original = zipfile.ZipFile.read

    def counted(self, name, pwd=None):
        reads.append(str(getattr(name, "filename", name)))
        return original(self, name, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "read", counted)
    found = evidence_up.embedded(many, max_bytes=1024 * 1024)
    assert len(found) == evidence_up.MAX_CARRIED and all(e.data == b"%PDF-1.4 small" for e in found)
    assert reads.count("sancha/evidence/1.bin") == 1
    reads.clear()
    found = evidence_up.embedded(two_parts, max_bytes=1024 * 1024)
    assert [(e.name, e.data is None, e.size) for e in found] == [("b.pdf", True, 3 * 1024 * 1024), ("a.pdf", False, 14)]
    assert "sancha/evidence/2.bin" not in reads  # sized from its entry, never inflated
