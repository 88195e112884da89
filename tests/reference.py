"""Slow, obvious NumPy references that the Numba kernels are checked against."""

from collections import defaultdict

import numpy as np

from embedkit import _sgd


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


# ---------------------------------------------------------------- word2vec (word2vec helper)
def sigmoid_exact(f):
    return 1.0 / (1.0 + np.exp(-f))


def sigmoid_table(f):
    """Python twin of the kernels' table sigmoid (embedkit._sgd.sigmoid)."""
    if f >= _sgd.MAX_EXP:
        return 1.0
    if f <= -_sgd.MAX_EXP:
        return 0.0
    return float(_sgd.SIGMOID_TABLE[int((np.float32(f) + _sgd.MAX_EXP) * _sgd.SCALE)])


def sgns_update_reference(h, syn1neg, target, negs, alpha, sigmoid=sigmoid_exact):
    """One SGNS update, in float64: outputs in order (target: label 1, then each negative
    other than target: label 0); h stays fixed. Returns (gradient for h, new syn1neg, NLL)."""
    out = syn1neg.astype(np.float64)
    h = h.astype(np.float64)
    grad = np.zeros_like(h)
    loss = 0.0
    for t, label in [(target, 1.0)] + [(n, 0.0) for n in negs if n != target]:
        f = h @ out[t]
        g = (label - sigmoid(f)) * alpha
        loss -= np.log(sigmoid_exact(f if label else -f))
        grad += g * out[t]
        out[t] += g * h
    return grad, out, loss


def hs_update_reference(h, syn1, code, point, alpha, sigmoid=sigmoid_exact):
    """One hierarchical-softmax update along a Huffman path (label = 1 - code bit)."""
    out = syn1.astype(np.float64)
    h = h.astype(np.float64)
    grad = np.zeros_like(h)
    loss = 0.0
    for bit, node in zip(code, point):
        f = h @ out[node]
        label = 1.0 - bit
        g = (label - sigmoid(f)) * alpha
        loss -= np.log(sigmoid_exact(f if label else -f))
        grad += g * out[node]
        out[node] += g * h
    return grad, out, loss


def cbow_update_reference(syn0, syn1neg, contexts, target, negs, alpha, mean=True, corrected=False,
                          sigmoid=sigmoid_exact, lockf=None):
    """One CBOW + negative-sampling update: h = sum (or mean) of the context rows; every context
    row gets the whole gradient of h (word2vec), or 1/len(contexts) of it (corrected, with mean),
    times its lock factor lockf[c] (None: 1)."""
    syn0 = syn0.astype(np.float64)
    h = syn0[contexts].sum(axis=0)
    if mean:
        h /= len(contexts)
    grad, out, loss = sgns_update_reference(h, syn1neg, target, negs, alpha, sigmoid)
    if corrected and mean:
        grad /= len(contexts)
    for c in contexts:
        syn0[c] += grad * (1.0 if lockf is None else float(lockf[c]))
    return syn0, out, loss


def lock_factors(lockf, rows):
    """Column of the lock factors of ``rows`` (1 without lockf), to scale their input updates."""
    return np.ones((len(rows), 1)) if lockf is None else np.asarray(lockf, np.float64)[list(rows)][:, None]


def shared_negatives_reference(syn0, syn1neg, contexts, target, negs, alpha, sigmoid=sigmoid_exact, lockf=None):
    """Ji et al. minibatch SGNS for one centre word: logits of every (context, output) pair from
    the old weights, then G = (labels - sigmoid) * alpha, syn0[ctx] += lockf[ctx] * (G @ Y),
    syn1neg[out] += G.T @ X."""
    syn0 = syn0.astype(np.float64)
    out = syn1neg.astype(np.float64)
    outs = [target] + [n for n in negs if n != target]
    x, y = syn0[contexts], out[outs]
    f = x @ y.T
    labels = np.zeros_like(f)
    labels[:, 0] = 1.0
    g = (labels - np.vectorize(sigmoid, otypes=[float])(f)) * alpha
    loss = -np.log(sigmoid_exact(np.where(labels == 1, f, -f))).sum()
    np.add.at(syn0, contexts, lock_factors(lockf, contexts) * (g @ y))
    np.add.at(out, outs, g.T @ x)
    return syn0, out, loss


