"""The documents as printed: rendered by LibreOffice from a ledger of 40 units and 400 items, pages
counted and GB/T 9704 positions measured in the PDF (`pdftotext -bbox`, and pixels of a greyscale
page for the masthead and the rules). Pages are kept as PNG in tests/artifacts/documents/.

Needs LibreOffice Writer and poppler (`.ci/run` installs libreoffice-writer, poppler-utils and
fonts-noto-cjk); skipped with a message elsewhere. LibreOffice sets the official faces, when
missing, in stand-ins of the same widths (fonts.stand_in_config), so line breaks and page counts
are the printed document's. Every document is converted in one soffice call (slow to start).
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from bigledger import AS_OF, NOTICE_UNIT, big_ledger

from pipeline.deadlines.states import unit_summary
from pipeline.output.documents import contexts, render
from pipeline.output.documents.templates import CIRCULAR, NOTICE, REPORT, REPORT_FEEDBACK, build_template

ARTIFACTS = Path(__file__).parent / "artifacts" / "documents"
PT_PER_MM = 72 / 25.4
BLOCK_TOP = 37 * PT_PER_MM  # the text block: 37 mm from the top, 225 mm tall, from 28 mm to 184 mm across
BLOCK_BOTTOM = (37 + 225) * PT_PER_MM
BLOCK_LEFT, BLOCK_RIGHT = 28 * PT_PER_MM, (28 + 156) * PT_PER_MM

pytestmark = pytest.mark.skipif(
    not (render.soffice() and shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfinfo")),
    reason="LibreOffice (soffice) or poppler-utils is not installed: the rendered page counts and positions are "
           "not measured here (.ci/run installs libreoffice-writer poppler-utils fonts-noto-cjk)",
)


@dataclass
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass
class Pdf:
    path: Path
    pages: int
    words: list[Word]

    def on(self, page: int) -> list[Word]:
        return [w for w in self.words if w.page == page]

    def lines(self, page: int) -> list[str]:
        """The page's lines of text in the text block, top to bottom (words joined)."""
        rows: dict[float, list[Word]] = {}
        for w in self.on(page):
            if w.y0 >= BLOCK_TOP - 2 and w.y1 <= BLOCK_BOTTOM + 2:
                rows.setdefault(round(w.y1), []).append(w)
        return ["".join(w.text for w in sorted(r, key=lambda w: w.x0)) for _, r in sorted(rows.items())]

    def page_of(self, text: str, whole: bool = False) -> int:
        """The first page with a line holding `text` (or, `whole`, being it)."""
        return next(n for n in range(1, self.pages + 1)
                    if any(line == text if whole else text in line for line in self.lines(n)))


def read_pdf(path: Path) -> Pdf:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found, info
    pages = int(found[1])
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words, page = [], 0
    for line in xml.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            x0, y0, x1, y1 = map(float, m.groups()[:4])
            words.append(Word(page, x0, y0, x1, y1, m[5]))
    return Pdf(path, pages, words)


