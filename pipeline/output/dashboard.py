"""The dashboard (看板): one self-contained HTML page a leader opens instead of the ledger.

`dashboard_context(...)` builds a pure dict from items, their states and the weekly snapshots;
`render_dashboard(ctx)` lays it out with `resources/dashboard.html.j2` (autoescaped) and inline
SVG charts drawn here. The page makes no network request: CSS, JS and charts are all inline, so
it opens by double-click on an offline intranet. `write_dashboard` is the thin shell around it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from pipeline.config import Config
from pipeline.deadlines.cndate import cn_date
from pipeline.deadlines.states import (
    Standing,
    UnitSummary,
    percent,
    standing,
    total_summary,
    unit_summary,
)
from pipeline.deadlines.workdays import PROVISIONAL_MARK
from pipeline.files import write_atomic
from pipeline.ledger.inspections import report_lines
from pipeline.ledger.ledger import Ledger
from pipeline.ledger.view import items_on, standing_on
from pipeline.model import (
    STATE_AWAITING_MEASURES,
    STATE_BEHIND,
    STATE_CLOSED,
    STATE_DONE,
    STATE_DUE_SOON,
    STATE_NEEDS_HELP,
    STATE_ON_TRACK,
    STATE_ONGOING,
    STATE_OVERDUE,
    Item,
    ItemState,
)
from pipeline.upstream.levels import latest as latest_levels
from pipeline.workspace import Workspace

DASHBOARD_NAME = "看板.html"
NO_SOURCE = "未填"

# Sources in the order the circular lists them (问题来源); others follow alphabetically.
SOURCE_ORDER = ("巡查", "督查", "考察", "第三方评估", "审计", "领导批示", "人大建议", "政协提案", "其他")

# Item state -> traffic light. The state's name is always shown with it: colour is never the only signal.
ITEM_LIGHTS = {
    STATE_OVERDUE: "red",
    STATE_DUE_SOON: "yellow",
    STATE_BEHIND: "yellow",
    STATE_AWAITING_MEASURES: "yellow",
    STATE_ON_TRACK: "green",
    STATE_ONGOING: "blue",
    STATE_DONE: "grey",
    STATE_CLOSED: "grey",
    STATE_NEEDS_HELP: "yellow",
}
STATE_ORDER = (STATE_OVERDUE, STATE_AWAITING_MEASURES, STATE_BEHIND, STATE_DUE_SOON, STATE_NEEDS_HELP, STATE_ON_TRACK,
               STATE_ONGOING, STATE_DONE, STATE_CLOSED)


@dataclass(frozen=True)
class Figure:
    """A headline figure: key in the weekly snapshot, label, and whether a rise is good news
    (None: neither, e.g. more items)."""

    key: str
    label: str
    rise_is_good: bool | None


# Keys are those of the weekly snapshot (`Ledger.save_snapshot(..., figures)`), see `headline_figures`.
FIGURES = (
    Figure("items", "整改事项", None),
    Figure("done", "已完成", True),
    Figure("done_on_time", "按时完成", True),
    Figure("overdue", "逾期", False),
    Figure("report_missing", "未按时报送", False),
    Figure("completion_rate", "完成率", True),
)
COUNT_KEYS = tuple(f.key for f in FIGURES if f.key != "completion_rate")


TREND_WEEKS = 8  # weeks of history on the trend chart when no weekly snapshot exists for them

# The page stays small whatever the ledger's size (issue 19: 50,000 items under 2 MB, open in
# under 2 s): every item is listed only up to FULL_LIST_MAX items; above that the red list
# (重点督查) alone, its first KEY_LIMIT rows, and the whole ledger is in the web desk and the
# 三单工作台帐 workbook.
FULL_LIST_MAX = 500
KEY_LIMIT = 200

# Severity bands of the units with overdue items (1–4; 0 for a unit with none): by the unit's
# share of items overdue, ranked among this page's red units — the worst tenth band 4, the next
# fifth band 3, the next three tenths band 2, the rest band 1 — so that with 300 units, most of
# them red, the colour still tells them apart. The word says the share itself (逾期23%).
BAND_FLOORS = ((0.9, 4), (0.7, 3), (0.4, 2))


def headline_figures(summaries: Iterable[UnitSummary]) -> dict:
    """The office-wide figures from per-unit summaries, keyed as a weekly snapshot stores them
    (completion_rate 0..1, None when there are no items)."""
    total = total_summary(summaries)
    figures = {key: getattr(total, key) for key in COUNT_KEYS}
    figures["completion_rate"] = total.completion_rate if total.items else None
    return figures


def _iso_week(d: date) -> tuple[int, int]:
    return d.isocalendar()[:2]


def _compare_label(as_of: date, previous: dict | None) -> str:
    """What the changes are measured against: 上周, or the date when a week or more was skipped."""
    if previous is None:
        return "上周"
    day = date.fromisoformat(previous["as_of"])
    return "上周" if (as_of - timedelta(weeks=1)).isocalendar()[:2] == _iso_week(day) else f"{day.month}月{day.day}日"


def _delta(key: str, now, before) -> dict | None:
    """Change since last week, as text that carries its sign (▲/▼ and +/−), never colour alone."""
    if now is None or before is None:
        return None
    diff = now - before
    if key == "completion_rate":
        points = round(diff * 100, 1)
        text = f"{points:+.1f} 个百分点" if points else "持平"
        direction = (points > 0) - (points < 0)
    else:
        text = f"{diff:+g}" if diff else "持平"
        direction = (diff > 0) - (diff < 0)
    arrow = {1: "▲", -1: "▼", 0: "■"}[direction]
    return {"value": diff, "text": f"{arrow} {text}", "direction": direction}


def _trend_points(trend, as_of: date, figures: dict) -> list[dict]:
    """One point per week: the latest snapshot of each earlier ISO week, then this page's figures."""
    weekly: dict[tuple[int, int], tuple[str, date, dict]] = {}
    for week_key, day, snap in trend or ():
        if _iso_week(day) < _iso_week(as_of):
            key = _iso_week(day)
            if key not in weekly or weekly[key][1] <= day:
                weekly[key] = (week_key, day, snap)
    points = []
    for week_key, day, snap in (weekly[k] for k in sorted(weekly)):
        point = {key: snap.get(key) for key in COUNT_KEYS}
        rate = snap.get("completion_rate")
        if rate is None and point["items"]:
            rate = (point["done"] or 0) / point["items"]
        point.update(completion_rate=rate, week=week_key, as_of=day.isoformat(), current=False)
        points.append(point)
    points.append({**figures, "week": "本周", "as_of": as_of.isoformat(), "current": True})
    for p in points:
        p["rate_display"] = percent(p["completion_rate"])
    return points


