"""What the SGD epoch loop holds per chunk: the tracemalloc peak of ``_sgd.run_epochs`` (2 epochs,
shuffled every epoch) and of the chunks' RNG states, with a trainer that does nothing.

usage: PYTHONPATH=TREE python bench/chunk_memory.py [N_CHUNKS]

N_CHUNKS defaults to 1,062,542: fastText's chunks (about 1,024 tokens) in 1.1B tokens. The chunk
bounds and the offsets are the caller's and not counted. It runs against any tree, before or after
``run_epochs`` took packed RNG states (``streams``), so an old tree can be measured too
(``git archive REV | tar -x -C DIR``). bench/RESULTS.md, "Per-chunk memory in the epoch loop", has
the figures.
"""

from __future__ import annotations

import inspect
import sys
import tracemalloc

import numpy as np


def main():
    import embedkit._sgd as sgd

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_062_542
    offsets = np.arange(n + 1, dtype=np.int64) * 1000
    chunks = np.arange(n + 1, dtype=np.int64)
    kw = dict(epochs=2, alpha=0.05, min_alpha=1e-4, threads=2, desc="t", progress=False, ids=np.zeros(1, np.int32),
              syn0=np.zeros(2), ceiling=10.0, sample=0.0, shuffle="epoch", seed=1)
    tracemalloc.start()
    new = "streams" in inspect.signature(sgd.run_epochs).parameters
    if new:
        from embedkit._rng import seed_values

        states = seed_values(1, n)
        kw["streams"] = (states,)
        train = lambda ks, alphas, rows: (1.0, 1, 1000 * len(ks))  # noqa: E731
    else:
        from embedkit._rng import seed_states

        states = seed_states(1, n)
        train = lambda c0, c1, alphas, order: (1.0, 1, 1000 * (c1 - c0))  # noqa: E731
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()  # making the states has its own temporaries: the trainers now make them before the model
    sgd.run_epochs(train, offsets, chunks, **kw)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    kind = "packed states" if new else "a 64-byte row of state per chunk"
    print(f"{n:,} chunks, {kind}: states {held / n:.1f} bytes per chunk ({states.nbytes / n:.0f} of them the "
          f"states' array); peak during the epoch loop {peak / 2 ** 20:.1f} MB, {peak / n:.1f} bytes per chunk")


if __name__ == "__main__":
    main()
