"""Phrase vectors: SGNS on a corpus with and without its two-pass phrase table, scored so that
the two are comparable (issue 23).

usage: python bench/phrase_vectors.py CORPUS [--seeds 1,2] [--threads 2] [--epochs 5] [--out DIR]
                                              [--threshold 200,100] [--mode replace|add] [--train-only]

1. The table: ``find_phrases(CORPUS, threshold=[200, 100])`` (``embedkit phrases CORPUS
   --threshold 200,100 --save-table``), saved as ``OUT/table.tsv`` (reused when present).
2. Per seed, SGNS with bench/word2vec.py's settings (dim 100, window 5, min_count 5, sample 1e-4,
   5 negatives, alpha 0.025, 5 epochs) on CORPUS ("plain") and on CORPUS with the table applied
   on the fly ("phrased", ``train --phrases``; with ``--mode add``, ``train --phrases
   --phrase-mode add``: the words stay whole and the phrases get vectors beside them); vectors kept in OUT (``NAME.npy``, ``NAME.words``,
   ``NAME.counts.npy``) so the scoring can be rerun without training.
3. Scoring (see :func:`score`), for each seed and the mean over seeds.

``--absorb`` trains nothing: per pair of thresholds, how much of the evaluation words' text the
table joins into phrases.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # text.common_google_file

SGNS = dict(model="skipgram", dim=100, window=5, min_count=5, sample=1e-4, negative=5, alpha=0.025)


def _log(msg):
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {msg}", file=sys.stderr, flush=True)


def table_path(corpus, out, thresholds, threads):
    from embedkit.phrases import find_phrases

    path = os.path.join(out, "table.tsv")
    if not os.path.exists(path):
        t = time.perf_counter()
        table = find_phrases(corpus, threshold=thresholds, threads=threads)
        table.save(path)
        _log(f"table: {len(table):,} phrases ({' + '.join(str(len(p)) for p in table.passes)}) in "
             f"{time.perf_counter() - t:.0f} s")
    return path


def train(corpus, out, table, seed, threads, epochs, mode="replace"):
    """Train the plain and the phrased model of one seed (skipped when saved)."""
    from embedkit.phrases import PhraseTable, phrase_corpus
    from embedkit.word2vec import train_word2vec

    for kind in ("plain", "phrased"):
        base = os.path.join(out, f"{kind}-seed{seed}")
        if os.path.exists(base + ".npy"):
            continue
        _log(f"training {kind}, seed {seed}")
        w, c = time.perf_counter(), time.process_time()
        src = corpus if kind == "plain" else phrase_corpus(corpus, PhraseTable.load(table), min_count=5,
                                                           threads=threads, mode=mode)
        r = train_word2vec(src, threads=threads, seed=seed, epochs=epochs, **SGNS)
        v = r.vectors
        np.save(base + ".counts.npy", np.asarray(v.counts if v.counts is not None else [], np.int64))
        Path(base + ".words").write_text("\n".join(v.words), encoding="utf-8")
        np.save(base + ".npy", v.matrix)
        Path(base + ".json").write_text(json.dumps(dict(wall=time.perf_counter() - w, cpu=time.process_time() - c,
                                                        load=os.getloadavg()[0])))
        _log(f"done {kind}, seed {seed}: {time.perf_counter() - w:.0f} s wall")


SIM_SETS = ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k")
PHRASE_QUESTIONS = "/work/shared/peers/src/word2vec/questions-phrases.txt"  # word2vec's file


def _load(out, name):
    from embedkit.vectors import Vectors

    base = os.path.join(out, name)
    words = Path(base + ".words").read_text(encoding="utf-8").split("\n")
    return Vectors(words, np.load(base + ".npy"), np.load(base + ".counts.npy"))


def split_back(phrased, phrases, delimiter="_", every_word=False):
    """The phrased model as a word-level one: every phrase split back into its words.

    Definition (used by the bench and in bench/RESULTS.md): the words are those of the phrased
    vocabulary once each phrase token is split at ``delimiter`` (a pass-2 phrase into all its
    words). A word's count is its occurrences as a whole token plus those inside the phrase
    tokens of the vocabulary (so, up to the phrases under min_count, its count in the unphrased
    text); the words are ordered by it, so ``restrict`` means what it means for the plain model.
    A word that is a token of the phrased vocabulary keeps its own vector; a word that is not
    (every or nearly every occurrence was joined, so it fell under min_count) gets the
    count-weighted mean of the unit vectors of the phrase tokens that contain it. Phrase tokens
    themselves are not candidates. ``every_word=True`` (a second reading, reported beside it):
    every word gets the count-weighted mean of the unit vectors of its own token and of the
    phrases containing it, i.e. of all its occurrences.
    """
    from embedkit.vectors import Vectors

    phrases = set(phrases)
    unit = phrased.unit.astype(np.float64)
    total, whole, acc, weight = {}, {}, {}, {}
    for i, (t, c) in enumerate(zip(phrased.words, phrased.counts.tolist())):
        if t not in phrases:
            whole[t] = i
            total[t] = total.get(t, 0) + c
            continue
        for w in t.split(delimiter):
            total[w] = total.get(w, 0) + c
            acc[w] = acc.get(w, 0) + c * unit[i]
            weight[w] = weight.get(w, 0) + c
    words = sorted(total, key=lambda w: -total[w])  # stable: ties keep the phrased order
    m = np.empty((len(words), phrased.matrix.shape[1]), np.float32)
    composed = 0
    for k, w in enumerate(words):
        if w in whole and not (every_word and w in acc):
            m[k] = phrased.unit[whole[w]]
        elif w in whole:
            c = phrased.counts[whole[w]]
            m[k] = (acc[w] + c * unit[whole[w]]) / (weight[w] + c)
        else:
            m[k] = acc[w] / weight[w]
            composed += 1
    return Vectors(words, m, np.array([total[w] for w in words], np.int64)), composed


def _common_file(path, rows, keep):
    with open(path, "w", encoding="utf-8") as f:
        for row, k in zip(rows, keep):
            if k:
                f.write("\t".join(map(str, row)) + "\n")
    return path


def _sim(v, path):
    from embedkit.eval import evaluate_similarity

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluate_similarity(v, path, bootstrap=0)


def _covers(v, words, restrict=None):
    table = {w.lower() for w in (v.words if restrict is None else v.words[:restrict])}
    return [w.lower() in table for w in words]


def _google(models, out, tag, restrict=30000):
    """3CosAdd on every Google question (each model's own coverage) and on the questions all of
    ``models`` answer (all four words in each one's top ``restrict``)."""
    from embedkit.eval import evaluate_analogy
    from text import common_google_file

    path = common_google_file(os.path.join(out, f"google-common-{tag}.txt"), models, restrict)
    res = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in models:
            own = evaluate_analogy(v, "google", restrict=restrict, bootstrap=0, methods=("add",))[0].total
            common = evaluate_analogy(v, path, restrict=restrict, bootstrap=0, methods=("add",))[0].total
            res.append(dict(acc=own.correct / max(own.answered, 1), coverage=own.answered / own.questions,
                            common=common.correct / max(common.answered, 1), n_common=common.answered))
    return res


def absorbed_share(plain, phrased):
    """word -> share of its occurrences in the unphrased text that the table joined into a phrase:
    1 - (count as a whole token in the phrased text) / (count in the unphrased text), for the
    words of the plain vocabulary (a whole-token count under min_count reads as 0)."""
    q = dict(zip(phrased.words, phrased.counts.tolist()))
    return {w: 1.0 - q.get(w, 0) / c for w, c in zip(plain.words, plain.counts.tolist())}


def score_seed(out, seed, table):
    """Every figure for one seed, as a dict."""
    from embedkit.eval import bundled_path, evaluate_analogy, read_analogies, read_similarity

    plain, phrased = _load(out, f"plain-seed{seed}"), _load(out, f"phrased-seed{seed}")
    split, composed = split_back(phrased, table.phrases(), table.delimiter)
    mean_all, _ = split_back(phrased, table.phrases(), table.delimiter, every_word=True)
    absorbed = absorbed_share(plain, phrased)
    r = dict(seed=seed, vocab=(len(plain), len(phrased), len(split)), composed=composed, sim={}, groups={})
    for name in SIM_SETS:
        rows = read_similarity(bundled_path(name))
        cov = {}
        for label, v in (("plain", plain), ("phrased", phrased), ("split", split)):
            cov[label] = [a and b for a, b in zip(_covers(v, [x[0] for x in rows]), _covers(v, [x[1] for x in rows]))]
        both = [a and b for a, b in zip(cov["plain"], cov["phrased"])]
        path = _common_file(os.path.join(out, f"{name}-common-s{seed}.tsv"), rows, both)
        d = dict(n=len(rows), n_common=sum(both))
        d["split_all"] = _sim(mean_all, name).spearman
        for label, v in (("plain", plain), ("phrased", phrased), ("split", split)):
            d[label] = _sim(v, name).spearman
            d[f"{label}_coverage"] = sum(cov[label]) / len(rows)
            d[f"{label}_common"] = _sim(v, path).spearman
        # where the drop is: the common pairs by the share of their words' occurrences absorbed
        groups = {}
        pair_share = [max(absorbed.get(x[0].lower(), 0), absorbed.get(x[1].lower(), 0)) for x in rows]
        cuts = np.quantile([a for a, b in zip(pair_share, both) if b], [1 / 3, 2 / 3])
        for k, (lo, hi) in enumerate(((-1, cuts[0]), (cuts[0], cuts[1]), (cuts[1], 2))):
            label = f"third {k + 1}: {max(lo, 0):.1%}-{min(hi, 1):.1%}"
            keep = [b and lo < a <= hi for a, b in zip(pair_share, both)]
            gp = _common_file(os.path.join(out, f"{name}-group{k}-s{seed}.tsv"), rows, keep)
            groups[label] = (sum(keep), _sim(plain, gp).spearman if sum(keep) > 2 else float("nan"),
                             _sim(phrased, gp).spearman if sum(keep) > 2 else float("nan"))
        r["groups"][name] = groups
        words = {w.lower() for x in rows for w in x[:2] if w.lower() in absorbed}
        shares = np.array([absorbed[w] for w in words])
        d["absorbed_mean"], d["absorbed_10"] = float(shares.mean()), float((shares >= 0.10).mean())
        d["absorbed_50"] = float((shares >= 0.50).mean())
        r["sim"][name] = d
    g_pq = _google([plain, phrased], out, f"pq-s{seed}")
    g_ps = _google([plain, split], out, f"ps-s{seed}")
    g_pa = _google([plain, mean_all], out, f"pa-s{seed}")
    r["google"] = dict(plain=g_pq[0], phrased=g_pq[1], split=g_ps[1], plain_vs_split=g_ps[0], split_all=g_pa[1],
                       plain_vs_all=g_pa[0])
    # the common questions by the largest share absorbed among their four words, in thirds
    common = [(sec, q) for sec, qs in read_analogies(os.path.join(out, f"google-common-pq-s{seed}.txt")) for q in qs]
    q_share = [max(absorbed.get(w.lower(), 0) for w in q) for _, q in common]
    cuts = np.quantile(q_share, [1 / 3, 2 / 3])
    r["google_groups"] = {}
    for k, (lo, hi) in enumerate(((-1, cuts[0]), (cuts[0], cuts[1]), (cuts[1], 2))):
        path = os.path.join(out, f"google-group{k}-s{seed}.txt")
        with open(path, "w", encoding="utf-8") as f:
            last = None
            for (sec, q), a in zip(common, q_share):
                if lo < a <= hi:
                    if sec != last:
                        f.write(f": {sec}\n")
                        last = sec
                    f.write(" ".join(q) + "\n")
        accs = []
        n_group = sum(lo < a <= hi for a in q_share)
        if n_group == 0:  # e.g. nothing absorbed (--mode add): one third holds every question
            r["google_groups"][f"third {k + 1}: {max(lo, 0):.1%}-{min(hi, 1):.1%}"] = (0, float("nan"), float("nan"))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for v in (plain, phrased):
                t = evaluate_analogy(v, path, restrict=30000, bootstrap=0, methods=("add",))[0].total
                accs.append(t.correct / max(t.answered, 1))
        r["google_groups"][f"third {k + 1}: {max(lo, 0):.1%}-{min(hi, 1):.1%}"] = (t.answered, *accs)
    gw = {w.lower() for _, qs in read_analogies(bundled_path("google")) for q in qs for w in q if w.lower() in absorbed}
    gs = np.array([absorbed[w] for w in gw])
    r["google"]["absorbed_mean"], r["google"]["absorbed_10"] = float(gs.mean()), float((gs >= 0.10).mean())
    qp = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, v in (("plain", plain), ("phrased", phrased)):
            t = evaluate_analogy(v, PHRASE_QUESTIONS, restrict=300000, bootstrap=0, methods=("add",))[0].total
            qp[label] = (t.questions, t.answered, t.correct)
    r["phrase_questions"] = qp
    for kind in ("plain", "phrased"):
        r[f"time_{kind}"] = json.loads(Path(os.path.join(out, f"{kind}-seed{seed}.json")).read_text())
    return r


def score(corpus, out, table_file, seeds, threads):
    from embedkit.phrases import PhraseTable

    table = PhraseTable.load(table_file)
    print(f"table: {len(table):,} phrases ({' + '.join(f'{len(p):,}' for p in table.passes)}), thresholds "
          f"{table.thresholds}")
    res = [score_seed(out, s, table) for s in seeds]
    Path(os.path.join(out, "scores.json")).write_text(json.dumps(res, indent=1, default=lambda o: o.item()))
    f3 = lambda x: f"{x:.3f}"  # noqa: E731
    print("\n### Similarity sets: own pairs, and the pairs both plain and phrased cover\n")
    print("| seed | set | plain (cov) | phrased (cov) | split back (cov) | diff own | plain, common | "
          "phrased, common | diff common | pairs common |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in res:
        for name, d in r["sim"].items():
            print(f"| {r['seed']} | {name} | {f3(d['plain'])} ({d['plain_coverage']:.3f}) | {f3(d['phrased'])} "
                  f"({d['phrased_coverage']:.3f}) | {f3(d['split'])} ({d['split_coverage']:.3f}) | "
                  f"{d['phrased'] - d['plain']:+.3f} | {f3(d['plain_common'])} | {f3(d['phrased_common'])} | "
                  f"{d['phrased_common'] - d['plain_common']:+.3f} | {d['n_common']} / {d['n']} |")
    print("\nmean over seeds, phrased - plain on the common pairs: " + ", ".join(
        f"{n} {np.mean([r['sim'][n]['phrased_common'] - r['sim'][n]['plain_common'] for r in res]):+.4f}"
        for n in SIM_SETS))
    print("mean over seeds, split back - plain (own pairs): " + ", ".join(
        f"{n} {np.mean([r['sim'][n]['split'] - r['sim'][n]['plain'] for r in res]):+.4f}" for n in SIM_SETS))
    print("mean over seeds, split back every word (all occurrences) - plain (own pairs): " + ", ".join(
        f"{n} {np.mean([r['sim'][n]['split_all'] - r['sim'][n]['plain'] for r in res]):+.4f}" for n in SIM_SETS))
    print("\n### Google (3CosAdd, top 30k)\n")
    print("| seed | plain (cov) | phrased, whole words (cov) | split back (cov) | plain / phrased on common "
          "questions (n) | diff | plain / split back on common (n) | diff |")
    print("|---|---|---|---|---|---|---|---|")
    for r in res:
        g = r["google"]
        print(f"| {r['seed']} | {g['plain']['acc']:.1%} ({g['plain']['coverage']:.3f}) | {g['phrased']['acc']:.1%} "
              f"({g['phrased']['coverage']:.3f}) | {g['split']['acc']:.1%} ({g['split']['coverage']:.3f}) | "
              f"{g['plain']['common']:.1%} / {g['phrased']['common']:.1%} ({g['plain']['n_common']:,}) | "
              f"{100 * (g['phrased']['common'] - g['plain']['common']):+.1f} pt | "
              f"{g['plain_vs_split']['common']:.1%} / {g['split']['common']:.1%} ({g['split']['n_common']:,}) | "
              f"{100 * (g['split']['common'] - g['plain_vs_split']['common']):+.1f} pt |")
    for key, a, b in (("common questions, phrased - plain", "phrased", "plain"),
                      ("common questions, split back - plain", "split", "plain_vs_split"),
                      ("common questions, split back every word - plain", "split_all", "plain_vs_all")):
        print(f"mean over seeds, {key}: "
              f"{np.mean([100 * (r['google'][a]['common'] - r['google'][b]['common']) for r in res]):+.2f} pt")
    print("\n### Where the drop is: share of the eval words' occurrences absorbed into phrases\n")
    r0 = res[0]
    print("| set | mean share absorbed per word | words with >= 10% absorbed | with >= 50% |")
    print("|---|---|---|---|")
    for name, d in r0["sim"].items():
        print(f"| {name} | {d['absorbed_mean']:.1%} | {d['absorbed_10']:.1%} | {d['absorbed_50']:.1%} |")
    print(f"| Google | {r0['google']['absorbed_mean']:.1%} | {r0['google']['absorbed_10']:.1%} | |")
    print("\n| seed | set | common pairs by the share their words lose (max of the two) | pairs | plain | phrased "
          "| diff |")
    print("|---|---|---|---|---|---|---|")
    for r in res:
        for name, groups in r["groups"].items():
            for label, (n, a, b) in groups.items():
                print(f"| {r['seed']} | {name} | {label} | {n} | {f3(a)} | {f3(b)} | {b - a:+.3f} |")
    for r in res:
        for label, (n, a, b) in r["google_groups"].items():
            print(f"| {r['seed']} | Google, common questions (accuracy) | {label} | {n:,} | {a:.1%} | {b:.1%} | "
                  f"{100 * (b - a):+.1f} pt |")
    print("\n### questions-phrases.txt, 3CosAdd, restrict 300k\n")
    print("| seed | model | questions | answered (coverage) | correct |")
    print("|---|---|---|---|---|")
    for r in res:
        for label, (n, ans, c) in r["phrase_questions"].items():
            print(f"| {r['seed']} | {label} | {n:,} | {ans:,} ({ans / n:.1%}) | {c} |")
    print("\n| seed | model | vocab | wall s | CPU s | load at end |")
    print("|---|---|---|---|---|---|")
    for r in res:
        for k, kind in enumerate(("plain", "phrased")):
            t = r[f"time_{kind}"]
            print(f"| {r['seed']} | {kind} | {r['vocab'][k]:,} | {t['wall']:.0f} | {t['cpu']:.0f} | {t['load']:.1f} |")
        print(f"| {r['seed']} | split back | {r['vocab'][2]:,} ({r['composed']:,} words composed from phrases) "
              "| | | |")


def absorb(corpus, threshold_sets, threads):
    """Without training: for each pair of thresholds, the table's size and the mean share of the
    evaluation sets' words' occurrences that it joins into phrases (see :func:`absorbed_share`)."""
    from embedkit.eval import bundled_path, read_analogies, read_similarity
    from embedkit.phrases import find_phrases, phrase_corpus
    from embedkit.vocab import build_vocab

    plain = build_vocab(corpus, min_count=5)
    pc = dict(zip(plain.words, plain.counts.tolist()))
    sets = {n: {w.lower() for r in read_similarity(bundled_path(n)) for w in r[:2]} for n in SIM_SETS}
    sets["google"] = {w.lower() for _, qs in read_analogies(bundled_path("google")) for q in qs for w in q}
    print("| thresholds | phrases | vocabulary | tokens | " + " / ".join(sets) +
          ": mean share absorbed (words >= 10%) |\n|---|---|---|---|---|")
    for th in threshold_sets:
        table = find_phrases(corpus, threshold=th, threads=threads)
        voc, enc = phrase_corpus(corpus, table, min_count=5, threads=threads)
        del enc
        qc = dict(zip(voc.words, voc.counts.tolist()))
        cells = []
        for words in sets.values():
            sh = np.array([1 - qc.get(w, 0) / pc[w] for w in words if w in pc])
            cells.append(f"{sh.mean():.1%} ({(sh >= 0.1).mean():.0%})")
        print(f"| {', '.join(f'{t:g}' for t in th)} | {len(table):,} | {len(voc):,} | {int(voc.counts.sum()):,} | "
              f"{' / '.join(cells)} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threshold", default="200,100")
    ap.add_argument("--out", default="/tmp/embedkit-bench-phrase-vectors")
    ap.add_argument("--mode", default="replace", choices=["replace", "add"],
                    help="how the phrased model trains its phrases (phrase_corpus mode)")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--score-only", action="store_true", help="score the seeds already trained, train nothing")
    ap.add_argument("--absorb", default=None, metavar="T1,T2;T1,T2",
                    help="only measure, per threshold pair, the share of the eval words' occurrences joined")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    print(f"# bench/phrase_vectors.py {' '.join(sys.argv[1:])}; load {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    if a.absorb:
        absorb(a.corpus, [[float(x) for x in p.split(",")] for p in a.absorb.split(";")], a.threads)
        return
    table = table_path(a.corpus, a.out, [float(x) for x in a.threshold.split(",")], a.threads)
    seeds = [int(s) for s in a.seeds.split(",")]
    for seed in seeds if not a.score_only else []:
        train(a.corpus, a.out, table, seed, a.threads, a.epochs, a.mode)
    seeds = [s for s in seeds
             if all(os.path.exists(os.path.join(a.out, f"{k}-seed{s}.npy")) for k in ("plain", "phrased"))]
    if not a.train_only and seeds:
        score(a.corpus, a.out, table, seeds, a.threads)


if __name__ == "__main__":
    main()