def overdue_share(summary: UnitSummary) -> float:
    return summary.overdue / summary.items if summary.items else 0.0


def severity_bands(summaries: Iterable[UnitSummary]) -> dict[str, int]:
    """unit -> band 1–4 for the units with overdue items (see BAND_FLOORS); units with the same
    share get the same band."""
    shares = sorted(overdue_share(s) for s in summaries if s.overdue)
    bands = {}
    for s in summaries:
        if s.overdue:
            below = bisect.bisect_left(shares, overdue_share(s))  # red units with a smaller share
            rank = below / (len(shares) - 1) if len(shares) > 1 else 1.0
            bands[s.unit] = next((band for floor, band in BAND_FLOORS if rank >= floor), 1)
    return bands


def _unit_light(summary: UnitSummary, band: int) -> tuple[str, str]:
    """(light, word) of a unit."""
    if summary.overdue:
        return "red", f"逾期{max(1, round(overdue_share(summary) * 100))}%"
    if summary.report_missing:
        return "red", "缺报"
    if summary.measures_missing:
        return "red", "未报措施"
    if summary.due_soon:
        return "yellow", "临期"
    if summary.behind:
        return "yellow", "滞后"
    return "green", "正常"


def _source_key(source: str) -> tuple:
    return (SOURCE_ORDER.index(source), "") if source in SOURCE_ORDER else (len(SOURCE_ORDER), source)