def hs_window_reference(syn0, syn1, contexts, code, point, alpha, sigmoid=sigmoid_exact, lockf=None):
    """Hierarchical softmax shared across one window: every context row is an input, the nodes of
    the centre's Huffman path the outputs (label 1 - bit); logits from the old weights, then
    G = (labels - sigmoid) * alpha, syn0[ctx] += lockf[ctx] * (G @ Y), syn1[path] += G.T @ X."""
    syn0 = syn0.astype(np.float64)
    out = syn1.astype(np.float64)
    x, y = syn0[contexts], out[list(point)]
    f = x @ y.T
    labels = np.broadcast_to(1.0 - np.asarray(code, dtype=np.float64), f.shape)
    g = (labels - np.vectorize(sigmoid, otypes=[float])(f)) * alpha
    loss = -np.log(sigmoid_exact(np.where(labels == 1, f, -f))).sum()
    np.add.at(syn0, contexts, lock_factors(lockf, contexts) * (g @ y))
    np.add.at(out, list(point), g.T @ x)
    return syn0, out, loss


class XorShift:
    """Python twin of embedkit._rng.next_u64 and the draws word2vec's kernel makes from it."""

    M = (1 << 64) - 1

    def __init__(self, state):
        self.x = int(state)

    def u64(self):
        x = self.x
        x ^= x >> 12
        x ^= (x << 25) & self.M
        x ^= x >> 27
        self.x = x
        return (x * 0x2545F4914F6CDD1D) & self.M

    def uniform(self):
        return (self.u64() >> 11) * 2.0**-53

    def below(self, n):
        return ((self.u64() >> 32) * n) >> 32

    def noise(self, table):
        u = self.u64()
        i = ((u >> 32) * len(table)) >> 32
        t = int(table[i])
        return i if (u & 0xFFFFFFFF) < (t >> 32) else t & 0xFFFFFFFF