def grey_page(pdf: Path, page: int, dpi: int = 144) -> tuple[int, int, bytes]:
    """A page as 8-bit greys (width, height, pixels) from pdftoppm's PGM."""
    data = subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)],
                          capture_output=True, check=True).stdout
    _, dims, _, pixels = data.split(b"\n", 3)  # P5, width height, 255, the pixels
    width, height = map(int, dims.split())
    return width, height, pixels


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Pdf]:
    cfg, items, states, summaries = big_ledger()
    audit = [i for i in items if i.source == "审计"]
    report = contexts.report_context(cfg, "审计", audit, states, unit_summary(audit, states), AS_OF, number=7)
    docs = {
        "circular": (CIRCULAR, contexts.circular_context(cfg, items, states, summaries, AS_OF, 5)),
        "notice": (NOTICE, contexts.notice_context(cfg, NOTICE_UNIT, items, states, AS_OF, AS_OF, number=12)),
        "report": (REPORT, report),
        "feedback": (REPORT_FEEDBACK, contexts.report_feedback_context(report, NOTICE_UNIT, audit, states, "12月3日")),
    }
    folder = tmp_path_factory.mktemp("rendered")
    paths = []
    for key, (template, context) in docs.items():
        path = folder / f"{key}.docx"
        path.write_bytes(render.render_docx(build_template(template), context, name=template, fonts=cfg.fonts))
        paths.append(path)
    pdfs = render.convert_to_pdf(paths, fonts=cfg.fonts)
    assert len(pdfs) == len(paths), "LibreOffice did not convert every document"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:
        for old in ARTIFACTS.glob(f"{pdf.stem}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / pdf.stem)], check=True)
        shutil.copy(pdf, ARTIFACTS / pdf.name)
    return {p.stem: read_pdf(p) for p in pdfs}


def test_page_counts_on_a_ledger_of_40_units_and_400_items(rendered):
    cfg, items, _, _ = big_ledger()
    assert len(cfg.units) == 40 and len(items) == 400
    circular = rendered["circular"]
    assert circular.pages <= 15
    assert circular.page_of("附件1", whole=True) - 1 <= 3  # the body, signature included, on three pages at most
    assert rendered["notice"].pages <= 2  # seven items, the 签收回执 included
    report = rendered["report"]
    assert report.page_of("附件1", whole=True) - 1 <= 4
    print(f"\npages: circular {circular.pages} (body {circular.page_of('附件1', whole=True) - 1}), notice "
          f"{rendered['notice'].pages}, report {report.pages} (body {report.page_of('附件1', whole=True) - 1}), "
          f"feedback {rendered['feedback'].pages}")


def test_the_masthead_starts_35_mm_below_the_top_of_the_text_block(rendered):
    width, height, pixels = grey_page(rendered["circular"].path, 1)
    scale = height / (297 * PT_PER_MM)
    first_ink = next(y for y in range(height) if min(pixels[y * width:(y + 1) * width]) < 160) / scale
    assert first_ink == pytest.approx(BLOCK_TOP + 35 * PT_PER_MM, abs=1.5 * PT_PER_MM)


def test_a_page_holds_22_lines_of_28_characters(rendered):
    circular = rendered["circular"]
    page = circular.page_of("四、下一步工作")  # a page of body text
    lines = circular.lines(page)
    body = [line for line in lines if not line.startswith("—")]
    assert len(body) <= 22
    full = [line for line in body if re.fullmatch(r"[\u4e00-\u9fff，。、；：“”（）]+", line)]
    assert full and max(len(line) for line in full) == 28


def test_the_signature_is_never_alone_and_headings_keep_with_their_text(rendered):
    for key in ("circular", "report"):
        pdf = rendered[key]
        page = pdf.page_of("2026年11月30日", whole=True)
        lines = pdf.lines(page)
        at = next(n for n, line in enumerate(lines) if line == "2026年11月30日")
        assert at >= 3 and not lines[0].startswith("大观区人民政府办公室"), lines[:at + 1]  # text above it
        for n in range(1, pdf.page_of("附件1", whole=True)):
            text_lines = [line for line in pdf.lines(n) if not line.startswith("—")]
            assert not re.fullmatch(r"[一二三四]、.*|（[一二三四]）[^。]*", text_lines[-1]), (key, n, text_lines[-1])


def test_the_imprint_sits_at_the_foot_of_the_last_page_with_rules_as_wide_as_the_block(rendered):
    circular = rendered["circular"]
    issued = [w for w in circular.words if w.text.endswith("印发")]
    assert [w.page for w in issued] == [circular.pages]
    assert issued[0].y1 == pytest.approx(BLOCK_BOTTOM, abs=4 * PT_PER_MM)
    cc = next(w for w in circular.on(circular.pages) if w.text.startswith("抄送"))
    assert cc.y0 > BLOCK_BOTTOM - 40 * PT_PER_MM
    width, _, pixels = grey_page(circular.path, circular.pages)
    scale = width / (210 * PT_PER_MM)
    rules = []
    for y in range(int((BLOCK_BOTTOM - 40 * PT_PER_MM) * scale), int((BLOCK_BOTTOM + 3) * scale)):
        row = pixels[y * width:(y + 1) * width]
        dark = [x for x in range(width) if row[x] < 128]
        if dark and (dark[-1] - dark[0]) / scale > 150 * PT_PER_MM and len(dark) > 0.9 * (dark[-1] - dark[0]):
            rules.append((y, dark[0] / scale, dark[-1] / scale))
    assert rules, "no rule across the text block near the foot of the last page"
    lefts, rights = {round(r[1]) for r in rules}, {round(r[2]) for r in rules}
    assert min(lefts) == pytest.approx(BLOCK_LEFT, abs=1.5 * PT_PER_MM)
    assert max(rights) == pytest.approx(BLOCK_RIGHT, abs=1.5 * PT_PER_MM)
    groups = 1 + sum(1 for a, b in itertools.pairwise(rules) if b[0] - a[0] > 2)
    assert groups == 3  # above 抄送, between, below 印发


def test_every_annex_starts_a_page_with_its_label_top_left(rendered):
    circular = rendered["circular"]
    for n in (1, 2, 3):
        page = circular.page_of(f"附件{n}", whole=True)
        assert circular.lines(page)[0] == f"附件{n}"  # the first line of a new page
        label = min((w for w in circular.on(page) if w.text.startswith("附件")), key=lambda w: w.y0)
        assert label.x0 == pytest.approx(BLOCK_LEFT, abs=2) and label.y0 < BLOCK_TOP + 30
    next_page = circular.lines(circular.page_of("附件2", whole=True) + 1)
    assert next_page[0] == "编号责任单位整改问题整改时限"  # the header row repeated on the next page


def test_long_names_and_titles_stay_whole(rendered):
    circular = rendered["circular"]
    lines = circular.lines(1)
    assert any(line == "大观区人民政府办公室文件" for line in lines)
    assert "关于“三查三单”整改落实情况的通报" in lines and "（2026年第5期）" in lines
    for key in ("circular", "report", "notice"):
        pdf = rendered[key]
        for n in range(1, pdf.pages + 1):
            for header in ("问题数", "按期完成", "未报送", "逾期工作日", "整改问题"):
                assert not any(line in (header[:k], header[k:]) for line in pdf.lines(n) for k in range(1, len(header)))


def test_pdf_warns_about_each_face_this_machine_lacks(workspace, cli, monkeypatch):
    from builders import data_row, submission_rows, xlsx_bytes

    from pipeline.config import Fonts
    from pipeline.output.documents import fonts
    from pipeline.output.documents.templates import write_default_templates
    from pipeline.service import publish

    monkeypatch.setattr(publish, "today", lambda: date(2026, 12, 31))
    write_default_templates(workspace.templates)
    rows = submission_rows(data_row(1, deadline="2026-10-15"))
    (workspace.inbox / "a.xlsx").write_bytes(xlsx_bytes(rows))
    missing = fonts.missing_faces(Fonts())
    code, out, _ = cli("weekly", "--as-of", "2026-11-30", "--pdf")
    assert code == 0 and list(workspace.outbox.glob("2026-W49/2026-W49_督查通报*.pdf"))
    if missing:  # the official faces are not installed here (they are not free to install)
        assert f"本机未安装字体 {'、'.join(missing)}" in out
    installed = sorted(fonts.installed_faces() or ())
    noto = next((f for f in installed if "CJK SC" in f), None)
    if noto:
        assert fonts.missing_faces(Fonts(body=noto, title=noto, heiti=noto, kaiti=noto)) in ([], ["宋体"])
        conf = fonts.stand_in_config(Fonts())
        assert conf is None or ("<string>仿宋_GB2312</string>" in conf) == ("仿宋_GB2312" in missing)