def _marked(text: str, provisional: bool) -> str:
    return f"{text}{PROVISIONAL_MARK}" if provisional and text else text


def _item_row(item: Item, st: ItemState) -> dict:
    if item.deadline:
        deadline = item.deadline.isoformat()
    else:
        deadline = item.deadline_text or ("长期坚持" if item.ongoing else "—")
    overdue = f"{st.overdue_workdays} 个工作日" if st.overdue_workdays else ""
    return {
        "id": item.id,
        "unit": item.unit,
        "source": item.source or NO_SOURCE,
        "problem": item.problem,
        "owner": item.owner or "",
        "deadline": deadline,
        "report_due": _marked(st.report_due.isoformat() if st.report_due else "", st.provisional),
        "state": st.state,
        "light": ITEM_LIGHTS[st.state],
        "overdue_workdays": st.overdue_workdays,
        "overdue_display": _marked(overdue, st.provisional),
        "report_missing": st.report_missing,
        "provisional": st.provisional,
    }


def _key_reason(row: dict, key_overdue_workdays: int) -> str:
    reasons = []
    if row["overdue_workdays"] > key_overdue_workdays:
        reasons.append(f"逾期超过 {key_overdue_workdays} 个工作日")
    if row["report_missing"]:
        reasons.append("整改时限届满后未按时报送整改情况")
    return "；".join(reasons)


def dashboard_context(config: Config, items: list[Item], states: dict[str, ItemState], as_of: date,
                      trend: list[tuple[str, date, dict]] | None = None, *, key_limit: int = KEY_LIMIT,
                      desk_url: str | None = None, inspection_reports: Sequence[str] = (),
                      levels: Iterable[dict] = ()) -> dict:
    """Everything the page shows, as plain data. `trend` is `Ledger.snapshots()` (may be empty);
    `desk_url` the address of a running web desk (`sancha serve`), linked from the page;
    `inspection_reports` the lines of inspections whose report is due soon or late; `levels` the
    townships' own figures from their last reports up (`upstream.levels.latest`)."""
    summaries = unit_summary(items, states)
    figures = headline_figures(summaries)
    points = _trend_points(trend, as_of, figures)
    previous = points[-2] if len(points) > 1 else None

    headline = []
    for f in FIGURES:
        value = figures[f.key]
        delta = _delta(f.key, value, previous[f.key]) if previous else None
        if delta:
            if f.rise_is_good is None or delta["direction"] == 0:
                delta["tone"] = "neutral"
            else:
                delta["tone"] = "good" if (delta["direction"] > 0) == f.rise_is_good else "bad"
        headline.append({
            "key": f.key,
            "label": f.label,
            "value": value,
            "display": percent(value) if f.key == "completion_rate" else str(value),
            "delta": delta,
        })

    full_list = len(items) <= FULL_LIST_MAX
    rows = sorted(
        (_item_row(item, states[item.id]) for item in items),
        key=lambda r: (STATE_ORDER.index(r["state"]), -r["overdue_workdays"], r["unit"], r["id"]),
    ) if full_list else []
    units = []
    bands = severity_bands(summaries)
    for s in summaries:
        band = bands.get(s.unit, 1 if s.report_missing else 0)
        light, word = _unit_light(s, band)
        units.append({
            "rank": "—" if s.rank is None else s.rank,  # nothing due or done: unranked
            "unit": s.unit,
            **{key: getattr(s, key) for key in COUNT_KEYS},
            "due_soon": s.due_soon,
            "completion_rate": s.completion_rate,
            "rate_display": percent(s.completion_rate),
            "light": light,
            "light_word": word,
            "band": band,
        })

    key_rows = [
        {**r, "reason": _key_reason(r, config.rules.key_overdue_workdays)}
        for r in (_item_row(item, states[item.id]) for item in items if states[item.id].key_supervision)
    ]
    key_rows.sort(key=lambda r: (-r["overdue_workdays"], r["unit"], r["id"]))
    key_total = len(key_rows)
    key_rows = key_rows[:key_limit]
    listed = rows if full_list else key_rows

    return {
        "title": "三查三单整改看板",
        "office": config.office_name,
        "as_of": as_of.isoformat(),
        "as_of_cn": cn_date(as_of),
        "levels": level_rows(levels),
        "previous_as_of": previous["as_of"] if previous else None,
        "compare_label": _compare_label(as_of, previous),
        "headline": headline,
        "inspection_reports": list(inspection_reports),
        "units": units,
        "key_supervision": key_rows,
        "key_total": key_total,
        "key_overdue_workdays": config.rules.key_overdue_workdays,
        "items": rows,
        "items_total": len(items),
        "full_list": full_list,
        "desk_url": desk_url,
        "trend": points,
        "filters": {
            "unit": [u["unit"] for u in units],
            "source": sorted({r["source"] for r in listed}, key=_source_key),
            "state": [s for s in STATE_ORDER if any(r["state"] == s for r in listed)],
        },
        "provisional": any(r["provisional"] for r in listed),
        "provisional_mark": PROVISIONAL_MARK,
    }