def word2vec_chunk_reference(sentences, syn0, syn1, syn1neg, codes, lens, points, noise, keep, state, alpha,
                             window, negative, model="skipgram", hs=False, cbow_mean=True, corrected=False,
                             shared_negatives=False, shared_hs=False, sigmoid=sigmoid_exact, lockf=None,
                             phrases=None, phrase_state=None):
    """Train one chunk the slow way, drawing the same random numbers in the same order as the
    kernel: per token a subsampling draw (if keep < 1), per centre word a window draw, then the
    negatives (per pair for skip-gram, per centre word for CBOW and shared negatives). With
    shared_hs, skip-gram's HS update of a window (hs_window_reference) comes before its
    pair-by-pair negative sampling. Every change of an input row w (syn0[w]) is multiplied by
    lockf[w] (None: 1; the outputs are never scaled). Returns (syn0, syn1, syn1neg, loss, pairs)
    in float64.

    ``phrases`` (phrases trained beside the words): per sentence, a list of occurrences
    ``(first word's position in the sentence, words, input row, keep probability)``, trained
    after the sentence's words by phrase_reference with draws from ``phrase_state``."""
    rng = XorShift(state)
    prng = XorShift(phrase_state) if phrases is not None else None
    lock = np.ones(len(syn0)) if lockf is None else np.asarray(lockf, np.float64)
    syn0, syn1, syn1neg = (a.astype(np.float64) for a in (syn0, syn1, syn1neg))
    loss, pairs = 0.0, 0
    for s_i, sent in enumerate(sentences):
        kept = [keep[w] >= 1.0 or rng.uniform() < keep[w] for w in sent]
        sen = [w for w, k in zip(sent, kept) if k]
        for i, center in enumerate(sen):
            b = rng.below(window)
            ctx = [j for j in range(max(0, i - window + b), min(len(sen), i + window - b + 1)) if j != i]
            path = (codes[center, :lens[center]], points[center, :lens[center]]) if hs else None
            if model == "skipgram" and shared_negatives:
                negs = [rng.noise(noise) for _ in range(negative)]
                syn0, syn1neg, ls = shared_negatives_reference(syn0, syn1neg, [sen[j] for j in ctx], center, negs,
                                                               alpha, sigmoid, lock)
                loss, pairs = loss + ls, pairs + len(ctx)
            elif model == "skipgram":
                if hs and shared_hs and ctx:
                    syn0, syn1, ls = hs_window_reference(syn0, syn1, [sen[j] for j in ctx], *path, alpha, sigmoid,
                                                         lock)
                    loss += ls
                for j in ctx:
                    h = syn0[sen[j]].copy()
                    grad = np.zeros_like(h)
                    if hs and not shared_hs:
                        gr, syn1, ls = hs_update_reference(h, syn1, *path, alpha, sigmoid)
                        grad, loss = grad + gr, loss + ls
                    if negative:
                        negs = [rng.noise(noise) for _ in range(negative)]
                        gr, syn1neg, ls = sgns_update_reference(h, syn1neg, center, negs, alpha, sigmoid)
                        grad, loss = grad + gr, loss + ls
                    syn0[sen[j]] += lock[sen[j]] * grad
                    pairs += 1
            elif ctx:
                negs = [rng.noise(noise) for _ in range(negative)]
                cw = [sen[j] for j in ctx]
                h = syn0[cw].sum(axis=0) / (len(cw) if cbow_mean else 1)
                grad = np.zeros_like(h)
                if hs:
                    gr, syn1, ls = hs_update_reference(h, syn1, *path, alpha, sigmoid)
                    grad, loss = grad + gr, loss + ls
                if negative:
                    gr, syn1neg, ls = sgns_update_reference(h, syn1neg, center, negs, alpha, sigmoid)
                    grad, loss = grad + gr, loss + ls
                if corrected and cbow_mean:
                    grad /= len(cw)
                for c in cw:
                    syn0[c] += lock[c] * grad
                pairs += 1
        if phrases is not None and sen:
            syn0 = phrase_reference(syn0, syn1neg, sen, np.concatenate([[0], np.cumsum(kept)]), phrases[s_i], prng,
                                    noise, alpha, window, negative, sigmoid, lock)
    return syn0, syn1, syn1neg, loss, pairs


def phrase_reference(syn0, syn1neg, sen, posmap, occurrences, rng, noise, alpha, window, negative, sigmoid, lock):
    """The phrases of one sentence (subsampled words ``sen``; ``posmap[p]``: the kept words before
    position p): each occurrence (a, length, row, keep) is kept with probability keep, draws an
    effective window like a centre word (window - b around its words, which are left out), and
    its row predicts those words (label 1) and ``negative`` noise words (label 0; one equal to a
    window word is skipped) from the old row, which then moves by lock[row] * the summed
    gradient. The output rows do not change."""
    for a, length, row, kp in occurrences:
        if kp < 1.0 and not rng.uniform() < kp:
            continue
        ia, ib = posmap[a], posmap[a + length]
        b = rng.below(window)
        ctx = [sen[j] for j in range(max(0, ia - window + b), min(len(sen), ib + window - b)) if j < ia or j >= ib]
        if not ctx:
            continue
        h = syn0[row].copy()
        grad = np.zeros_like(h)
        for o in ctx:
            grad += (1.0 - sigmoid(h @ syn1neg[o])) * alpha * syn1neg[o]
        for _ in range(negative):
            t = rng.noise(noise)
            if t not in ctx:
                grad += (0.0 - sigmoid(h @ syn1neg[t])) * alpha * syn1neg[t]
        syn0[row] += lock[row] * grad
    return syn0


