"""Slow, obvious NumPy references that the Numba kernels are checked against."""

from collections import defaultdict

import numpy as np


# ---------------------------------------------------------------- co-occurrence (lead)
def cooc_reference(sentences, vocab_size, window, weighting="uniform", windows=None):
    """Dense V x V counts from a dict: X[i, j] += w(d) for j within window(p) of position p.

    ``sentences`` is a list of lists of ids; ``windows`` optionally gives each position's
    effective window (a list of lists shaped like ``sentences``).
    """
    counts = defaultdict(float)
    for s, sent in enumerate(sentences):
        for p, i in enumerate(sent):
            b = window if windows is None else windows[s][p]
            for q in range(max(0, p - b), min(len(sent), p + b + 1)):
                if q != p:
                    d = abs(q - p)
                    counts[(i, sent[q])] += 1.0 / d if weighting == "harmonic" else 1.0
    x = np.zeros((vocab_size, vocab_size))
    for (i, j), v in counts.items():
        x[i, j] = v
    return x


def ppmi_reference(x, cds=0.75, neg=1.0):
    """PPMI from dense counts, computed cell by cell."""
    total_ctx = (x.sum(axis=0) ** cds).sum()
    out = np.zeros_like(x, dtype=np.float64)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > 0:
                p_wc = x[i, j] / x.sum()
                p_w = x[i].sum() / x.sum()
                p_c = x[:, j].sum() ** cds / total_ctx
                out[i, j] = max(np.log(p_wc / (p_w * p_c)) - np.log(neg), 0.0)
    return out
