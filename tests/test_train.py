"""Training helpers: ViHSD threshold search and out-of-fold scores."""

from __future__ import annotations

import numpy as np
import pytest

from vnmod.evaluate import vihsd_classes
from vnmod.taxonomy import CATEGORIES
from vnmod.train import BOUNDS, Recipe, out_of_fold_views, vihsd_thresholds

INS, OFF = CATEGORIES.index("insult"), CATEGORIES.index("offensive")


def _labels(classes: np.ndarray) -> np.ndarray:
    y = np.zeros((len(classes), len(CATEGORIES)))
    y[:, INS] = classes == 2
    y[:, OFF] = classes == 1
    return y


def _macro_f1(p: np.ndarray, y: np.ndarray, t1: float, t2: float) -> float:
    from sklearn.metrics import f1_score

    guess = np.where(p[:, INS] >= t1, 2, np.where(p[:, OFF] >= t2, 1, 0))
    return f1_score(vihsd_classes(y), guess, average="macro")


def test_vihsd_thresholds_on_separable_scores_take_the_first_perfect_pair():
    classes = np.array([0] * 6 + [1] * 4 + [2] * 3)
    p = np.zeros((len(classes), len(CATEGORIES)))
    p[:, INS] = np.where(classes == 2, 0.8, 0.2)
    p[:, OFF] = np.where(classes == 1, 0.6, 0.1)
    assert vihsd_thresholds(p, _labels(classes)) == (0.21, 0.11)


def test_vihsd_thresholds_beat_every_other_pair_on_noisy_scores():
    rng = np.random.default_rng(0)
    classes = rng.choice(3, size=300, p=[0.6, 0.25, 0.15])
    y = _labels(classes)
    p = np.clip(0.5 * y + rng.uniform(0, 0.6, size=y.shape), 0, 1)
    t1, t2 = vihsd_thresholds(p, y)
    best = _macro_f1(p, y, t1, t2)
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    for a, b in rng.choice(grid, size=(300, 2)):
        assert _macro_f1(p, y, a, b) <= best + 1e-9
    assert best > _macro_f1(p, y, 0.5, 0.5)


def test_out_of_fold_views_score_each_post_with_a_model_that_never_saw_it():
    from vnmod.data import load_corpus
    from vnmod.text.normalize import normalise

    frame = load_corpus("vnmod_labelled", split="train").sample(600, random_state=0)
    docs = [normalise(t) for t in frame["text"]]
    y = np.array(frame[list(CATEGORIES)].to_numpy(dtype=float), copy=True)
    y[:, CATEGORIES.index("fake_news")] = np.nan
    rows = np.zeros(len(docs), bool)
    rows[::2] = True
    recipe = Recipe(linear={"min_df": 1, "C": 10.0, "char_ngram": None})
    views = out_of_fold_views(recipe, docs, y, np.ones(len(docs)), None, rows, folds=3)

    assert set(views) == {"linear", "rules", BOUNDS}
    assert views[BOUNDS].shape == (rows.sum(), len(CATEGORIES), 2)
    ads = CATEGORIES.index("illegal_ads")
    held_out = views["linear"][:, ads]
    assert held_out.shape == (rows.sum(),) and not np.isnan(held_out).any()
    # A model that saw the posts fits their labels more tightly than one that did not.
    from vnmod.backends.linear import LinearBackend

    seen = LinearBackend(**recipe.linear).fit(docs, y).predict_proba(
        [docs[i] for i in np.flatnonzero(rows)])[:, ads]
    truth = y[rows, ads]
    loss = {name: -np.mean(truth * np.log(q) + (1 - truth) * np.log(1 - q))
            for name, q in (("held_out", held_out), ("seen", seen))}
    assert loss["held_out"] > 1.5 * loss["seen"]
    # Yet still informative: held-out scores rank ads above the rest.
    assert held_out[truth == 1].mean() > held_out[truth == 0].mean() + 0.3