# -- charts: inline SVG drawn here, text escaped ---------------------------------------------

def _svg_text(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def unit_rate_chart(units: list[dict]) -> Markup:
    """Horizontal bars: completion rate per unit, in rank order, each bar labelled with its value."""
    label_w, bar_w, row_h, top = 130, 220, 24, 28
    width = label_w + bar_w + 90
    height = top + row_h * max(len(units), 1) + 10
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-units-title">',
        '<title id="chart-units-title">各单位整改完成率（条形图，数据见“各单位排名”表）</title>',
    ]
    for pct in (0, 25, 50, 75, 100):
        x = label_w + bar_w * pct / 100
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}"/>')
        parts.append(_svg_text(x, top - 12, f"{pct}%", "axis", "middle"))
    for i, u in enumerate(units):
        y = top + i * row_h
        rate = u["completion_rate"] or 0
        parts.append(_svg_text(label_w - 8, y + row_h * 0.62, u["unit"], "label", "end"))
        parts.append(f'<rect class="bar light-{u["light"]} band-{u["band"]}" x="{label_w}" y="{y + 4}" '
                     f'width="{max(bar_w * rate, 1.5):.1f}" height="{row_h - 8}"/>')
        parts.append(_svg_text(label_w + bar_w * rate + 6, y + row_h * 0.62,
                               f'{u["rate_display"]} {u["light_word"]}', "value"))
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(points: list[dict]) -> Markup:
    """Completion rate week by week: a line with each point's value written next to it."""
    width, height, left, right, top, bottom, inset = 560, 230, 48, 16, 24, 44, 36
    plot_w, plot_h = width - left - right - 2 * inset, height - top - bottom
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-trend-title">',
        '<title id="chart-trend-title">逐周整改完成率走势（折线图，数据见“逐周数据”表）</title>',
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        parts.append(_svg_text(left - 6, y + 4, f"{pct}%", "axis", "end"))
    step = plot_w / max(len(points) - 1, 1)
    coords, marks = [], []
    for i, p in enumerate(points):
        x = left + inset + (i * step if len(points) > 1 else plot_w / 2)
        parts.append(_svg_text(x, height - bottom + 18, p["as_of"][5:], "axis", "middle"))
        if p["current"]:
            parts.append(_svg_text(x, height - bottom + 34, "本周", "axis", "middle"))
        if p["completion_rate"] is None:
            continue
        y = top + plot_h * (1 - p["completion_rate"])
        coords.append(f"{x:.1f},{y:.1f}")
        marks.append(f'<circle class="point{" current" if p["current"] else ""}" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
        marks.append(_svg_text(x, y - 9, p["rate_display"], "value", "middle"))
    if len(coords) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(coords)}"/>')
    parts.extend(marks)
    parts.append("</svg>")
    return Markup("".join(parts))


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("resources"), encoding="utf-8"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_dashboard(ctx: dict) -> str:
    """The whole page as one HTML string (UTF-8, no external references)."""
    return _env.get_template("dashboard.html.j2").render(
        **ctx,
        unit_chart=unit_rate_chart(ctx["units"]),
        trend_svg=trend_chart(ctx["trend"]),
    )


