"""Retraining on a user's own labels alone (no public corpus), and evaluating users' files."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest

from vnmod.cli import main
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import normalise

DEMO = Path(__file__).resolve().parents[1] / "data" / "examples" / "posts.csv"

NAMES = ["Hùng", "Tuấn", "Lan", "Minh", "Hoa", "Dũng", "Nam", "Trang", "Phong", "Thảo"]
PLACES = ["Hà Nội", "Đà Nẵng", "Cầu Giấy", "Thủ Đức", "Đà Lạt", "Hải Phòng", "Cần Thơ",
          "Nha Trang", "Huế", "Vũng Tàu"]
TEMPLATES: dict[str, list[str]] = {
    "insult": [
        "Thằng {name} đúng là đồ súc vật, đánh cả mẹ già của nó",
        "{name} nhìn mặt đã thấy hãm, loại người sống chỉ tổ chật đất",
        "Công an phường {place} toàn lũ ăn hại, chỉ giỏi hành dân",
        "Chúc mừng {name}, chỉ số thông minh chắc bằng nhiệt độ phòng",
        "Bọn ở {place} toàn lũ mất dạy, tránh xa ra mà sống",
    ],
    "insult;offensive": [
        "Địt mẹ thằng {name} câm mồm đi đồ óc chó",
        "Lũ chó ở {place}, đm bọn mày chết hết đi",
        "{name} ngu vl, đọc kĩ lại bài rồi hẵng cmt",
    ],
    "offensive": [
        "dm cuoc song o {place} chan vl, di lam ca ngay ve con bi sep chui",
        "đ.m con đường ở {place} đào lên lấp xuống mãi, vãi lồn thật",
        "Đm bọn nhà cái lừa đảo, nạp {n} củ mất trắng, anh em cảnh giác",
        "Clip nóng của hot girl {name} lộ hàng đây anh em, link trong bình luận",
    ],
    "fake_news": [
        "TIN NÓNG: Bộ Y tế xác nhận nước lá ổi chữa khỏi ung thư chỉ sau {n} ngày. Chia sẻ gấp",
        "Khẩn cấp!!! Ngày mai {place} phong tỏa toàn thành phố, đi mua tích trữ lương thực ngay",
        "Sắp đổi tiền rồi, ai có tiền mặt ở {place} thì rút hết ra mua vàng, tin nội bộ",
        "Cảnh báo: nghe máy số lạ đầu +{n} là bị trừ hết tiền trong tài khoản, gửi cho bạn bè",
    ],
    "illegal_ads": [
        "Nhận làm bằng đại học có hồ sơ gốc, bao công chứng, ib zalo 09{n}345678",
        "Vay nóng chỉ cần cccd, giải ngân trong ngày ở {place}, nợ xấu vẫn vay. LH 0987{n}321",
        "Nhà cái uy tín số 1, nạp đầu tặng {n}%, nổ hũ, bắn cá đổi thưởng, link vào không chặn",
        "Bán súng hơi PCP, đạn chì các loại, ship cod về {place}, giao hàng kín đáo",
        "Thu mua tài khoản ngân hàng giá cao, thuê cccd, mở tài khoản hộ, lh {name}",
    ],
    "": [
        "Mùa hè này cả nhà mình đi du lịch {place}, vừa chơi vừa học về thiên nhiên",
        "Con chó nhà {name} bị ốm mấy hôm nay, ai biết phòng khám thú y nào tốt ở {place} không",
        "Nhà mình bán rau sạch, trứng gà ta, giao hàng trong ngày khu vực {place}",
        "Trận này {name} đá hay quá, ghi bàn đẹp ở phút thứ {n}",
        "Sáng nay ở {place} chim hót líu lo, bướm bay đầy vườn, thích quá",
        "Hôm nay mình để quên chìa khóa trong xe, may mà có {name} giúp",
    ],
}


def make_rows(counts: dict[str, int], seed: int = 0) -> list[tuple[str, set[str]]]:
    """Distinct short posts: ``counts[labels]`` posts per label combination."""
    rng = random.Random(seed)
    rows, seen = [], set()
    for labels, n in counts.items():
        made = 0
        while made < n:
            text = rng.choice(TEMPLATES[labels]).format(
                name=rng.choice(NAMES), place=rng.choice(PLACES), n=rng.randint(10, 99))
            if text in seen:
                continue
            seen.add(text)
            rows.append((text, set(filter(None, labels.split(";")))))
            made += 1
    rng.shuffle(rows)
    return rows


STANDARD = {"insult": 28, "insult;offensive": 20, "offensive": 24, "fake_news": 30,
            "illegal_ads": 38, "": 60}


def write_csv(path: Path, rows, form: str = "labels", text_column: str = "text") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        if form == "columns":
            out.writerow([text_column, *CATEGORIES])
            out.writerows([t, *(int(c in labels) for c in CATEGORIES)] for t, labels in rows)
        else:  # "labels" or "expected"
            out.writerow(["id", text_column, form])
            out.writerows([f"p{i:03d}", t, ";".join(sorted(labels))]
                          for i, (t, labels) in enumerate(rows))
    return path


@pytest.fixture
def no_corpora(tmp_path, monkeypatch):
    """A new user: the public-corpora folder is empty."""
    empty = tmp_path / "no-corpora"
    empty.mkdir()
    monkeypatch.setenv("VNMOD_DATA_DIR", str(empty))
    return empty


def test_train_on_own_labels_alone_needs_no_public_corpus(tmp_path, no_corpora, capsys):
    import vnmod

    labelled = write_csv(tmp_path / "my_labels.csv", make_rows(STANDARD))
    out = tmp_path / "mine"
    assert main(["train", "--labelled", str(labelled), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "WARNING" not in err  # every category has enough positives

    card = (out / "README.md").read_text(encoding="utf-8")
    assert "no public corpus" in card and "my_labels.csv" in card
    assert "stratified" in card and "seed 13" in card
    assert "| train |" in card and "| dev |" in card  # label counts
    for cat in CATEGORIES:
        assert f"| {cat} | " in card
    manifest = json.loads((out / "vnmod.json").read_text(encoding="utf-8"))
    counts = manifest["training_data"]["label_counts"]
    assert counts["train"]["posts"] + counts["dev"]["posts"] == 200
    assert 38 <= counts["dev"]["posts"] <= 42  # a 20% dev split
    assert manifest["training_data"]["sources"] == {"my_labels": counts["train"]["posts"]}
    for cat in CATEGORIES:  # stratified: each category's share of dev is near 20%
        total = counts["train"][cat] + counts["dev"][cat]
        assert abs(counts["dev"][cat] - 0.2 * total) <= 1.5
        assert manifest["dev_metrics"]["categories"][cat]["f1"] > 0.5
        assert f"{manifest['dev_metrics']['categories'][cat]['f1']:.3f}" in card

    clf = vnmod.load(out)
    p = clf.predict(["Nhận làm bằng đại học có hồ sơ gốc, bao công chứng, ib zalo 0912345678",
                     "Cả nhà mình đi du lịch Nha Trang, vui quá"])
    assert p[0].label == "illegal_ads" and p[1].label == "clean"


def test_dev_split_is_stratified_and_the_same_for_a_seed_whatever_the_row_order():
    from vnmod.data import load_labelled  # noqa: F401  (the frame shape comes from it)
    from vnmod.data._common import make_frame
    from vnmod.train import carve_dev

    rows = make_rows(STANDARD)

    def frame(rows):
        labels = {c: [int(c in lab) for _, lab in rows] for c in CATEGORIES}
        return make_frame([t for t, _ in rows], labels, "mine", "train")

    _, dev = carve_dev(frame(rows), 0.2, seed=13)
    _, again = carve_dev(frame(rows[::-1]), 0.2, seed=13)
    _, other = carve_dev(frame(rows), 0.2, seed=14)
    assert sorted(dev["text"]) == sorted(again["text"])
    assert sorted(dev["text"]) != sorted(other["text"])
    assert 38 <= len(dev) <= 42
    assert dev["fake_news"].sum() == 6 and dev["illegal_ads"].sum() in (7, 8)


def test_label_formats_parse_identically(tmp_path):
    from vnmod.data import load_labelled

    rows = make_rows({"insult;offensive": 3, "fake_news": 2, "illegal_ads": 2, "": 3})
    jsonl = tmp_path / "lists.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t, "labels": sorted(lab)}, ensure_ascii=False)
                             + "\n" for t, lab in rows), encoding="utf-8")
    frames = [load_labelled(write_csv(tmp_path / "cols.csv", rows, "columns")),
              load_labelled(write_csv(tmp_path / "labels.csv", rows, "labels")),
              load_labelled(write_csv(tmp_path / "expected.csv", rows, "expected")),
              load_labelled(jsonl)]
    want = np.array([[int(c in lab) for c in CATEGORIES] for _, lab in rows])
    for frame in frames:
        assert frame["text"].tolist() == [t for t, _ in rows]
        assert (frame[list(CATEGORIES)].to_numpy() == want).all()


def test_evaluate_the_demo_file_reports_f1_per_category(no_corpora, capsys):
    assert main(["evaluate", "--data", str(DEMO)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 60
    assert set(report["categories"]) == set(CATEGORIES)
    assert all(0 <= m["f1"] <= 1 for m in report["categories"].values())
    assert report["categories"]["insult"]["support"] == 14  # "offensive;insult" rows count


def test_text_column_is_found_as_score_finds_it_or_named(tmp_path, no_corpora, capsys):
    rows = make_rows({"illegal_ads": 4, "": 4})
    guessed = write_csv(tmp_path / "vi.csv", rows, "expected", text_column="noi_dung")
    assert main(["evaluate", "--data", str(guessed)]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 8

    odd = write_csv(tmp_path / "odd.csv", rows, "expected", text_column="bai_viet")
    assert main(["evaluate", "--data", str(odd)]) == 2
    err = capsys.readouterr().err
    assert "bai_viet" in err and "--text-column" in err
    assert main(["evaluate", "--data", str(odd), "--text-column", "bai_viet"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 8


def test_too_few_positives_warn_and_keep_the_default_threshold(tmp_path, no_corpora, capsys):
    counts = dict(STANDARD, fake_news=3)
    labelled = write_csv(tmp_path / "few.csv", make_rows(counts), "labels",
                         text_column="bai_viet")
    out = tmp_path / "few"
    assert main(["train", "--labelled", str(labelled), "--text-column", "bai_viet",
                 "-o", str(out)]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("vnmod train: WARNING")]
    assert len(warned) == 1 and "fake_news" in warned[0] and "default 0.5" in warned[0]
    manifest = json.loads((out / "vnmod.json").read_text(encoding="utf-8"))
    assert manifest["thresholds"]["fake_news"] == 0.5
    assert manifest["default_thresholds"] == ["fake_news"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "0.50 (default)" in card and "**fake_news** keeps the default threshold" in card


def test_dev_file_and_data_dir(tmp_path, no_corpora, capsys):
    rows = make_rows(STANDARD)
    labelled = write_csv(tmp_path / "train.csv", rows[:150], "expected")
    dev = write_csv(tmp_path / "dev.csv", rows[150:], "expected")
    out = tmp_path / "withdev"
    assert main(["train", "--labelled", str(labelled), "--dev", str(dev), "-o", str(out)]) == 0
    manifest = json.loads((out / "vnmod.json").read_text(encoding="utf-8"))
    assert manifest["training_data"]["rows"] == 150
    assert manifest["training_data"]["dev_rows"] == 50
    assert "dev posts from dev.csv" in (out / "README.md").read_text(encoding="utf-8")
    capsys.readouterr()

    # A corpus asked for, in a folder without it: the error names the flag to use.
    assert main(["train", "--source", "vihsd", "--labelled", str(labelled),
                 "--data-dir", str(no_corpora), "-o", str(tmp_path / "x")]) == 2
    assert "--data-dir" in capsys.readouterr().err


def train_own_labels(tmp_path: Path, recipe_tail: str) -> tuple[Path, dict]:
    """Train on the standard labelled file alone with a recipe ending in ``recipe_tail``;
    the model folder and its manifest."""
    labelled = write_csv(tmp_path / "my_labels.csv", make_rows(STANDARD))
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(f'sources = []\ndev_sources = []\nlabelled_files = ["{labelled}"]\n'
                      + recipe_tail, encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", "--config", str(recipe), "-o", str(out)]) == 0
    return out, json.loads((out / "vnmod.json").read_text(encoding="utf-8"))


def test_a_recipe_with_a_news_view_stacks_it_for_fake_news(tmp_path, no_corpora, capsys):
    import vnmod

    out, manifest = train_own_labels(tmp_path,
                                     '[linear.heads.linear_news]\ncategories = ["fake_news"]\n')
    assert [c["type"] for c in manifest["components"]] == ["linear", "rules"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["linear"]  # one vocabulary
    stack = manifest["combine"]["stacks"]["linear+linear_news+rules"]
    assert stack["components"] == ["linear", "linear_news", "rules"]
    clf = vnmod.load(out)
    assert clf.component_names == ["linear", "rules"]
    views = clf.components[0][0].views([normalise("xin chào")])
    assert list(views) == ["linear", "linear_news"] and np.isnan(views["linear_news"][0, 0])


def test_a_recipe_asking_more_of_flags_no_rule_backs_stores_the_chosen_score(tmp_path,
                                                                               no_corpora):
    import vnmod

    out, manifest = train_own_labels(tmp_path, 'learned_only = ["illegal_ads"]\n')
    stacks = manifest["combine"]["stacks"]
    learned = stacks["linear+rules"]["learned_only_thresholds"]
    assert set(learned) == {"illegal_ads"}
    assert learned["illegal_ads"] >= stacks["linear+rules"]["thresholds"]["illegal_ads"]
    assert "learned_only_thresholds" not in stacks["rules"]  # every flag there is a rule's
    assert vnmod.load(out).learned_only_thresholds == learned


def test_learned_only_must_name_categories(tmp_path):
    from vnmod.train import Recipe

    path = tmp_path / "bad.toml"
    path.write_text('learned_only = ["ads"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="learned_only names"):
        Recipe.from_file(path)


def test_rule_families_join_the_stack_and_the_rules_alone_fallback(tmp_path, no_corpora):
    # A recipe's [rules] family_views: each illegal_ads rule family is a view the stack
    # weighs; the fallback fitted for the rules alone is keyed by every rules view, so a model
    # whose linear part cannot load still finds it.
    import shutil

    import vnmod
    from vnmod.classifier import Classifier
    from vnmod.combine import stack_key
    from vnmod.train import Recipe, train

    labelled = write_csv(tmp_path / "my_labels.csv", make_rows(STANDARD))
    recipe = Recipe(sources=[], dev_sources=[], labelled_files=[str(labelled)],
                    rules={"family_views": ["illegal_ads"]})
    clf = train(recipe, output=tmp_path / "m")
    rules = next(b for b, _ in clf.components if b.name == "rules")
    assert "rules.illegal_ads.loan" in rules.view_names
    stacks = json.loads((tmp_path / "m" / "vnmod.json").read_text("utf-8"))["combine"]["stacks"]
    assert stack_key(rules.view_names) in stacks
    full = stacks[stack_key(["linear", *rules.view_names])]
    assert set(rules.view_names) <= set(full["components"])

    shutil.rmtree(tmp_path / "m" / "linear")
    with pytest.warns(RuntimeWarning, match="'linear' of model 'm' is not available"):
        degraded = vnmod.load(tmp_path / "m", allow_degraded=True)
    assert isinstance(degraded, Classifier) and degraded.degraded
    assert degraded._stack == stacks[stack_key(rules.view_names)]
    post = "Cho vay tư nhân, giải ngân trong ngày, chỉ cần CMT + hộ khẩu photo, gọi 0905123456"
    assert "illegal_ads" in degraded.predict(post).labels