@pytest.mark.parametrize(("vihsd_folds", "fits"), [(3, 3), (4, 7)])
def test_vihsd_and_policy_posts_share_one_set_of_fold_models(monkeypatch, vihsd_folds, fits):
    """The ViHSD posts (for the insult/offensive thresholds) and the policy posts (for the
    illegal_ads stack) are scored by one set of fold models when their fold counts agree."""
    import pandas as pd

    import vnmod.train as train
    from vnmod.data import load_corpus
    from vnmod.text.normalize import normalise

    frame = load_corpus("vnmod_labelled", split="train").sample(300, random_state=1)
    sources = np.array(["vihsd", "policy", "vnmod_labelled"] * 100)
    train_df = pd.DataFrame({"text": frame["text"].to_numpy(), "source": sources})
    docs = [normalise(t) for t in train_df["text"]]
    y = np.array(frame[list(CATEGORIES)].to_numpy(dtype=float), copy=True)
    recipe = Recipe(linear={"min_df": 1, "C": 10.0, "char_ngram": None},
                    vihsd_thresholds=True, vihsd_threshold_folds=vihsd_folds,
                    out_of_fold={"illegal_ads": ["policy"]}, out_of_fold_folds=3)
    fitted = []
    real_fit = train.LinearBackend.fit
    monkeypatch.setattr(train.LinearBackend, "fit",
                        lambda self, *a, **k: fitted.append(1) or real_fit(self, *a, **k))
    vihsd, per_category = train._out_of_fold(recipe, train_df, docs, y, np.ones(len(docs)),
                                             None, {})
    assert len(fitted) == fits
    views, labels = vihsd
    assert views["linear"].shape == (100, len(CATEGORIES))
    np.testing.assert_array_equal(labels, y[sources == "vihsd"])
    views, labels = per_category["illegal_ads"]
    assert views[BOUNDS].shape == (100, len(CATEGORIES), 2)
    np.testing.assert_array_equal(labels, y[sources == "policy"])
    assert not np.isnan(views["linear"][:, CATEGORIES.index("illegal_ads")]).any()


def test_stacks_choose_vihsd_thresholds_on_dev_plus_out_of_fold_posts():
    from vnmod.combine import apply_stack
    from vnmod.train import _stacks

    rng = np.random.default_rng(1)

    def fake(n):
        classes = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
        y = _labels(classes)
        views = {name: np.clip(0.4 * y + rng.uniform(0, 0.6, size=y.shape), 0, 1)
                 for name in ("linear", "rules", "phobert")}
        return views, y

    dev, y_dev = fake(80)
    oof, y_oof = fake(400)
    del oof["phobert"]  # no out-of-fold PhoBERT: its stack keeps the dev-only thresholds
    vihsd_rows = np.ones(len(y_dev), bool)
    stacks = _stacks(dev, y_dev, vihsd_rows, 1.0, (oof, y_oof))
    dev_only = _stacks(dev, y_dev, vihsd_rows, 1.0)

    for key, names in (("linear+rules", ["linear", "rules"]), ("rules", ["rules"])):
        stack = stacks[key]
        p = np.concatenate([apply_stack(stack, {n: dev[n] for n in names}),
                            apply_stack(stack, {n: oof[n] for n in names})])
        got = (stack["thresholds"]["insult"], stack["thresholds"]["offensive"])
        assert got == vihsd_thresholds(p, np.concatenate([y_dev, y_oof]))
    assert stacks["linear+phobert+rules"] == dev_only["linear+phobert+rules"]
    assert stacks["linear+rules"]["thresholds"] != dev_only["linear+rules"]["thresholds"]


def test_a_category_with_threshold_rows_keeps_them_and_vihsd_gets_its_own_cut_offs():
    from vnmod.combine import best_thresholds
    from vnmod.train import _stacks

    rng = np.random.default_rng(2)
    classes = rng.choice(3, size=300, p=[0.6, 0.25, 0.15])
    y = _labels(classes)
    probas = {"rules": np.clip(0.4 * y + rng.uniform(0, 0.6, size=y.shape), 0, 1)}
    vihsd = np.arange(300) < 150  # the first half is "ViHSD", the second "policy"
    # The policy half calls more posts offensive than ViHSD does (profanity ViHSD calls CLEAN).
    y[~vihsd & (probas["rules"][:, OFF] > 0.3), OFF] = 1
    both = _stacks(probas, y, vihsd, 1.0)["rules"]
    own = _stacks(probas, y, vihsd, 1.0, threshold_rows={"offensive": ~vihsd})["rules"]

    benchmark = both["task_thresholds"]["vihsd"]
    assert own["task_thresholds"]["vihsd"] == benchmark
    assert (both["thresholds"]["insult"], both["thresholds"]["offensive"]) == \
        (benchmark["insult"], benchmark["offensive"])  # no rows of its own: ViHSD's cut-offs
    assert own["thresholds"]["insult"] == benchmark["insult"]
    from vnmod.combine import apply_stack

    p = apply_stack(own, probas)
    assert own["thresholds"]["offensive"] == \
        best_thresholds(p[~vihsd], y[~vihsd])["offensive"] != benchmark["offensive"]


