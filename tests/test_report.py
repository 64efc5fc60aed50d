"""``vnmod report``: the HTML page of a scored file.

Unit tests build reports from small scored files (escaping, missing columns, dates, JSONL and
Parquet input). The browser tests open the page from disk in headless Chromium (playwright
driving the system ``chromium``; they skip where it is missing) for the shipped examples
scored by the shipped model and for a generated 50,000-row scored file, check that Plotly drew
the charts, that the top posts carry <mark> highlights, that the language switch, filters and
paging work, that nothing was fetched and that no JavaScript or console error was logged, and
save screenshots (under pytest's tmp path; also copied to $VNMOD_TEST_ARTIFACTS when set).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("plotly")
pd = pytest.importorskip("pandas")

from vnmod.cli import main  # noqa: E402
from vnmod.report import (  # noqa: E402
    ReportError,
    build_report,
    highlight_segments,
    legal_basis,
    strings,
)
from vnmod.report.scored import parse_dates, read_scored  # noqa: E402
from vnmod.taxonomy import CATEGORIES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples" / "posts.csv"
REPORT_DIR = ROOT / "src" / "vnmod" / "report"
PAYLOAD = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
BIG_ROWS = 50_000


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def scored_posts(clf, tmp_path_factory) -> Path:
    """data/examples/posts.csv scored by the shipped model, with evidence and legal basis."""
    from vnmod.batch import score_file

    out = tmp_path_factory.mktemp("scored") / "posts.scored.csv"
    score_file(clf, EXAMPLES, out, evidence="full", legal_basis=True, progress=None)
    return out


def scored_row(text: str, scores: dict[str, float], evidence: list[dict] | None = None,
               **extra: str) -> dict[str, str]:
    """One CSV row as ``vnmod score --evidence full`` writes it."""
    labels = [c for c in CATEGORIES if scores.get(c, 0.0) >= 0.5]
    row = {**extra, "text": text, "label": labels[0] if labels else "clean",
           "labels": ";".join(labels)}
    row.update({f"score_{c}": f"{scores.get(c, 0.0):.4f}" for c in CATEGORIES})
    row["reason"] = "; ".join(f"{c}: test" for c in labels)
    if evidence is not None:
        row["evidence"] = json.dumps(evidence, ensure_ascii=False)
    row["status"] = "ok"
    return row


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    return path


TRIGGERS = {"insult": "thằng ngu", "offensive": "đm", "fake_news": "tin giả chấn động",
            "illegal_ads": "lh zalo 0912xxx888"}
FILLERS = ["Hôm nay trời đẹp quá", "Quán này bán ngon", "Mọi người nghĩ sao?",
           'Anh ấy nói "được" & cười 😀', "Giá 50k/ly <rẻ> lắm", PAYLOAD,
           "=HYPERLINK(\"http://x\")", "Xin chào\ncả nhà"]


def generate_big(path: Path, rows: int = BIG_ROWS, seed: int = 7) -> dict[str, int]:
    """A scored CSV of ``rows`` synthetic posts with dates, evidence and hostile text (no
    model run); returns the number of rows flagged per category."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    counts = dict.fromkeys(CATEGORIES, 0)
    out = []
    for i in range(rows):
        flagged = [c for c in CATEGORIES if rng.random() < 0.08]
        parts, evidence, pos = [], [], 0
        for piece in [rng.choice(FILLERS), *(TRIGGERS[c] for c in flagged)]:
            if parts:
                pos += 1
            if piece in TRIGGERS.values():
                cat = next(c for c, t in TRIGGERS.items() if t == piece)
                evidence.append({"start": pos, "end": pos + len(piece), "text": piece,
                                 "category": cat, "rule": f"{cat}.test", "weight": 1.0})
            parts.append(piece)
            pos += len(piece)
        scores = {c: rng.uniform(0.5, 1.0) if c in flagged else 0.49 * rng.betavariate(1, 12)
                  for c in CATEGORIES}
        for c in flagged:
            counts[c] += 1
        when = start + timedelta(minutes=rng.randrange(180 * 24 * 60))
        out.append(scored_row(" ".join(parts), scores, evidence, id=f"b{i:05d}",
                              created_time=when.strftime("%Y-%m-%d %H:%M:%S")))
    write_csv(path, out)
    return counts


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("big") / "big.scored.csv"
    return path, generate_big(path)


