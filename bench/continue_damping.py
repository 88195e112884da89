"""Issue 20 experiment (not a feature): continue a SGNS model of wiki17m half A on half B with every
old word's input-row updates damped by B's share of its summed count (``share``: c_B / (c_A + c_B);
``share-sqrt``: its square root), through the lock factors ``_start_rows`` returns; or from a lower
alpha (``alpha0.5``). Trains and saves the A model in /tmp/cx on first use. Prints WS-353, SimLex,
MEN, Google.

    PYTHONPATH=. python bench/continue_damping.py share|share-sqrt|alpha0.5 [CORPUS]
"""
import os, sys, time
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import embedkit.word2vec as W
from embedkit.eval import evaluate
COMMON = dict(dim=100, window=5, min_count=5, negative=5, sample=1e-4, model="skipgram", threads=2, seed=1, epochs=5)
d = "/tmp/cx"
os.makedirs(d, exist_ok=True)
if not os.path.exists(f"{d}/A.txt"):
    lines = open(sys.argv[2] if len(sys.argv) > 2 else "/work/wiki17m.txt", encoding="utf-8").readlines()
    h = len(lines) // 2
    open(f"{d}/A.txt", "w").writelines(lines[:h]); open(f"{d}/B.txt", "w").writelines(lines[h:])
if not os.path.exists(f"{d}/A.model"):
    r = W.train_word2vec(f"{d}/A.txt", return_model=True, **COMMON)
    r.model.save(f"{d}/A.model")
variant = sys.argv[1]
orig = W._start_rows
def patched(base, vocab, enc, **kw):
    start, lock, note = orig(base, vocab, enc, **kw)
    if variant.startswith("share"):  # old rows: updates scaled by this corpus's share of the summed count
        from embedkit.warmstart import model_rows
        pos = model_rows(base, vocab)
        tot = np.asarray(enc.counts, np.float64)
        old = np.asarray(base.counts, np.float64)
        lock = np.ones(len(vocab), np.float32)
        share = np.clip((tot[pos] - old) / np.maximum(tot[pos], 1), 0, 1)
        if variant == "share-sqrt":
            share = np.sqrt(share)
        lock[pos] = share.astype(np.float32)
        print("lock mean", lock.mean(), "old mean", lock[pos].mean(), flush=True)
    return start, lock, note
W._start_rows = patched
kw = dict(COMMON)
if variant.startswith("alpha"):
    kw["alpha"] = 0.025 * float(variant[5:])
t = time.perf_counter()
r = W.train_word2vec(f"{d}/B.txt", init=f"{d}/A.model", **kw)
s = evaluate(r.vectors).summary()
print(variant, f"{time.perf_counter()-t:.0f}s", " ".join(f"{s[k]:.4f}" for k in ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k", "google")), flush=True)