def test_users_file_rows_go_to_the_split_they_name(tmp_path):
    from vnmod.train import load_frames

    path = tmp_path / "mine.csv"
    path.write_text("text,labels,split\n"
                    "bán súng hơi giá rẻ,quảng cáo trái phép,train\n"
                    "hôm nay trời đẹp,,train\n"
                    "nhận làm bằng giả,quảng cáo trái phép,dev\n"
                    "chúc mừng sinh nhật,,dev\n"
                    "cho vay nặng lãi,quảng cáo trái phép,test\n", encoding="utf-8")
    recipe = Recipe(sources=["vnmod_labelled"], dev_sources=["vnmod_labelled"],
                    labelled_files=[str(path)])
    train, dev = load_frames(recipe)
    mine_train = train.loc[train["source"] == "mine", "text"].tolist()
    mine_dev = dev.loc[dev["source"] == "mine", "text"].tolist()
    assert mine_train == ["bán súng hơi giá rẻ", "hôm nay trời đẹp"]
    assert mine_dev == ["nhận làm bằng giả", "chúc mừng sinh nhật"]
    assert "cho vay nặng lãi" not in set(train["text"]) | set(dev["text"])


def test_category_weights_override_a_source_weight_for_one_category():
    from vnmod.train import _weights

    recipe = Recipe(source_weights={"policy": 10.0},
                    category_weights={"fake_news": {"policy": 0.3, "vifn_v2": 0.5}})
    w = _weights(np.array(["policy", "vifn_v2", "vihsd"]), recipe)
    fake = CATEGORIES.index("fake_news")
    assert w.shape == (3, len(CATEGORIES))
    assert w[0, fake] == 0.3 and w[1, fake] == 0.5 and w[2, fake] == 1.0
    others = [k for k in range(len(CATEGORIES)) if k != fake]
    assert (w[0, others] == 10.0).all() and (w[1, others] == 1.0).all()



def test_pool_weights_replace_the_source_weight_of_a_policy_pool():
    from vnmod.train import _weights

    recipe = Recipe(source_weights={"policy": 10.0}, pool_weights={"vihsd_sales": 2.0},
                    category_weights={"fake_news": {"policy": 0.3}})
    w = _weights(np.array(["policy", "policy", "vihsd"]),
                 recipe, np.array(["sales", "vihsd_sales", ""]))
    fake = CATEGORIES.index("fake_news")
    others = [k for k in range(len(CATEGORIES)) if k != fake]
    assert (w[0, others] == 10.0).all() and (w[1, others] == 2.0).all()
    assert (w[2] == 1.0).all()
    assert w[0, fake] == w[1, fake] == 0.3  # a category weight still wins for its category


def test_unknown_names_a_source_or_a_policy_pool():
    """A pool of the policy labels can say nothing about a category, like a source: its rows
    are left out of that category's training; the source's other pools keep theirs."""
    import pandas as pd

    from vnmod.train import recipe_targets

    frame = pd.DataFrame({"text": ["a", "b", "c", "d"],
                          "source": ["policy", "policy", "reintel", "vihsd"],
                          "pool": ["vilexnorm_fresh", "sales", None, None],
                          "insult": [1, 0, np.nan, 0], "offensive": [1, 0, np.nan, 1],
                          "fake_news": [0, 0, 1, 0], "illegal_ads": [0, 1, 0, 0]})
    recipe = Recipe(unknown={"vilexnorm_fresh": ["fake_news", "illegal_ads"],
                             "reintel": ["insult", "offensive"]})
    y = recipe_targets(frame, recipe)
    np.testing.assert_array_equal(y[0], [1, 1, np.nan, np.nan])  # the pool: two left out
    np.testing.assert_array_equal(y[1], [0, 0, 0, 1])  # another pool of the same source
    np.testing.assert_array_equal(y[2], [np.nan, np.nan, 1, 0])  # by source, as before
    np.testing.assert_array_equal(y[3], [0, 1, 0, 0])