def embedded(html: str, element_id: str) -> object:
    """The JSON of ``<script type="application/json" id=element_id>`` in ``html``."""
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>',
                      html, re.S)
    assert found, element_id
    return json.loads(found.group(1))


# --------------------------------------------------------------------------- unit tests

def test_strings_have_both_languages_and_cover_every_key_the_page_uses():
    table = strings()
    for key, entry in table.items():
        assert set(entry) == {"vi", "en"}, key
        assert all(entry[lang].strip() for lang in ("vi", "en")), key
    for c in CATEGORIES:
        assert f"cat.{c}" in table
    template = (REPORT_DIR / "template.html.j2").read_text(encoding="utf-8")
    script = (REPORT_DIR / "report.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-title)?="([a-z_.]+)"', template))
    used |= set(re.findall(r'\bt\(["\']([a-z_.]+)["\']\s*[,)]', template + script))
    used |= {f"bucket_{b}" for b in ("day", "week", "month")}  # t("bucket_" + tl.bucket)
    assert used - set(table) == set(), "strings used by the page but not in strings.toml"
    assert len(used) > 40


def test_script_json_cannot_close_its_element():
    from vnmod.report import script_json

    value = {"text": PAYLOAD + "<!-- & -->", "n": [1, 2.5]}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_hostile_text_is_data_not_markup(tmp_path):
    src = write_csv(tmp_path / "s.csv", [
        scored_row(PAYLOAD, {"insult": 0.9}, [{"start": 0, "end": 9, "text": PAYLOAD[:9],
                                               "category": "insult", "rule": "<b>r</b>"}],
                   id='"><svg onload=alert(1)>', date="2024-05-01"),
        scored_row("bình thường", {}, [], id="2", date="2024-05-02"),
    ])
    out = tmp_path / "r.html"
    summary = build_report(src, out)
    html = out.read_text(encoding="utf-8")
    assert summary.rows == 2 and summary.counts["insult"] == 1
    assert PAYLOAD not in html and "<svg onload" not in html and "<b>r</b>" not in html
    assert html.count("</script>") == 4  # data, strings, plotly.js, report.js
    data = embedded(html, "vnmod-data")
    assert data["rows"][0][2] == PAYLOAD
    assert data["top"]["insult"][0]["segments"][0] == [PAYLOAD[:9], ["<b>r</b>"]]
    assert data["rows"][0][1] == '"><svg onload=alert(1)>'
    script = (REPORT_DIR / "report.js").read_text(encoding="utf-8")
    assert not re.search(r"\.(?:inner|outer)HTML\b|insertAdjacentHTML|document\.write", script)


def test_not_a_scored_file_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(EXAMPLES), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a file scored by vnmod" in err and "vnmod score" in err
    assert not out.exists()
    assert main(["report", str(tmp_path / "missing.csv"), "-o", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert main(["report", str(tmp_path / "empty.csv"), "-o", str(out)]) == 2
    assert "is empty" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "score_insult": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(ReportError, match="line 2"):
        build_report(bad, out)
    assert not out.exists()


def test_missing_columns_are_named(tmp_path):
    row = scored_row("x", {"insult": 0.9})
    partial = {k: v for k, v in row.items() if k != "score_fake_news"}
    with pytest.raises(ReportError, match="score_fake_news"):
        build_report(write_csv(tmp_path / "a.csv", [partial]), tmp_path / "r.html")
    no_labels = {k: v for k, v in row.items() if k not in ("label", "labels")}
    with pytest.raises(ReportError, match="no labels"):
        build_report(write_csv(tmp_path / "b.csv", [no_labels]), tmp_path / "r.html")
    no_text = {("body_x" if k == "text" else k): v for k, v in row.items()}
    with pytest.raises(ReportError, match="--text-column"):
        build_report(write_csv(tmp_path / "c.csv", [no_text]), tmp_path / "r.html")
    summary = build_report(tmp_path / "c.csv", tmp_path / "r.html", text_column="body_x")
    assert summary.text_column == "body_x"
    with pytest.raises(ReportError, match="date column 'when'"):
        build_report(tmp_path / "c.csv", tmp_path / "r.html", text_column="body_x",
                     date_column="when")
    only_label = {k: v for k, v in row.items() if k != "labels"}
    summary = build_report(write_csv(tmp_path / "d.csv", [only_label]), tmp_path / "r.html")
    assert summary.counts["insult"] == 1


def test_without_evidence_or_dates_the_report_still_works(tmp_path, scored_posts):
    frame = pd.read_csv(scored_posts, dtype=str, keep_default_na=False)
    short = tmp_path / "short.csv"
    frame.drop(columns=["evidence", "legal_basis"]).to_csv(short, index=False)
    summary = build_report(short, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert not summary.has_evidence and summary.date_column is None
    assert 'id="no-evidence"' in html and 'id="timeline-missing"' in html
    assert 'id="chart-timeline"' not in html
    data = embedded(html, "vnmod-data")
    assert data["timeline"] is None
    posts = [p for c in CATEGORIES for p in data["top"][c]]
    assert posts and all(len(p["segments"]) == 1 and not p["segments"][0][1] for p in posts)
    assert all(p["reason"] for p in posts)


def test_jsonl_and_parquet_give_the_csv_counts(tmp_path, clf, scored_posts):
    from vnmod.batch import score_file

    expected = build_report(scored_posts, tmp_path / "csv.html")
    for ext in ("jsonl", "parquet"):
        if ext == "parquet":
            pytest.importorskip("pyarrow")
        scored = tmp_path / f"posts.scored.{ext}"
        score_file(clf, EXAMPLES, scored, progress=None)
        got = build_report(scored, tmp_path / f"{ext}.html")
        assert (got.rows, got.flagged, got.counts) == (expected.rows, expected.flagged,
                                                       expected.counts), ext
        assert got.has_evidence
        data = embedded((tmp_path / f"{ext}.html").read_text(encoding="utf-8"), "vnmod-data")
        assert any(seg[1] for p in data["top"]["insult"] for seg in p["segments"]), ext


def test_result_columns_renamed_by_vnmod_score_are_used(tmp_path):
    # An input with its own `label` column gets vnmod's as `vnmod_label`.
    row = scored_row("thằng ngu", {"insult": 0.8})
    renamed = {"id": "1", "label": "my own", "text": row["text"]}
    renamed.update({(f"vnmod_{k}" if k == "label" else k): v for k, v in row.items()
                    if k != "text"})
    summary = build_report(write_csv(tmp_path / "s.csv", [renamed]), tmp_path / "r.html")
    assert summary.counts["insult"] == 1 and summary.text_column == "text"


def test_highlight_segments():
    text = "Đm 😀 thằng ngu này"
    start = text.index("thằng")
    ev = [{"category": "insult", "start": start, "end": start + 9, "text": "thằng ngu",
           "rule": "a"},
          {"category": "insult", "start": start + 6, "end": start + 13, "text": "ngu này",
           "rule": "b"},
          {"category": "offensive", "start": 0, "end": 2, "text": "Đm", "rule": "c"},
          {"category": "insult", "start": 99, "end": 120, "rule": "out of range"},
          {"category": "insult", "start": 0, "end": 2, "text": "nope", "rule": "mismatch"}]
    assert highlight_segments(text, ev, "insult") == [
        ("Đm 😀 ", []), ("thằng ", ["a"]), ("ngu", ["a", "b"]), (" này", ["b"])]
    assert highlight_segments(text, ev, "offensive") == [("Đm", ["c"]), (text[2:], [])]
    assert highlight_segments(text, [], "insult") == [(text, [])]
    # A CSV cell that vnmod score defused with a leading quote: offsets are one short.
    defused = "'=thằng ngu"
    assert highlight_segments(defused, [{"category": "insult", "start": 1, "end": 10,
                                         "text": "thằng ngu", "rule": "a"}], "insult") == [
        ("'=", []), ("thằng ngu", ["a"])]


def test_dates_are_found_and_read(tmp_path):
    dates = ["2024-03-01 10:00", "02/03/2024", "2024-03-05T08:00:00+07:00", "not a date", "",
             "2024-03-09"]
    rows = [scored_row(f"post {i}", {"insult": 0.9 if i % 2 else 0.1}, created_time=d,
                       published="2020-01-01")
            for i, d in enumerate(dates)]
    src = write_csv(tmp_path / "s.csv", rows)
    summary = build_report(src, tmp_path / "r.html")
    assert summary.date_column == "created_time"
    data = embedded((tmp_path / "r.html").read_text(encoding="utf-8"), "vnmod-data")
    tl = data["timeline"]
    assert tl["bucket"] == "day" and tl["unparsed"] == 2
    assert tl["x"][0] == "2024-03-01" and tl["x"][-1] == "2024-03-09" and len(tl["x"]) == 9
    assert sum(tl["total"]) == 4 and sum(tl["counts"]["insult"]) == 2
    assert tl["total"][tl["x"].index("2024-03-02")] == 1  # day first, as written in Vietnam
    shown = [r[9] for r in data["rows"]]
    assert shown[:3] == ["2024-03-01 10:00", "2024-03-02 00:00", "2024-03-05 08:00"]
    assert shown[3:5] == ["not a date", ""]
    # A column named on the command line wins over the guess.
    summary = build_report(src, tmp_path / "r.html", date_column="published")
    assert summary.date_column == "published"
    # Unix times, in seconds or milliseconds.
    assert str(parse_dates(["1709600000", "1709700000"])[0].date()) == "2024-03-05"
    assert str(parse_dates([1709600000000, None])[0].date()) == "2024-03-05"
    assert parse_dates(["a", "b"]).isna().all()


def test_long_spans_use_weeks_or_months_and_table_rows_cap(tmp_path, big):
    path, _ = big
    summary = build_report(path, tmp_path / "r.html", table_rows=1000, top=3)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    data = embedded(html, "vnmod-data")
    assert summary.table_rows == 1000 and len(data["rows"]) == 1000
    assert 'id="table-truncated"' in html
    assert data["timeline"]["bucket"] == "week"
    assert all(len(data["top"][c]) == 3 for c in CATEGORIES)
    scored = read_scored(path)
    assert scored.id_column == "id" and scored.date_column == "created_time"


def test_cli_report_and_its_output_checks(tmp_path, scored_posts, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(scored_posts), "-o", str(out), "--lang", "en", "--top", "3"]) == 0
    err = capsys.readouterr().err
    assert "60 rows" in err and str(out) in err
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert "http://" not in re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert main(["report", str(scored_posts), "-o", str(tmp_path)]) == 2  # a folder
    assert "is a folder" in capsys.readouterr().err
    assert main(["report", str(scored_posts), "-o", str(scored_posts)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_legal_basis_is_the_taxonomys_in_force_today():
    import datetime as dt

    from vnmod.taxonomy import load_taxonomy

    today = dt.date.today()
    for c in CATEGORIES:
        in_force = [r for r in load_taxonomy()[c].legal_basis if r.in_force_on(today)]
        assert legal_basis(c) == [str(r) for r in in_force]
        assert legal_basis(c)
        assert len(legal_basis(c)) < len(load_taxonomy()[c].legal_basis)  # the past left out


# ----------------------------------------------------------------------- browser tests

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("headless Chromium not found (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


class Page:
    """A report opened from disk, with every console error, page error, dialog and request
    it caused."""

    def __init__(self, browser, path: Path) -> None:
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning", "assert") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"),
                                          d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        started = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        self.load_seconds = time.perf_counter() - started
        self.url = path.resolve().as_uri()

    def text(self, selector: str) -> str:
        return self.page.locator(selector).first.text_content() or ""

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def set_threshold(self, value: float) -> None:
        self.page.eval_on_selector(
            "#filter-threshold",
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(value))

    def wait_matching(self, n: int) -> None:
        self.page.wait_for_function(
            "n => document.getElementById('matching').textContent.replace(/\\D/g, '') === n",
            arg=str(n), timeout=10_000)

    def check_clean(self) -> None:
        assert self.problems == []
        assert [u for u in self.requests if u != self.url] == []
        assert self.page.evaluate("window.__pwned") is None

    def screenshot(self, name: str, tmp_path: Path) -> Path:
        shot = tmp_path / name
        self.page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("VNMOD_TEST_ARTIFACTS"):
            folder = Path(os.environ["VNMOD_TEST_ARTIFACTS"])
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, folder / name)
        return shot


def test_report_of_the_examples_in_chromium(browser, scored_posts, tmp_path):
    out = tmp_path / "posts.html"
    summary = build_report(scored_posts, out)
    scored = pd.read_csv(scored_posts, dtype=str, keep_default_na=False)
    vi, en = ({k: v[lang] for k, v in strings().items()} for lang in ("vi", "en"))
    page = Page(browser, out)
    p = page.page

    # Plotly drew every chart: the counts (4 bars) and one histogram per category.
    assert page.count("#chart-counts.js-plotly-plot .main-svg") >= 1
    assert page.count("#chart-counts .bars .point") == 4
    for c in CATEGORIES:
        assert page.count(f"#chart-hist-{c} .bars .point") > 0, c
    assert page.count("#timeline-missing") == 1 and page.count("#chart-timeline") == 0

    # Counts table, top posts with <mark>ed evidence and the legal basis.
    assert page.text("#counts-table tr[data-cat=insult] td.num") == str(summary.counts["insult"])
    assert page.count("#top mark") > 0
    first = scored.iloc[int(page.text("#top-list-insult li .post-meta span:nth-child(2)")
                            .split()[-1]) - 1]
    from vnmod.report.scored import parse_evidence
    expected = [piece for piece, rules in
                highlight_segments(first["text"], parse_evidence(first["evidence"]), "insult")
                if rules]
    marks = p.locator("#top-list-insult > li").first.locator("mark").all_text_contents()
    assert marks == expected and marks
    assert legal_basis("insult")[0] in page.text("#top-insult .legal")

    # The table pages through the rows.
    assert page.count("#posts-table tbody tr") == 50
    assert page.text("#page-info") == vi["page_of"].format(page=1, pages=2)
    p.click("#page-next")
    assert page.count("#posts-table tbody tr") == 10
    p.click("#page-first")

    # The language switch changes every string, and back.
    assert page.text("h1") == vi["title"] and p.evaluate("document.documentElement.lang") == "vi"
    p.click("#lang-switch")
    assert page.text("h1") == en["title"] and p.evaluate("document.documentElement.lang") == "en"
    assert page.text("#lang-switch") == en["lang_switch"]
    assert page.text("#counts-table th") == en["category"]
    assert page.text("#filter-category option[value=insult]") == en["cat.insult"]
    assert en["cat.insult"] in p.locator("#chart-hist-insult .gtitle").text_content()
    assert page.text("#page-info") == en["page_of"].format(page=1, pages=2)
    page.screenshot("report-examples-en.png", tmp_path)
    p.click("#lang-switch")
    assert page.text("h1") == vi["title"]

    # Filters: a category, a score threshold, a search.
    ads = scored[scored["labels"].str.contains("illegal_ads")]
    p.select_option("#filter-category", "illegal_ads")
    page.wait_matching(len(ads))
    assert page.count("#posts-table tbody tr") == len(ads)
    assert page.count("#posts-table tbody tr td.labels .cat-illegal_ads") == len(ads)
    assert p.locator("#top-insult").is_hidden() and p.locator("#top-illegal_ads").is_visible()
    strong = ads[ads["score_illegal_ads"].astype(float) >= 0.9]
    page.set_threshold(0.9)
    page.wait_matching(len(strong))
    assert page.count("#top-list-illegal_ads li.post") == min(10, len(strong))
    p.click("#filter-reset")
    page.wait_matching(len(scored))
    p.fill("#filter-search", "zalo")
    zalo = scored[scored["text"].str.lower().str.contains("zalo")]
    page.wait_matching(len(zalo))
    assert 0 < len(zalo) < len(scored)
    p.click("#filter-reset")
    page.wait_matching(len(scored))
    page.screenshot("report-examples.png", tmp_path)
    page.check_clean()


def test_report_of_50000_rows_in_chromium(browser, big, tmp_path):
    path, counts = big
    out = tmp_path / "big.html"
    started = time.perf_counter()
    summary = build_report(path, out)
    build_seconds = time.perf_counter() - started
    assert summary.rows == BIG_ROWS and summary.table_rows == BIG_ROWS
    assert summary.counts == counts
    assert build_seconds < 60, build_seconds
    print(f"\n50,000-row report: built in {build_seconds:.1f}s, "
          f"{summary.bytes / 1e6:.1f} MB", end="")

    page = Page(browser, out)
    p = page.page
    print(f", opened in Chromium in {page.load_seconds:.1f}s")
    assert page.load_seconds < 30
    assert page.count("#chart-timeline .scatterlayer .trace") == 5
    # Only the current page is in the DOM.
    assert page.count("#posts-table tbody tr") == 50
    assert page.text("#posts-table tbody tr td") == "1"
    p.click("#page-last")
    assert page.text("#page-info") == strings()["page_of"]["vi"].format(page="1.000",
                                                                        pages="1.000")
    assert page.text("#posts-table tbody tr td") == "49.951"
    p.fill("#page-input", "500")
    p.press("#page-input", "Enter")
    assert page.text("#posts-table tbody tr td") == "24.951"
    p.select_option("#page-size", "250")
    assert page.count("#posts-table tbody tr") == 250

    # Filtering and sorting 50,000 rows stays quick.
    started = time.perf_counter()
    p.select_option("#filter-category", "insult")
    page.wait_matching(counts["insult"])
    assert time.perf_counter() - started < 3
    p.select_option("#sort", "insult")
    top_score = max(float(x) for x in pd.read_csv(path, usecols=["score_insult"],
                                                  dtype=str)["score_insult"])
    shown = float(page.text("#posts-table tbody tr td.score.hit").replace(",", "."))
    assert abs(shown - top_score) <= 0.0051
    p.click("#filter-reset")
    page.wait_matching(BIG_ROWS)

    # Hostile posts are shown as text, and ran nothing.
    assert page.count("#top mark") > 0
    p.fill("#filter-search", "window.__pwned")
    # (a function, not an expression: the page's CSP forbids eval, also to playwright)
    p.wait_for_function("() => (document.querySelector('#posts-table tbody td.text') || "
                        "{textContent: ''}).textContent.includes('__pwned')")
    assert PAYLOAD in page.text("#posts-table tbody td.text")
    assert page.count("#posts-table img, #posts-table script, #top img, #top script") == 0
    page.screenshot("report-50000.png", tmp_path)
    page.check_clean()
