"""A small ledger built in code for the dashboard tests: every state, a provisional date,
hostile text, and two earlier weekly snapshots."""

from datetime import date
from html.parser import HTMLParser

from builders import UNITS, make_item, sancha_toml

from pipeline.config import parse_config
from pipeline.deadlines.states import standing
from pipeline.model import STATUS_DONE, STATUS_IN_PROGRESS, STATUS_ONGOING, Item
from pipeline.output.dashboard import dashboard_context

D = date
AS_OF = D(2026, 11, 30)  # a Monday
HOSTILE = 'A&B<二期>"引号"\'单\'<script>alert(1)</script>'
HOSTILE_SOURCE = "A&B<二期>"

CONFIG_TOML = sancha_toml((*UNITS, ("区教育局", ())))  # the test units and one more
CONFIG = parse_config(CONFIG_TOML)


def item(item_id, unit, source, deadline, status=STATUS_IN_PROGRESS, problem="问题", **kw) -> Item:
    return make_item(item_id, unit, deadline, status, source=source, problem=problem, owner="张三", **kw)


ITEMS = [
    # overdue since October, no report since: 重点督查 for both reasons
    item("2026-0001", "区财政局", "审计", D(2026, 10, 30), problem=HOSTILE),
    item("2026-0002", "区财政局", "巡查", D(2026, 11, 20), STATUS_DONE, done_on=D(2026, 11, 18)),
    item("2026-0003", "区住房城乡建设局", "督查", D(2026, 12, 2)),  # 临期
    item("2026-0004", "区住房城乡建设局", "巡查", D(2026, 12, 31)),  # 正常推进
    item("2026-0005", "菱湖街道", "领导批示", None, STATUS_ONGOING, last_report_on=D(2026, 11, 16)),  # 长期坚持
    item("2026-0006", "菱湖街道", "巡查", D(2026, 11, 10), STATUS_DONE, done_on=D(2026, 11, 12),
         closed_on=D(2026, 11, 20)),  # 已销号, done late
    item("2026-0007", "区审计局", None, D(2027, 1, 15)),  # 2027: provisional calendar
    # a few days overdue, reported after the deadline: not 重点督查
    item("2026-0008", "区教育局", HOSTILE_SOURCE, D(2026, 11, 25), last_report_on=D(2026, 11, 26)),
]

TREND = [
    ("2026-W46", D(2026, 11, 16), {"items": 6, "done": 1, "done_on_time": 1, "overdue": 0,
                                   "report_missing": 0, "completion_rate": 1 / 6}),
    ("2026-W47", D(2026, 11, 23), {"items": 7, "done": 1, "done_on_time": 1, "overdue": 1,
                                   "report_missing": 0, "completion_rate": 1 / 7}),
]


def context(items=ITEMS, trend=TREND, as_of=AS_OF) -> dict:
    return dashboard_context(CONFIG, items, standing(CONFIG, items, as_of).states, as_of, trend)


# -- a tiny DOM from html.parser, enough to read the page back -------------------------------

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr", "area", "base"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag=None, **attrs):
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def by_id(self, ident):
        found = self.find_all(id=ident)
        assert len(found) == 1, f"expected one #{ident}, found {len(found)}"
        return found[0]

    def body_rows(self):
        """The <tr> of this table's <tbody>, as nodes."""
        return [tr for tb in self.find_all("tbody") for tr in tb.find_all("tr")]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Node(tag, attrs, self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def parse_html(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def row_cells(tr: Node) -> list[str]:
    return [c.text().strip() for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")]