# ---------------------------------------------------------------- GloVe (glove helper)
def glove_epoch_reference(rows, cols, logx, weight, params, gradsq, lr, clip=100.0):
    """One AdaGrad pass over the entries in order, in float64. params/gradsq are (2V, dim+1):
    rows [0, V) words, [V, 2V) contexts, last column the bias. A vector component with gradient
    g = f * diff * (other vector) steps by s = clip(g) * lr / sqrt(acc), then acc += (clip(g) * lr)**2;
    a bias steps by f * diff / sqrt(acc), then acc += (f * diff)**2. Returns (params, gradsq, cost)."""
    p = params.astype(np.float64)
    g = gradsq.astype(np.float64)
    v = p.shape[0] // 2
    cost = 0.0
    for i, j, lx, f in zip(rows, cols, logx, weight):
        j = j + v
        diff = p[i, :-1] @ p[j, :-1] + p[i, -1] + p[j, -1] - lx
        fdiff = f * diff
        cost += 0.5 * fdiff * diff
        s_i = np.clip(fdiff * p[j, :-1], -clip, clip) * lr
        s_j = np.clip(fdiff * p[i, :-1], -clip, clip) * lr
        p[i, :-1] -= s_i / np.sqrt(g[i, :-1])
        p[j, :-1] -= s_j / np.sqrt(g[j, :-1])
        g[i, :-1] += s_i ** 2
        g[j, :-1] += s_j ** 2
        p[i, -1] -= fdiff / np.sqrt(g[i, -1])
        p[j, -1] -= fdiff / np.sqrt(g[j, -1])
        g[i, -1] += fdiff ** 2
        g[j, -1] += fdiff ** 2
    return p, g, cost


# ---------------------------------------------------------------- fastText subwords (fasttext)
def ft_hash_reference(data: bytes) -> int:
    """fastText's hash: 32-bit FNV-1a where each byte is first widened as a signed char."""
    h = 2166136261
    for b in data:
        signed = b - 256 if b >= 128 else b
        h = ((h ^ (signed & 0xFFFFFFFF)) * 16777619) % 2**32
    return h


def ngram_bytes_reference(word: str, minn: int, maxn: int) -> list:
    """fastText's n-grams of word, from the UTF-8 bytes of '<word>': an n-gram starts at each
    byte that does not match 10xxxxxx and spans n such characters; the 1-char '<' and '>' are out."""
    if word == "</s>":
        return []
    w = ("<" + word + ">").encode("utf-8")
    starts = [i for i, b in enumerate(w) if b & 0xC0 != 0x80] + [len(w)]
    out = []
    for a in range(len(starts) - 1):
        for n in range(1, maxn + 1):
            if a + n >= len(starts):
                break
            if n >= minn and not (n == 1 and (a == 0 or a + n == len(starts) - 1)):
                out.append(w[starts[a]:starts[a + n]])
    return out


def fasttext_update_reference(inp, out, rows, steps, alpha, per_pair=True, sigmoid=None):
    """fastText's negative-sampling updates for one input bag, in float64.

    The hidden vector is the mean of inp[rows] (a row listed twice counts twice). Each step is
    (target, negs): every output row (target label 1, then negs with label 0, a neg equal to the
    target skipped) moves by g * hidden, g = alpha * (label - sigmoid(out_row . hidden)), with the
    output rows as they are at that moment, and g * out_row is added to the input gradient.
    per_pair: after each step the gradient is added, unscaled, to every row in rows and the hidden
    vector is recomputed (fastText); else the hidden vector is computed once and the summed
    gradient added at the end. Returns (new inp, new out, NLL)."""
    sigmoid = sigmoid or sigmoid_exact
    inp = inp.astype(np.float64).copy()
    out = out.astype(np.float64).copy()
    grad = np.zeros(inp.shape[1])
    h = inp[list(rows)].mean(axis=0)
    loss = 0.0
    for target, negs in steps:
        if per_pair:
            h = inp[list(rows)].mean(axis=0)
            grad[:] = 0.0
        for t, label in [(target, 1.0)] + [(n, 0.0) for n in negs if n != target]:
            f = out[t] @ h
            g = alpha * (label - sigmoid(f))
            grad += g * out[t]
            out[t] += g * h
            loss -= np.log(sigmoid_exact(f if label else -f))
        if per_pair:
            for r in rows:
                inp[r] += grad
    if not per_pair:
        for r in rows:
            inp[r] += grad
    return inp, out, loss