def test_unknown_names_a_group_of_pools():
    """A group name (POOL_GROUPS) leaves out every pool of the group, and no other pool."""
    import pandas as pd

    from vnmod.data.policy import LEXNORM_TRAIN_POOLS
    from vnmod.train import recipe_targets

    pools = [*sorted(LEXNORM_TRAIN_POOLS), "vilexnorm_fresh10", "sales"]
    frame = pd.DataFrame({"text": [str(i) for i in range(len(pools))],
                          "source": "policy", "pool": pools,
                          "insult": 1, "offensive": 0, "fake_news": 0, "illegal_ads": 1})
    recipe = Recipe(unknown={"vilexnorm_train_pools": ["fake_news", "illegal_ads"]})
    y = recipe_targets(frame, recipe)
    n = len(LEXNORM_TRAIN_POOLS)
    assert n == 10
    np.testing.assert_array_equal(y[:n], [[1, 0, np.nan, np.nan]] * n)
    np.testing.assert_array_equal(y[n:], [[1, 0, 0, 1]] * 2)  # a held-out pool; another pool


def test_threshold_tolerance_takes_the_highest_cut_on_a_flat_f1():
    from vnmod.combine import best_thresholds

    # 10 positives scored 0.8 and 0.2..0.29; 90 negatives at 0.1 and one negative at 0.5:
    # a cut anywhere in (0.1, 0.2] gets every positive with the 0.5 negative; cuts in
    # (0.5, 0.8] miss the low positives.
    pos = np.r_[np.full(5, 0.8), np.linspace(0.2, 0.29, 5)]
    neg = np.r_[np.full(90, 0.1), 0.5]
    p = np.zeros((len(pos) + len(neg), len(CATEGORIES)))
    y = np.zeros_like(p)
    k = CATEGORIES.index("illegal_ads")
    p[:, k] = np.r_[pos, neg]
    y[: len(pos), k] = 1
    exact = best_thresholds(p, y)["illegal_ads"]
    assert 0.1 < exact <= 0.2
    # F1 at any cut in (0.29, 0.5] is 2*5/(6+10) = 0.625 vs 2*10/(11+10) = 0.952: outside a
    # 0.01 tolerance, so the tolerance keeps the exact answer's region...
    assert best_thresholds(p, y, tolerance={"illegal_ads": 0.01})["illegal_ads"] <= 0.2
    # ...and a wide tolerance takes the highest cut whose F1 stays within it.
    wide = best_thresholds(p, y, tolerance={"illegal_ads": 0.4})["illegal_ads"]
    assert 0.5 < wide <= 0.8


def test_stack_sources_fit_a_category_on_its_own_rows():
    """A category's stack weights come from its listed dev rows alone: where the other rows
    say the opposite of them, the weights follow the listed rows."""
    from vnmod.train import _stacks

    rng = np.random.default_rng(0)
    n = 400
    y = np.zeros((n, len(CATEGORIES)))
    y[:, :] = rng.integers(0, 2, (n, len(CATEGORIES)))
    k = CATEGORIES.index("illegal_ads")
    real = np.arange(n) < n // 2
    # 'rules' tells the truth on the real rows and the opposite on the others.
    rules = np.where(y == 1, 0.9, 0.1)
    rules[~real, k] = np.where(y[~real, k] == 1, 0.1, 0.9)
    probas = {"rules": rules}
    everywhere = _stacks(probas, y, None, 1.0)["rules"]["coef"][k][0]
    own = _stacks(probas, y, None, 1.0, stack_rows={"illegal_ads": real})["rules"]["coef"][k][0]
    assert own > 0.5 and abs(everywhere) < own / 4


