from datetime import date

import pytest
from builders import make_item, sancha_toml

from pipeline.cli import main
from pipeline.cli.ledger import shorten
from pipeline.ledger.ledger import Ledger
from pipeline.model import STATUS_DONE, STATUS_IN_PROGRESS, Item

# Three units, 区财政局 known as 财政局 only; no [calendar] (2027 is not in sancha.toml).
TOML = sancha_toml((("区财政局", ("财政局",)), ("区审计局", ()), ("菱湖街道", ())), holidays=())


def workspace(tmp_path, calendar: str = "") -> str:
    (tmp_path / "sancha.toml").write_text(TOML + calendar, encoding="utf-8")
    return str(tmp_path)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_calendar_lists_years_and_sources(tmp_path, capsys):
    ws = workspace(tmp_path)
    code, out, _ = run(capsys, "-C", ws, "calendar", "--as-of", "2026-06-01")
    assert code == 0
    assert out.splitlines() == [
        "内置日历 chinesecalendar 收录 2004–2026 年。",
        "年份  来源",
        "2025  内置日历（chinesecalendar）",
        "2026  内置日历（chinesecalendar）",
        "2027  暂定：周末及法定节假日（含补假）推算，不含调休",
    ]


def test_calendar_from_october_warns_and_prints_the_lines_to_add(tmp_path, capsys):
    ws = workspace(tmp_path)
    code, out, _ = run(capsys, "-C", ws, "calendar", "--as-of", "2026-10-08")
    assert code == 0
    lines = out.splitlines()
    assert "注意：2027 年的放假安排尚未收录" in out
    i = lines.index("[calendar]")
    assert lines[i + 1] == (
        'holidays = ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-04-05", '
        '"2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-04", "2027-10-05"]'
    )
    assert lines[i + 2] == "workdays = []"


def test_calendar_with_next_year_in_the_config(tmp_path, capsys):
    holidays = ", ".join(f'"2027-{d}"' for d in (
        "01-01", "02-05", "02-08", "02-09", "02-10", "02-11", "02-12", "04-05", "05-03", "05-04", "06-09",
        "09-15", "10-01", "10-04", "10-05", "10-06", "10-07",
    ))
    ws = workspace(tmp_path, f'\n[calendar]\nholidays = [{holidays}]\nworkdays = ["2027-02-20"]\n')
    code, out, _ = run(capsys, "-C", ws, "calendar", "--as-of", "2026-11-01")
    assert code == 0
    assert "2027  sancha.toml [calendar]" in out.splitlines()
    assert "注意" not in out


def test_calendar_warns_about_a_config_year_with_only_new_years_day(tmp_path, capsys):
    ws = workspace(tmp_path, '\n[calendar]\nholidays = ["2027-01-01"]\n')
    code, out, _ = run(capsys, "-C", ws, "calendar", "2027")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("2027 年：暂定")
    assert lines[1].startswith("注意：sancha.toml 只列了 2027 年的 1 个工作日放假")
    assert "2027-02-08（周一）" in lines[-2]  # Spring Festival is still off


def test_calendar_of_a_year(tmp_path, capsys):
    code, out, _ = run(capsys, "-C", workspace(tmp_path), "calendar", "2026")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == ["2026 年：内置日历（chinesecalendar）", "工作日 248 天"]
    assert lines[3] == (
        "调休上班（周六、周日）6 天：2026-01-04（周日）、2026-02-14（周六）、2026-02-28（周六）、"
        "2026-05-09（周六）、2026-09-20（周日）、2026-10-10（周六）"
    )


def test_calendar_rejects_a_bad_date(tmp_path, capsys):
    code, _, err = run(capsys, "-C", workspace(tmp_path), "calendar", "--as-of", "2026-13-01")
    assert code == 2 and "--as-of" in err


def item(item_id, unit, deadline, status=STATUS_IN_PROGRESS, problem="老旧小区雨污分流改造进度滞后", **kw) -> Item:
    return make_item(item_id, unit, deadline, status, problem=problem, **kw)


@pytest.fixture
def ledger_ws(tmp_path):
    ws = workspace(tmp_path)
    items = [
        item("2026-0001", "区财政局", date(2026, 11, 20), STATUS_DONE, done_on=date(2026, 11, 18)),
        item("2026-0002", "区财政局", date(2026, 12, 30)),
        item("2026-0003", "区审计局", date(2026, 11, 2), problem="审计发现专项资金闲置" * 4),
        item("2026-0004", "菱湖街道", date(2026, 11, 30), last_report_on=date(2026, 12, 1)),
    ]
    with Ledger.open(tmp_path / "data" / "ledger.sqlite") as ledger, ledger.transaction():
        ledger.insert_items([(i, i.problem) for i in items])
    return ws


