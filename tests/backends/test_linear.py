import numpy as np
import pytest

from vnmod.backends.base import BackendUnavailable, NotFittedError
from vnmod.backends.linear import LinearBackend, _tfidf
from vnmod.text.normalize import normalise

POSTS = [
    ("nhận làm bằng đại học giả lh zalo", [0, 0, 0, 1]),
    ("bán bằng lái xe không cần thi", [0, 0, 0, 1]),
    ("cho vay nóng chỉ cần cccd", [0, 0, 0, 1]),
    ("mày là thằng ngu", [1, 0, 0, 0]),
    ("thằng này ngu như chó", [1, 0, 0, 0]),
    ("đụ má nóng vãi", [0, 1, 0, 0]),
    ("vãi lồn thật sự", [0, 1, 0, 0]),
    ("hôm nay trời đẹp quá", [0, 0, 0, 0]),
    ("mình đi du lịch đà lạt", [0, 0, 0, 0]),
    ("bán rau sạch nhà trồng", [0, 0, 0, 0]),
    ("công an bắt đường dây làm bằng giả", [0, 0, 0, 0]),
    ("chúc mừng sinh nhật bạn", [0, 0, 0, 0]),
]


@pytest.fixture(scope="module")
def fitted():
    docs = [normalise(t) for t, _ in POSTS]
    y = np.array([lab for _, lab in POSTS], dtype=float)
    y[:, 2] = np.nan  # no fake-news labels: that column stays unknown
    return LinearBackend(min_df=1, C=10.0).fit(docs * 2, np.vstack([y, y]))


def test_unfitted_backend_says_call_fit():
    with pytest.raises(NotFittedError, match="call fit first"):
        LinearBackend().predict_proba([normalise("xin chào")])


def test_unknown_category_column_is_nan(fitted):
    p = fitted.predict_proba([normalise("nhận làm bằng giả")])
    assert np.isnan(p[0, 2])
    assert p[0, 3] > p[0, 0]


def test_rows_without_features_at_the_end_of_a_batch(fitted):
    # An empty last row once broke the row normalisation (reduceat out of bounds).
    p = fitted.predict_proba([normalise("nhận làm bằng giả"), normalise("😀"), normalise("")])
    assert p.shape == (3, 4) and np.isfinite(p[:, [0, 1, 3]]).all()


def test_tfidf_matches_scikit_learn():
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    texts = ["a b c a", "b b d", "", "c"]
    tv = TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w+\b").fit(texts)
    cv = CountVectorizer(vocabulary=tv.vocabulary_, token_pattern=r"(?u)\b\w+\b")
    ours = _tfidf(cv.transform(texts), tv.idf_.astype(np.float32)).toarray()
    assert np.allclose(ours, tv.transform(texts).toarray(), atol=1e-6)


def test_save_load_round_trip_without_pickle(fitted, tmp_path):
    config = fitted.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab_char.json", "vocab_word.json",
                                                          "weights.npz"]
    again = LinearBackend.load(tmp_path, config)
    docs = [normalise(t) for t, _ in POSTS]
    assert np.allclose(np.nan_to_num(again.predict_proba(docs)),
                       np.nan_to_num(fitted.predict_proba(docs)), atol=2e-3)


def test_explain_locates_terms_in_the_original(fitted):
    text = "Nhận LÀM BẰNG đại học GIẢ"
    doc = normalise(text)
    ev = fitted.explain([doc], [["illegal_ads"]])[0]
    assert ev and all(text[e.start:e.end] == e.text for e in ev)
    assert all(e.source == "linear" and e.weight > 0 for e in ev)