def fasttext_cbow_window_reference(inp, out, bags, sen, window, negs, alpha, sigmoid=None):
    """fastText CBOW over one sentence with each position's rows read once and written once, in
    float64: position p's row sum S[p] is taken when p first enters a window (before centre
    p - window); centre i's hidden vector is sum(S[j]) / (rows of the j) over its contexts j
    (all within `window`); its gradient is summed into G[j] for each context j; G[p] is added to
    every row of p's word once no later centre can use p (after centre p + window).
    bags[w] lists word w's rows. Returns (new inp, new out, NLL)."""
    sigmoid = sigmoid or sigmoid_exact
    inp = inp.astype(np.float64).copy()
    out = out.astype(np.float64).copy()
    n = len(sen)
    S, G = {}, {}
    entered = exited = 0
    loss = 0.0

    def flush(p):
        for r in bags[sen[p]]:
            inp[r] += G[p]

    for i in range(n):
        while entered < min(n, i + window + 1):
            S[entered] = inp[list(bags[sen[entered]])].sum(axis=0)
            G[entered] = np.zeros(inp.shape[1])
            entered += 1
        ctx = [j for j in range(max(0, i - window), min(n, i + window + 1)) if j != i]
        if ctx:
            h = sum(S[j] for j in ctx) / sum(len(bags[sen[j]]) for j in ctx)
            grad = np.zeros(inp.shape[1])
            for t, label in [(sen[i], 1.0)] + [(x, 0.0) for x in negs if x != sen[i]]:
                f = out[t] @ h
                g = alpha * (label - sigmoid(f))
                grad += g * out[t]
                out[t] += g * h
                loss -= np.log(sigmoid_exact(f if label else -f))
            for j in ctx:
                G[j] += grad
        while exited < i + 1 - window:
            flush(exited)
            exited += 1
    while exited < n:
        flush(exited)
        exited += 1
    return inp, out, loss


def phrases_reference(sentences, *, min_count, thresholds, scoring="word2phrase", connectors=(), delimiter="_"):
    """Phrase detection written plainly: per pass, count candidates in dicts (a word, connector
    words, a word), score them, then join greedily left to right by the joined string.
    Returns (list of phrase sets per pass, phrased sentences)."""
    conn = set(connectors)
    found = []
    for thr in thresholds:
        uni, pair = defaultdict(int), defaultdict(int)
        total = 0
        for sen in sentences:
            start, between = None, []
            for w in sen:
                total += 1
                uni[w] += 1
                if w in conn:
                    if start is not None:
                        between.append(w)
                    continue
                if start is not None:
                    pair[(start, tuple(between), w)] += 1
                start, between = w, []
        phrases = set()
        for (a, mid, b), n in pair.items():
            if n < min_count:
                continue
            if scoring == "word2phrase":
                if uni[a] < min_count or uni[b] < min_count:
                    continue
                s = np.float32(n - min_count) / np.float32(uni[a]) / np.float32(uni[b]) * np.float32(total)
                ok = s > np.float32(thr)
            else:
                pab, pa, pb = n / total, uni[a] / total, uni[b] / total
                ok = np.log(pab / (pa * pb)) / -np.log(pab) > thr
            if ok:
                phrases.add(delimiter.join([a, *mid, b]))
        found.append(phrases)
        out = []
        for sen in sentences:
            res, start = [], None  # start: index in res of the candidate's first word
            for w in sen:
                if w in conn:
                    res.append(w)
                    continue
                if start is not None and delimiter.join(res[start:] + [w]) in phrases:
                    res[start:] = [delimiter.join(res[start:] + [w])]
                    start = None
                    continue
                res.append(w)
                start = len(res) - 1
            out.append(res)
        sentences = out
    return found, sentences