# -- shell --------------------------------------------------------------------------------------

def past_days(as_of: date, weeks: int, since: date | None) -> list[date]:
    """The same weekday in each of the `weeks` weeks before `as_of`, oldest first, not before `since`."""
    days = [as_of - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    return [d for d in days if since is None or d >= since]


def rebuilt_trend(snapshots: list[tuple[str, date, dict]], as_of: date, since: date | None,
                  standing: Callable[[date], tuple[list[Item], dict[str, ItemState]]],
                  weeks: int = TREND_WEEKS, stored: Callable[[date, Callable[[], dict]], dict] | None = None,
                  ) -> list[tuple[str, date, dict]]:
    """The weekly snapshots, plus, for each of the past `weeks` weeks that has none, the figures
    of the ledger as it stood that day (`standing(day)`: the items and their states of the day,
    from their events). `stored(day, compute)`: the figures kept from an earlier run while they
    still hold, else `compute()` kept (`Ledger.day_figures`)."""
    have = {_iso_week(day) for _, day, _ in snapshots}
    out = list(snapshots)
    for day in past_days(as_of, weeks, since):
        if _iso_week(day) not in have:
            def compute(day: date = day) -> dict:
                return headline_figures(unit_summary(*standing(day)))

            out.append((f"{day:%G-W%V}", day, stored(day, compute) if stored else compute()))
    return sorted(out, key=lambda t: t[1])


def config_fingerprint(ws: Workspace) -> str:
    """What the figures of a day depend on besides the ledger (`ledger.standing.figures_key`)."""
    from pipeline.ledger.standing import figures_key

    return figures_key(ws)


def running_desk_url(ws: Workspace) -> str | None:
    """The address of the web desk serving this workspace, if one is running (data/serve.json,
    written by `sancha serve` while it runs)."""
    import json

    try:
        return json.loads((ws.data / SERVE_MARKER).read_text(encoding="utf-8")).get("url")
    except (OSError, ValueError, AttributeError):
        return None


SERVE_MARKER = "serve.json"


def level_rows(levels: Iterable[dict]) -> list[dict]:
    """下级台帐: each township's own figures from its last report up, marked with its day."""
    return [{"unit": lv["unit"], "reported_on": lv["reported_on"],
             "reported_cn": cn_date(date.fromisoformat(lv["reported_on"])), "items": lv["items"], "done": lv["done"],
             "overdue": lv["overdue"], "rate_display": percent(lv["rate"])} for lv in levels]


def dashboard_page(ws: Workspace, ledger: Ledger, now: Standing) -> bytes:
    """The page for the items and states of `now` (the ledger as it stood on `now.as_of`), with
    the trend of `ledger`'s snapshots. The weekly batch builds it beside its document pool from
    the standing it has already computed."""
    config, as_of = ws.config, now.as_of
    since = min((i.created_on for i in now.items), default=None)
    key = config_fingerprint(ws)
    trend = rebuilt_trend(ledger.snapshots(), as_of, since, lambda day: standing_on(ledger, config, day),
                          stored=lambda day, compute: ledger.day_figures(day, key, compute))
    reports = report_lines(ledger, as_of, now.calendar)
    levels = latest_levels(ledger, as_of)
    context = dashboard_context(config, now.items, now.states, as_of, trend, desk_url=running_desk_url(ws),
                                inspection_reports=reports, levels=levels)
    return render_dashboard(context).encode("utf-8")


def dashboard_path(ws: Workspace, path: Path | None = None) -> Path:
    return Path(path) if path else ws.outbox / DASHBOARD_NAME


def write_dashboard(ws: Workspace, as_of: date, path: Path | None = None) -> Path:
    """Read the ledger, compute states as of `as_of` and write the page (default outbox/看板.html)."""
    config = ws.config
    with Ledger.open(ws.db_path) as ledger:
        now = standing(config, items_on(ledger, config, as_of), as_of)
        page = dashboard_page(ws, ledger, now)
    return write_atomic(dashboard_path(ws, path), page)