def test_stack_views_limit_a_category_to_the_views_it_names():
    from vnmod.combine import fit_stack

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, (300, len(CATEGORIES))).astype(float)
    good = np.where(y == 1, 0.8, 0.2)
    better = np.where(y == 1, 0.95, 0.05)
    k = CATEGORIES.index("fake_news")
    free = fit_stack({"linear": better, "linear_news": good}, y)
    held = fit_stack({"linear": better, "linear_news": good}, y,
                     views={"fake_news": ["linear_news", "rules"]})
    assert held["components"] == ["linear", "linear_news"]
    assert held["coef"][k][0] == 0.0 and held["coef"][k][1] > 0  # 'linear' weighs nothing
    assert free["coef"][k][0] != 0.0
    other = CATEGORIES.index("insult")  # categories it does not name keep every view
    assert held["coef"][other] == free["coef"][other]


def test_a_gate_only_lowers_its_category_and_joins_the_stacks_that_have_its_view():
    from vnmod.combine import apply_stack
    from vnmod.train import _stacks

    rng = np.random.default_rng(2)
    n = 300
    y = rng.integers(0, 2, (n, len(CATEGORIES))).astype(float)
    k = CATEGORIES.index("fake_news")
    rules = np.where(y == 1, 0.8, 0.2)
    gate = np.full((n, len(CATEGORIES)), np.nan)
    gate[:, k] = np.linspace(0.01, 0.99, n)  # below 0.5 lowers, above 0.5 does nothing
    probas = {"rules": rules, "news_like": gate}
    stacks = _stacks(probas, y, None, 1.0, views={"fake_news": ["rules"]},
                     gates={"fake_news": {"view": "news_like", "weight": 1.0}})
    full, alone = stacks["news_like+rules"], stacks["rules"]
    assert full["gates"] == {"fake_news": {"view": "news_like", "weight": 1.0}}
    assert "gates" not in alone  # the rules-only fallback has no such view
    ungated = apply_stack({**full, "gates": {}}, probas)
    gated = apply_stack(full, probas)
    low, high = gate[:, k] < 0.5, gate[:, k] > 0.5
    assert (gated[low, k] < ungated[low, k]).all()
    np.testing.assert_allclose(gated[high, k], ungated[high, k])
    others = [j for j in range(len(CATEGORIES)) if j != k]
    np.testing.assert_allclose(gated[:, others], ungated[:, others])


def test_a_gate_margin_spares_posts_within_it_and_is_stored_with_the_stack():
    from vnmod.combine import apply_stack, logit
    from vnmod.train import _stacks

    rng = np.random.default_rng(3)
    n = 300
    y = rng.integers(0, 2, (n, len(CATEGORIES))).astype(float)
    k = CATEGORIES.index("fake_news")
    probas = {"rules": np.where(y == 1, 0.8, 0.2), "news_like": np.full((n, 4), np.nan)}
    probas["news_like"][:, k] = np.linspace(0.01, 0.99, n)
    gate = {"view": "news_like", "weight": 1.5, "margin": 2.0, "learned_only_logit": -0.5}
    full = _stacks(probas, y, None, 1.0, views={"fake_news": ["rules"]},
                   gates={"fake_news": gate})["news_like+rules"]
    assert full["gates"] == {"fake_news": gate}  # learned_only_logit is kept for the flags
    z_gated = logit(apply_stack(full, probas)[:, k])
    z_free = logit(apply_stack({**full, "gates": {}}, probas)[:, k])
    g = logit(probas["news_like"][:, k])
    within = g >= -2.0  # logit(0.12): p = 0.2 is lowered only without the margin
    assert within.sum() > n // 2 and (~within).sum() > 10
    np.testing.assert_allclose(z_gated[within], z_free[within])
    np.testing.assert_allclose(z_gated[~within], z_free[~within] + 1.5 * (g[~within] + 2.0),
                               rtol=1e-6)


@pytest.mark.parametrize("gate", [{"view": "linear_newz", "weight": 1.0}, {"view": "rules"},
                                  {"view": "rules", "weight": 1.0, "margin": -1.0},
                                  {"view": "rules", "weight": 1.0, "margn": 1.0},
                                  {"view": "rules", "weight": 1.0, "learned_only_logit": "x"},
                                  {"view": "rules", "weight": 1.0, "learned_only_logit": True},
                                  {"view": "rules", "weight": 1.0, "margin": True}])