# ---------------------------------------------------------------- tokenizers (issue 23)
def tokenize_words_reference(text, lowercase=False, keep_punctuation=False):
    """The ``words`` tokenizer from Unicode properties (the ``regex`` module), line by line:
    a list of token lists, one per ``\\n``-separated line."""
    import regex

    if lowercase:
        text = text.lower()
    text = regex.sub(r"\p{Cf}", lambda m: " " if m.group() == "\u200b" else "", text)
    word = r"[\p{L}\p{M}\p{N}\p{Cn}\p{Co}]"
    joiner = r"(?:['\u2019\-\u2010\u2011.\p{Pc}]|(?<=\p{Nd}),(?=\p{Nd}))"
    word_re = regex.compile(rf"{word}+(?:{joiner}{word}+)*")
    abbrev = regex.compile(r"\p{L}(?:\.\p{L})+")
    lines = []
    for line in text.split("\n"):
        tokens = []
        for chunk in regex.split(r"[\s\p{Cc}]+", line):
            pos = 0
            while pos < len(chunk):
                m = word_re.match(chunk, pos)
                if m:
                    tok, pos = m.group(), m.end()
                    if abbrev.fullmatch(tok) and chunk[pos:pos + 1] == ".":
                        tok, pos = tok + ".", pos + 1
                    tokens.append(tok)
                else:
                    if keep_punctuation:
                        tokens.append(chunk[pos])
                    pos += 1
        lines.append(tokens)
    return lines


def tokenize_text8_reference(data):
    """text8's cleaning of bytes, byte by byte: a list of token lists, one per line."""
    digits = "zero one two three four five six seven eight nine".split()
    out = []
    for b in data:
        c = chr(b)
        if "a" <= c <= "z" or c == "\n":
            out.append(c)
        elif "A" <= c <= "Z":
            out.append(c.lower())
        elif "0" <= c <= "9":
            out.append(f" {digits[b - 48]} ")
        else:
            out.append(" ")
    return [line.split() for line in "".join(out).split("\n")]


def kmeans_step(x, centroids):
    """One Lloyd step on unit rows: the nearest centroid of each row (squared Euclidean, first on
    ties), the inertia, and the new means (a class left empty keeps its old centroid here)."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(centroids, dtype=np.float64)
    d = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    labels = d.argmin(1)
    means = np.array([x[labels == j].mean(0) if (labels == j).any() else c[j] for j in range(len(c))])
    return labels, d.min(1).sum(), means


def greedy_kmeans_plus_plus(x, first, uniforms):
    """Greedy k-means++ in float64: centre 0 is row ``first``; centre c is the best (lowest total
    squared distance to the nearest centre) of the rows drawn by inverting the cumulative squared
    distances at uniforms[c, :] (the last row when past the end)."""
    x = np.asarray(x, dtype=np.float64)
    closest = ((x - x[first]) ** 2).sum(1)
    centres = [first]
    for u in uniforms[1:]:
        cum = np.cumsum(closest)
        cand = [min(int(np.searchsorted(cum, v * cum[-1], side="right")), len(x) - 1) for v in u]
        trial = [np.minimum(((x - x[r]) ** 2).sum(1), closest) for r in cand]
        best = int(np.argmin([t.sum() for t in trial]))
        centres.append(cand[best])
        closest = trial[best]
    return np.array(centres)
