import csv
import json

import pytest

from vnmod.cli import main


def test_classify_json(capsys):
    assert main(["classify", "--json", "Nhận làm bằng đại học giả, lh 0912xxx888"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["label"] == "illegal_ads" and out["evidence"]


def test_classify_threshold_override(capsys):
    assert main(["classify", "--json", "--threshold", "illegal_ads=1.0",
                 "Nhận làm bằng đại học giả, lh 0912xxx888"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] != "illegal_ads"


def test_score_csv_end_to_end(tmp_path, capsys):
    src, dst = tmp_path / "posts.csv", tmp_path / "scored.csv"
    src.write_text("id,text\n1,xin chào\n2,\"Nhận làm bằng đại học giả, lh 0912xxx888\"\n",
                   encoding="utf-8")
    assert main(["score", str(src), "-o", str(dst), "-q"]) == 0
    assert "scored 2 rows" in capsys.readouterr().err
    with open(dst, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["label"] for r in rows] == ["clean", "illegal_ads"]


def test_score_errors_exit_2_with_the_reason(tmp_path, capsys):
    src = tmp_path / "posts.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["score", str(src), "-o", str(tmp_path / "o.csv")]) == 2
    assert "--text-column" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")]) == 2


def test_categories_lists_legal_basis(capsys):
    assert main(["categories"]) == 0
    out = capsys.readouterr().out
    assert "Xúc phạm danh dự, nhân phẩm" in out and "Điều 155" in out
    assert "Căn cứ pháp lý có hiệu lực ngày" in out  # the date it is valid on is stated
    assert main(["categories", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["categories"]) == ["insult", "offensive", "fake_news", "illegal_ads"]
    assert data["as_of"]  # today, ISO


def test_calibration_tells_calibrated_from_overconfident():
    import numpy as np

    from vnmod.evaluate import calibration

    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20_000)
    truth = rng.uniform(0, 1, 20_000) < p  # positives at exactly the stated rate
    good = calibration(p, truth)
    bad = calibration(np.where(p > 0.5, 0.99, 0.01), truth)
    assert good["ece"] < 0.02
    assert bad["ece"] > 0.2 and bad["brier"] > good["brier"]
    assert calibration(np.array([1.0, 0.0]), np.array([True, False])) == {"brier": 0.0,
                                                                          "ece": 0.0}


def test_a_report_from_predictions_already_made_is_the_report_of_evaluate(clf):
    import numpy as np

    from vnmod.evaluate import evaluate, evaluate_predictions

    texts = ["thằng ngu như chó", "đẹp vãi lồn", "Shop bán áo thun 120k, ship toàn quốc",
             "Nhận làm bằng đại học giả, lh zalo 0912345678", "hôm nay trời mưa"]
    y = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    report = evaluate(clf, texts, y, task="vihsd")
    benchmark = clf.for_task("vihsd")  # ViHSD's 3-class view at the cut-offs fitted for it
    assert report == evaluate_predictions(benchmark, benchmark.predict(texts), y, task="vihsd")
    assert evaluate(clf, texts, y) == evaluate_predictions(clf, clf.predict(texts), y)
    assert report["n"] == 5 and report["categories"]["offensive"]["support"] == 2
    with pytest.raises(ValueError, match="shape"):
        evaluate_predictions(clf, clf.predict(texts[:2]), y)


def test_the_vihsd_benchmark_reads_the_model_at_its_own_cut_offs_and_flags_follow_the_policy(
        clf):
    import numpy as np

    import vnmod
    from vnmod.evaluate import evaluate

    benchmark = clf.for_task("vihsd")
    cut = clf.task_thresholds["vihsd"]
    assert benchmark is not clf and benchmark.components is clf.components
    assert benchmark.thresholds == {**clf.thresholds, **cut}
    assert cut["offensive"] < clf.thresholds["offensive"]  # ViHSD's OFFENSIVE is wider
    assert clf.for_task("no such benchmark") is clf
    strict = vnmod.load()
    strict.learned_only_thresholds = {"offensive": 0.9, "illegal_ads": 0.9}
    # The cut-offs were fitted without a learned-only demand: the benchmark drops it there.
    assert strict.for_task("vihsd").learned_only_thresholds == {"illegal_ads": 0.9}
    assert strict.learned_only_thresholds == {"offensive": 0.9, "illegal_ads": 0.9}
    mine = vnmod.load()
    mine.thresholds = {"offensive": 0.5}  # set by hand: kept, the insult cut-off still comes
    assert mine.for_task("vihsd").thresholds == {**clf.thresholds, "offensive": 0.5,
                                                 "insult": cut["insult"]}
    # `vãi` alone is slang to the policy (ANNOTATION.md), rudeness to ViHSD: scored between the
    # two offensive cut-offs, OFFENSIVE for the benchmark and no flag.
    texts = ["thằng ngu như chó", "đẹp vãi lồn", "hôm nay trời mưa", "chán vãi", "vãi cả chưởng"]
    scores = clf.predict_proba(texts)[:, 1]
    between = (scores >= cut["offensive"]) & (scores < clf.thresholds["offensive"])
    assert between.any()
    y = np.zeros((len(texts), 4))
    y[between, 1] = 1
    report = evaluate(clf, texts, y, task="vihsd")
    assert report["thresholds"]["offensive"] == cut["offensive"]
    assert report["vihsd"]["f1"]["OFFENSIVE"] > 0
    assert not any("offensive" in clf.predict(t).labels
                   for t, b in zip(texts, between, strict=True) if b)


def test_every_option_of_every_subcommand_has_help_and_shows_its_default():
    import argparse

    from vnmod.cli import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, sub in subs.choices.items():
        text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            if not action.help:
                missing.append(f"{name} {action.option_strings[0]}")
            elif action.default not in (None, False, argparse.SUPPRESS) and \
                    not isinstance(action.default, list):
                assert str(action.default) in text, (name, action.option_strings)
    assert not missing, f"options without help: {missing}"


def test_the_command_exits_with_mains_code_and_leaves_the_model_out_of_the_last_collection(
        monkeypatch):
    import gc

    from vnmod import cli

    monkeypatch.setattr(cli, "main", lambda: 3)
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as stop:
            cli.run()
        assert stop.value.code == 3 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