def test_a_gate_without_a_view_of_the_model_is_refused_before_training(tmp_path, gate):
    from vnmod.train import train

    recipe = Recipe(sources=["no_such_corpus"], gates={"fake_news": gate})
    with pytest.raises(ValueError, match=r"recipe gates.fake_news = .*linear.*rules"):
        train(recipe, output=tmp_path / "m")  # refused before any corpus is read
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(("rules", "message"), [
    ({"family_logt": 0.3}, "unknown options \\['family_logt'\\]; its options are "
                           "\\['lexicon_dir', 'family_views', 'family_logit'\\]"),
    ({"family_views": ["illegal_ads"], "family_logit": -1}, "family_logit must be"),
    ({"family_views": ["ads"]}, "family_views names"),
])
def test_a_wrong_rules_option_is_refused_before_training(tmp_path, rules, message):
    from vnmod.train import train

    recipe = Recipe(sources=["no_such_corpus"], rules=rules)
    with pytest.raises(ValueError, match=message):
        train(recipe, output=tmp_path / "m")  # refused before any corpus is read
    assert not (tmp_path / "m").exists()


def test_source_targets_mark_positive_and_negative_sources():
    import pandas as pd

    from vnmod.train import source_targets

    frame = pd.DataFrame({"source": ["reintel", "vihsd", "policy", "vifn_v2"]})
    recipe = Recipe(targets={"news_like": {"positive": ["reintel", "vifn_v2"],
                                           "negative": ["vihsd"]}})
    np.testing.assert_array_equal(source_targets(frame, recipe)["news_like"],
                                  [1.0, 0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="unknown keys"):
        source_targets(frame, Recipe(targets={"x": {"positives": ["reintel"]}}))


def test_out_of_fold_rows_join_one_categorys_stack_and_threshold():
    """Out-of-fold rows of a category outnumber its few dev rows: its weights and threshold
    follow all of them together; the other categories keep what dev alone gave."""
    from vnmod.combine import apply_stack, best_thresholds
    from vnmod.train import BOUNDS, _stacks

    rng = np.random.default_rng(3)
    k = CATEGORIES.index("illegal_ads")

    def fake(n, flip):
        y = rng.integers(0, 2, (n, len(CATEGORIES))).astype(float)
        rules = np.clip(0.3 * y + rng.uniform(0, 0.7, y.shape), 0.01, 0.99)
        if flip:  # on the few dev rows 'rules' points the wrong way for illegal_ads
            rules[:, k] = 1 - rules[:, k]
        return {"rules": rules}, y

    dev, y_dev = fake(40, flip=True)
    more, y_more = fake(600, flip=False)
    more[BOUNDS] = np.stack([np.zeros_like(y_more), np.ones_like(y_more)], axis=-1)
    alone = _stacks(dev, y_dev, None, 1.0)["rules"]
    joined = _stacks(dev, y_dev, None, 1.0, extra_rows={"illegal_ads": (more, y_more)})["rules"]
    assert alone["coef"][k][0] < 0 < joined["coef"][k][0]
    others = [j for j in range(len(CATEGORIES)) if j != k]
    assert [joined["coef"][j] for j in others] == [alone["coef"][j] for j in others]
    p = np.concatenate([apply_stack(joined, dev), apply_stack(joined, {"rules": more["rules"]})])
    want = best_thresholds(p, np.concatenate([y_dev, y_more]))["illegal_ads"]
    assert joined["thresholds"]["illegal_ads"] == want
    assert {c: t for c, t in joined["thresholds"].items() if c != "illegal_ads"} == \
        {c: t for c, t in best_thresholds(apply_stack(joined, dev), y_dev).items()
         if c != "illegal_ads"}


def test_recipe_tables_name_categories(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('stack_sources = { illegal_ad = ["policy"] }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"stack_sources names \['illegal_ad'\]"):
        Recipe.from_file(path)
    path.write_text('out_of_fold = { ads = ["policy"] }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"out_of_fold names \['ads'\]"):
        Recipe.from_file(path)


def test_unaccented_copies_double_only_the_named_sources_written_with_diacritics():
    """A copy without diacritics of each accented post of the listed sources."""
    import pandas as pd

    from vnmod.train import unaccented_copies

    frame = pd.DataFrame({
        "text": ["Bán tài khoản ngân hàng", "ban tai khoan", "Thằng ngu", "Hôm nay"],
        "source": ["policy", "policy", "vihsd", "policy"],
        "illegal_ads": [1, 1, 0, 0],
    })
    frame["insult"] = [0, 0, 1, 0]
    out = unaccented_copies(frame, {"policy": ["illegal_ads"]})
    assert len(out) == 6  # two accented policy posts copied; the unaccented and ViHSD ones not
    copies = out.iloc[4:]
    assert copies["text"].tolist() == ["Ban tai khoan ngan hang", "Hom nay"]
    assert copies["illegal_ads"].tolist() == [1, 0]
    assert copies["insult"].isna().all()  # labelled for the listed categories alone
    assert copies["source"].tolist() == ["policy", "policy"]
    assert unaccented_copies(frame, {}) is frame


def test_a_recipes_encoder_table_is_checked_before_any_training(tmp_path, capsys):
    from vnmod.cli import main

    recipe = tmp_path / "r.toml"
    recipe.write_text('sources = ["vnmod_labelled"]\n[encoder]\nbackend = "transformer"\n',
                      encoding="utf-8")
    assert main(["train", "--config", str(recipe), "-o", str(tmp_path / "m")]) == 2
    assert "needs --base-model" in capsys.readouterr().err
    recipe.write_text('sources = ["vnmod_labelled"]\n[encoder]\nbackend = "transformer"\n'
                      'base_model = "e5"\nepoch = 2\n', encoding="utf-8")
    assert main(["train", "--config", str(recipe), "-o", str(tmp_path / "m")]) == 2
    assert "unknown keys ['epoch']" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_a_recipe_extends_another_and_replaces_its_keys(tmp_path):
    from vnmod.train import Recipe

    (tmp_path / "base.toml").write_text('name = "base"\nseed = 7\n[linear]\nC = 2.0\n',
                                        encoding="utf-8")
    (tmp_path / "child.toml").write_text('extends = "base.toml"\nname = "child"\n'
                                         '[encoder]\nbackend = "transformer"\n',
                                         encoding="utf-8")
    recipe = Recipe.from_file(tmp_path / "child.toml")
    assert (recipe.name, recipe.seed, recipe.linear) == ("child", 7, {"C": 2.0})
    assert recipe.encoder == {"backend": "transformer"}
    (tmp_path / "base.toml").write_text('extends = "child.toml"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="loop"):
        Recipe.from_file(tmp_path / "child.toml")


def test_the_shipped_e5_recipe_is_vnmod_base_plus_an_encoder():
    from pathlib import Path

    from vnmod.train import Recipe

    recipes = Path(__file__).resolve().parents[1] / "models" / "recipes"
    base = Recipe.from_file(recipes / "vnmod-base.toml")
    e5 = Recipe.from_file(recipes / "vnmod-e5.toml")
    assert e5.sources == base.sources and e5.category_sources == base.category_sources
    assert e5.encoder["backend"] == "transformer" and e5.output == "models/vnmod-e5"


def test_a_gates_learned_only_logit_blocks_flags_not_scores():
    from vnmod.combine import apply_stack, learned_only_allowed

    stack = {"components": ["v"], "coef": np.zeros((4, 1)), "intercept": np.zeros(4),
             "gates": {"fake_news": {"view": "g", "weight": 1.0, "margin": 0.0,
                                     "learned_only_logit": -0.5}}}
    g = np.full((3, 4), 0.5)
    g[:, 2] = [0.1, 0.45, np.nan]  # logit -2.2 (blocked), -0.2 (allowed), unknown (allowed)
    probas = {"v": np.full((3, 4), 0.5), "g": g}
    allowed = learned_only_allowed(stack, probas, 3)
    assert allowed[:, 2].tolist() == [False, True, True] and allowed[:, [0, 1, 3]].all()
    without = {**stack, "gates": {"fake_news": {"view": "g", "weight": 1.0, "margin": 0.0}}}
    assert np.array_equal(apply_stack(stack, probas), apply_stack(without, probas))
    assert learned_only_allowed(without, probas, 3).all()