def test_explain_reads_the_word_rows_of_the_posts_just_scored_as_counted_afresh(fitted):
    docs = [normalise(t) for t in ("Nhận LÀM BẰNG đại học GIẢ", "bán rau sạch",
                                   "cho vay nóng, chỉ cần cccd", "")]
    cats = [["illegal_ads"], [], ["illegal_ads", "insult"], ["illegal_ads"]]
    fresh = fitted.explain(docs, cats)  # nothing scored yet: counted
    fitted.views(docs)
    assert fitted.explain(docs, cats) == fresh  # taken from the views' rows
    taken = fitted._word_rows(docs[2:0:-1])
    counted = _tfidf(fitted.counters_["word"].transform([d.text for d in docs[2:0:-1]]),
                     fitted.idf_["word"])
    assert (taken != counted).nnz == 0 and taken.dtype == counted.dtype
    other = [normalise("Nhận LÀM BẰNG đại học GIẢ")]  # equal text, another object: counted
    assert fitted.explain(other, [["illegal_ads"]]) == fresh[:1]


def test_corrupt_files_raise_backend_unavailable(fitted, tmp_path):
    config = fitted.save(tmp_path)
    (tmp_path / "weights.npz").write_bytes(b"not an npz")
    with pytest.raises(BackendUnavailable, match="cannot be read"):
        LinearBackend.load(tmp_path, config)


def test_wrong_label_shape_is_explained():
    with pytest.raises(ValueError, match="one column per category"):
        LinearBackend().fit([normalise("a")], np.zeros((1, 3)))


@pytest.fixture(scope="module")
def with_neighbours():
    docs = [normalise(t) for t, _ in POSTS]
    y = np.array([lab for _, lab in POSTS], dtype=float)
    return LinearBackend(min_df=1, neighbours_k=3, neighbours_max_df=5).fit(docs, y), docs


def test_neighbour_view_follows_the_closest_labelled_posts(with_neighbours):
    model, _ = with_neighbours
    views = model.views([normalise("mày là thằng ngu như chó"),
                         normalise("hôm nay trời đẹp, đi du lịch đà lạt")])
    assert set(views) == {"linear", "linear_nn"} == set(model.view_names)
    nn = views["linear_nn"]
    assert nn[0, 0] > 0.5 > nn[1, 0]  # insult: the two insulting posts are the neighbours
    assert np.isnan(nn[:, 2:]).all()  # only insult/offensive are scored by neighbours
    assert np.all((nn[:, :2] > 0) & (nn[:, :2] < 1)), "shrunk away from certainty"


def test_neighbours_survive_save_and_load(with_neighbours, tmp_path):
    model, docs = with_neighbours
    again = LinearBackend.load(tmp_path, model.save(tmp_path))
    a, b = model.views(docs), again.views(docs)
    assert np.allclose(np.nan_to_num(a["linear_nn"]), np.nan_to_num(b["linear_nn"]), atol=2e-3)



def test_per_category_sample_weights():
    docs = [normalise(t) for t, _ in POSTS] * 2
    y = np.array([lab for _, lab in POSTS] * 2, dtype=float)
    flat = LinearBackend(min_df=1, C=10.0).fit(docs, y, sample_weight=np.ones(len(docs)))
    w = np.ones((len(docs), 4))
    w[:, 0] = np.where(y[:, 0] == 1, 5.0, 1.0)  # insult positives weigh 5x, other heads as flat
    per_cat = LinearBackend(min_df=1, C=10.0).fit(docs, y, sample_weight=w)
    np.testing.assert_allclose(per_cat.coef_[1:], flat.coef_[1:], atol=1e-6)
    ins = [i for i, (_, lab) in enumerate(POSTS) if lab[0] == 1]
    assert (per_cat.predict_proba([docs[i] for i in ins])[:, 0]
            > flat.predict_proba([docs[i] for i in ins])[:, 0]).all()


NEWS = [
    ("khẩn cấp ngày mai cắt điện toàn quốc ba ngày chia sẻ ngay", 1),
    ("bộ y tế xác nhận uống nước chanh nóng diệt virus chia sẻ ngay", 1),
    ("tin nóng vắc xin gây vô sinh lan truyền ngay", 1),
    ("sáng nay hội nghị trung ương khai mạc tại hà nội", 0),
    ("thời tiết hôm nay có mưa rào và dông vài nơi", 0),
    ("bộ y tế công bố thêm ca mắc mới trong ngày", 0),
]