def test_status_summary_and_red_list(ledger_ws, capsys):
    code, out, _ = run(capsys, "-C", ledger_ws, "status", "--as-of", "2026-12-02")
    assert code == 0
    assert "截至 2026-12-02，全部单位共 4 项整改事项。" in out
    assert "各单位整改情况" in out and "红色清单" in out
    # 完成率 = done ÷ (due or done) (issue 16): 区财政局 1/1 (2026-0002 is not due), all units 1/3.
    assert "100.0%" in out and "33.3%" in out and "50.0%" not in out
    red = out[out.index("红色清单"):]
    assert red.index("2026-0003") < red.index("2026-0004")  # key supervision first
    assert "报告缺失" in red and "重点督查" in red
    assert "2026-0001" not in red and "2026-0002" not in red
    assert "…" in red  # long problems are shortened
    assert "（暂定）" not in out


def test_status_marks_provisional_counts(ledger_ws, capsys):
    code, out, _ = run(capsys, "-C", ledger_ws, "status", "--as-of", "2027-01-06")
    assert code == 0
    assert "（暂定）" in out and "按暂定日历计算" in out


def test_status_of_one_unit_by_alias(ledger_ws, capsys):
    code, out, _ = run(capsys, "-C", ledger_ws, "status", "--as-of", "2026-12-02", "--unit", "财政局")
    assert code == 0
    assert "区财政局共 2 项" in out and "没有逾期事项。" in out
    assert "区审计局" not in out


def test_status_unknown_unit_suggests(ledger_ws, capsys):
    code, _, err = run(capsys, "-C", ledger_ws, "status", "--unit", "区财政")
    assert code == 2 and "是否应为 区财政局" in err


def test_shorten():
    assert shorten("审计发现专项资金闲置" * 4, 24) == "审计发现专项资金闲置审计发现专项资金闲置审计发…"
    assert shorten(" 短\n问题 ", 24) == "短 问题"


def test_status_without_a_ledger_creates_nothing(tmp_path, capsys):
    code, out, _ = run(capsys, "-C", workspace(tmp_path), "status", "--as-of", "2026-12-02")
    assert code == 0 and "没有事项" in out
    assert not (tmp_path / "data").exists()


@pytest.fixture
def city_ws(tmp_path):
    """Fourteen units (more than status lists by default), each with one or two overdue items."""
    from pipeline.cli.ledger import RED_ROWS, UNIT_ROWS

    names = [f"第{n:02d}街道" for n in range(1, UNIT_ROWS + 5)]
    (tmp_path / "sancha.toml").write_text(sancha_toml(tuple((n, ()) for n in names), holidays=()), encoding="utf-8")
    items = [make_item(f"2026-{k + 1:04d}", names[k % len(names)], date(2026, 11, 2 + k % 20),
                       last_report_on=date(2026, 11, 1)) for k in range(RED_ROWS + 5)]
    with Ledger.open(tmp_path / "data" / "ledger.sqlite") as ledger, ledger.transaction():
        ledger.insert_items([(i, i.id) for i in items])
    return str(tmp_path), names, items


def test_status_prints_about_a_screen_the_last_units_and_the_most_urgent_items(city_ws, capsys):
    from pipeline.cli.ledger import RED_ROWS, UNIT_ROWS

    ws, names, items = city_ws
    code, out, _ = run(capsys, "-C", ws, "status", "--as-of", "2026-12-02")
    assert code == 0
    table, red = out[:out.index("红色清单")], out[out.index("红色清单"):]
    assert sum(n in table for n in names) == UNIT_ROWS
    assert f"另有 {len(names) - UNIT_ROWS} 个单位" in table and "sancha status --all" in table
    assert f" {len(items)} │" in table  # the total row still counts every item
    assert sum(i.id in red for i in items) == RED_ROWS
    assert "2026-0001" in red  # the longest overdue (2 November) comes first
    assert f"红色清单共 {len(items)} 项，只列最紧急的 {RED_ROWS} 项" in red


def test_status_all_lists_every_unit_and_every_red_item(city_ws, capsys):
    ws, names, items = city_ws
    code, out, _ = run(capsys, "-C", ws, "status", "--as-of", "2026-12-02", "--all")
    assert code == 0
    assert all(n in out for n in names) and all(i.id in out for i in items)
    assert "另有" not in out and "只列" not in out
    assert run(capsys, "-C", ws, "status", "--as-of", "2026-12-02", "--json")[1] == \
        run(capsys, "-C", ws, "status", "--as-of", "2026-12-02", "--json", "--all")[1]
