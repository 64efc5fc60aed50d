"""The neighbour view's scores against a plain reading of its definition."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vnmod.backends.neighbours import Neighbours, unit_rows


def _reference(nb: Neighbours, x: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the k most similar training rows, similarity²-weighted label means (float64);
    and whether the row's k nearest are well defined (no tie at the k-th place)."""
    sims = (unit_rows(x[:, nb.features_]) @ nb.matrix_t_).toarray()
    out = np.zeros((x.shape[0], nb.labels_.shape[1]))
    defined = np.ones(x.shape[0], bool)
    for i, row in enumerate(sims):
        near = np.flatnonzero(row)
        near = near[np.argsort(-row[near], kind="stable")]
        if len(near) > nb.k and row[near[nb.k - 1]] == row[near[nb.k]]:
            defined[i] = False
        near = near[:nb.k]
        w = (row[near] ** 2)[:, None] * nb.known_[near]
        total = w.sum(0)
        out[i] = np.where(total > 0, (w * nb.labels0_[near]).sum(0) / np.maximum(total, 1e-30),
                          0.0)
    out = (out + 0.02) / 1.04
    out[:, ~nb.known_.any(axis=0)] = np.nan
    return out, defined


def test_scores_follow_the_k_nearest_labelled_rows_whatever_their_number():
    rng = np.random.default_rng(3)
    train = sp.random(300, 200, density=0.03, format="csr", random_state=4, dtype=np.float32)
    labels = (rng.random((300, 4)) < 0.3).astype(np.float32)
    labels[::7, 1] = np.nan  # unknown labels do not count
    labels[:, 3] = np.nan  # a category no neighbour is labelled with
    nb = Neighbours(k=5, max_df=1000).fit(train, labels)
    # Rows with no shared feature, the rarest one (fewer than k neighbours) and many.
    df = np.bincount(train.indices, minlength=200).astype(float)
    rarest = int(np.argmin(np.where(df > 0, df, np.inf)))
    x = sp.vstack([sp.csr_matrix((1, 200), dtype=np.float32),
                   sp.csr_matrix(([1.0], ([0], [rarest])), shape=(1, 200)),
                   sp.random(30, 200, density=0.1, format="csr", random_state=5,
                             dtype=np.float32)]).tocsr()
    (got, (want, defined)) = nb.scores(x), _reference(nb, x)
    counts = np.diff((unit_rows(x[:, nb.features_]) @ nb.matrix_t_).tocsr().indptr)
    assert counts[0] == 0 and 0 < counts[1] <= nb.k and (counts[defined] > nb.k).sum() > 10
    assert np.isnan(got[:, 3]).all() and np.isnan(want[:, 3]).all()
    np.testing.assert_allclose(got[defined, :3], want[defined, :3], rtol=1e-5, atol=1e-6)
    assert np.allclose(got[0, :3], 0.02 / 1.04)  # no neighbour: all-negative


def test_a_batch_without_any_neighbour_scores_all_negative():
    train = sp.csr_matrix(np.eye(4, 6, dtype=np.float32))
    nb = Neighbours(k=3).fit(train, np.ones((4, 2), dtype=np.float32))
    x = sp.csr_matrix(np.array([[0, 0, 0, 0, 0, 1.0], [0] * 6], dtype=np.float32))
    np.testing.assert_allclose(nb.scores(x), np.full((2, 2), 0.02 / 1.04))