def test_a_head_learns_its_categories_from_the_shared_words_and_round_trips(tmp_path):
    docs = [normalise(t) for t, _ in NEWS] * 2
    y = np.zeros((len(docs), 4))
    y[:, 2] = [lab for _, lab in NEWS] * 2
    y[:3, 0] = 1  # insult labels the head must not learn
    heads = {"linear_news": {"categories": ["fake_news"], "C": 1.0}}
    model = LinearBackend(min_df=1, heads=heads).fit(docs, y)
    assert model.view_names == ["linear", "linear_news"]
    test = [normalise("khẩn cấp cắt điện chia sẻ ngay"), normalise("hội nghị khai mạc hôm nay")]
    views = model.views(test)
    assert list(views) == ["linear", "linear_news"]
    p = views["linear_news"]
    assert np.isnan(p[:, [0, 1, 3]]).all() and p[0, 2] > p[1, 2]
    # The head is the word-only model a separate backend would be, over the same counts.
    alone = LinearBackend(min_df=1, char_ngram=None, C=1.0, class_weight="none").fit(docs, y)
    np.testing.assert_allclose(p[:, 2], alone.predict_proba(test)[:, 2], rtol=1e-5)
    assert not np.allclose(p[:, 2], views["linear"][:, 2])  # not the shared view's
    config = model.save(tmp_path / "linear")
    back = LinearBackend.load(tmp_path / "linear", config)
    assert back.heads == model.heads
    np.testing.assert_allclose(back.views(test)["linear_news"], p, rtol=1e-3)
    ev = back.explain(test[:1], [["fake_news", "insult"]])[0]
    news = [e for e in ev if e.category == "fake_news"]
    assert news and all(e.rule.startswith("linear_news:") and e.source == "linear_news"
                        for e in news)
    assert all(e.source == "linear" for e in ev if e.category == "insult")


def test_a_head_with_a_target_learns_it_and_gives_no_reasons(tmp_path):
    docs = [normalise(t) for t, _ in NEWS] * 2
    y = np.zeros((len(docs), 4))
    y[:, 2] = [lab for _, lab in NEWS] * 2
    styled = np.array([1.0, 1.0, 1.0, 0.0, 0.0, np.nan] * 2)  # the first three read like news
    heads = {"linear_news": {"categories": ["fake_news"]},
             "news_like": {"categories": ["fake_news"], "target": "styled"}}
    with pytest.raises(ValueError, match="learns the target 'styled'"):
        LinearBackend(min_df=1, heads=heads).fit(docs, y)
    model = LinearBackend(min_df=1, heads=heads).fit(docs, y, targets={"styled": styled})
    # The target head is the word-only model of the target, not of fake_news.
    alone = LinearBackend(min_df=1, char_ngram=None, C=1.0, class_weight="none")
    yt = y.copy()
    yt[:, 2] = styled
    alone.fit(docs, yt)
    test = [normalise("tin nóng chia sẻ ngay"), normalise("thời tiết có mưa")]
    np.testing.assert_allclose(model.views(test)["news_like"][:, 2],
                               alone.predict_proba(test)[:, 2], rtol=1e-5)
    back = LinearBackend.load(tmp_path / "m", model.save(tmp_path / "m"))
    assert back.heads["news_like"]["target"] == "styled"
    ev = back.explain(test[:1], [["fake_news"]])[0]
    assert ev and all(e.source == "linear_news" for e in ev)


@pytest.mark.parametrize("heads, message", [
    ({"linear_nn": {"categories": ["fake_news"]}}, "taken by a view"),
    ({"news": {"categories": ["rumour"]}}, "must name categories"),
    ({"news": {}}, "must name categories"),
    ({"news": {"categories": ["fake_news"], "ngram": [1, 3]}}, "unknown options"),
])
def test_a_wrong_head_is_refused_with_the_reason(heads, message):
    with pytest.raises(ValueError, match=message):
        LinearBackend(heads=heads)
