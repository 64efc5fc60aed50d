"""Nearest labelled neighbours in the linear model's TF-IDF space, as a second opinion.

Comments on social media repeat each other with small changes; a post's closest labelled
posts say something a linear model averages away. Only rare features (seen in fewer than
``max_df`` training posts) are kept: they carry the similarity, and they keep the product with
the training matrix sparse and fast.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vnmod.backends.base import BackendUnavailable


def unit_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty)."""
    x = x.tocsr().astype(np.float32)
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    norms = np.sqrt(np.bincount(rows, weights=x.data ** 2, minlength=x.shape[0]))
    norms[norms == 0] = 1.0
    x.data /= norms[rows].astype(np.float32)
    return x


class Neighbours:
    """k nearest labelled posts by cosine similarity; scores = similarity²-weighted labels."""

    def __init__(self, *, k: int = 20, max_df: int = 200) -> None:
        self.k = k
        self.max_df = max_df

    def fit(self, x: sp.csr_matrix, y: np.ndarray) -> Neighbours:
        """Remember the rows of ``x`` (TF-IDF) with their ``(n, 4)`` labels (nan = unknown)."""
        df = np.bincount(x.indices, minlength=x.shape[1])
        self.features_ = np.flatnonzero((df > 0) & (df < self.max_df)).astype(np.int32)
        self.matrix_ = unit_rows(x[:, self.features_])
        self.labels_ = np.asarray(y, dtype=np.float32)
        return self._prepare()

    def _prepare(self) -> Neighbours:
        """What every ``scores`` call needs, computed once: the transposed training matrix in
        CSR (so the product does not convert it each call) and the label masks."""
        self.matrix_t_ = self.matrix_.T.tocsr()
        self.known_ = ~np.isnan(self.labels_)
        self.labels0_ = np.nan_to_num(self.labels_)
        return self

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        """``(n, 4)`` neighbour label means, shrunk towards 0.02 so that unanimous neighbours
        do not give certainties (``(mean + 0.02) / 1.04``); a post without neighbours counts
        as all-negative; nan for categories the neighbours are not labelled with."""
        sims = (unit_rows(x[:, self.features_]) @ self.matrix_t_).tocsr()
        n, width, k = sims.shape[0], self.labels_.shape[1], self.k
        indptr, values = sims.indptr.tolist(), sims.data
        # Per row, where its top k lie in ``values``, in argpartition's order (a row with k
        # or fewer has them all, in order, then -1 for none).
        at = np.full((n, k), -1, dtype=np.int64)
        for i in range(n):
            lo, hi = indptr[i], indptr[i + 1]
            if hi - lo > k:
                at[i] = np.argpartition(-values[lo:hi], k)[:k] + lo
            elif hi > lo:
                at[i, :hi - lo] = np.arange(lo, hi)
        # Per row, the weighted label sums and the weights' sums (float32), each added in the
        # order of the row's top k as a sequential sum would (padding adds zeros), for all
        # rows at once; divided once for all rows.
        sums = np.zeros((n, width), dtype=np.float32)
        totals = np.zeros((n, width), dtype=np.float32)
        if values.size:
            valid = at >= 0
            safe = np.where(valid, at, 0)
            cols = sims.indices[safe]
            w = self.known_[cols] * (np.where(valid, values[safe], np.float32(0)) ** 2)[..., None]
            labelled = w * self.labels0_[cols]
            for j in range(k):
                totals += w[:, j]
                sums += labelled[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(totals > 0, sums / totals, 0.0).astype(np.float64)
        out = (out + 0.02) / 1.04
        out[:, ~self.known_.any(axis=0)] = np.nan
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        m = self.matrix_
        return {"nn_features": self.features_, "nn_data": m.data.astype(np.float16),
                "nn_indices": m.indices.astype(np.int32), "nn_indptr": m.indptr.astype(np.int64),
                "nn_shape": np.array(m.shape), "nn_labels": self.labels_.astype(np.float16)}

    @classmethod
    def from_arrays(cls, data, k: int, max_df: int) -> Neighbours:
        self = cls(k=k, max_df=max_df)
        try:
            self.features_ = data["nn_features"]
            self.matrix_ = sp.csr_matrix((data["nn_data"].astype(np.float32), data["nn_indices"],
                                          data["nn_indptr"]), shape=tuple(data["nn_shape"]))
            self.labels_ = data["nn_labels"].astype(np.float32)
        except KeyError as exc:
            raise BackendUnavailable(f"neighbour arrays missing from the weights: {exc}") \
                from exc
        return self._prepare()
