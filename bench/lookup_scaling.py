"""The scan's lookup kernel alone, on 1 and 2 threads at once: how far the cores let it scale.

    python bench/lookup_scaling.py CORPUS [--pieces 40] [--rounds 4]

The table is filled from the first ``--pieces`` 1 MB pieces of CORPUS by the serial tokenizer
(``vocab._tokenize``); then each thread runs ``vocab._lookup_part`` over those pieces three times,
with scratch arrays of its own, one thread alone and then two at once (alternated, ``--rounds``
times). Each thread does the same work either way, so two threads on two cores of their own take
the time of one: the printed scaling (2 x one / two) is then 2.0. Set beside ``bench/scan_parts.py``
(the scan's parallel step, which also waits for the serial step and the reader), it tells what the
machine allows from what the scan's structure costs.
"""

import argparse
import threading
import time

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus")
    p.add_argument("--pieces", type=int, default=40)
    p.add_argument("--rounds", type=int, default=4)
    a = p.parse_args()
    from embedkit import vocab as V
    from embedkit.corpus import iter_pieces

    pieces = []
    for piece in iter_pieces(a.corpus):
        pieces.append(np.frombuffer(piece, np.uint8))
        if len(pieces) == a.pieces:
            break
    table = V._Table()
    longest = max(len(b) for b in pieces)
    out_ids, out_ends = np.empty(longest, np.int32), np.empty(longest, np.int64)
    for buf in pieces:
        table.state[4:6] = 0
        pos = 0
        while True:
            pos = V._tokenize(buf, pos, table.slots, table.hashes, table.starts, table.lengths, table.counts,
                              table.arena, table.state, out_ids, out_ends, 10_000)
            if pos >= len(buf):
                break
            table.grow(len(buf) - pos)

    def scratch():
        return ([np.empty(longest, t) for t in (np.int32, np.int64, np.int64, np.int64, np.int64, np.uint64)],
                np.zeros(4, np.int64), np.zeros(V._THREAD_COUNTED, np.int64), np.empty(longest, np.int32))

    def work(s, reps=3):
        arrays, sizes, counts, late = s
        for _ in range(reps):
            for buf in pieces:
                V._lookup_part(buf, 0, len(buf), table.slots, table.hashes, table.starts, table.lengths, table.arena,
                               *arrays, sizes, counts, late)

    own = [scratch(), scratch()]
    work(own[0], 1)  # kernel loaded
    print(f"{a.corpus}: {len(pieces)} pieces, {table.n_ids} words in the table; seconds for 3 passes per thread")
    for r in range(a.rounds):
        times = {}
        for k in (1, 2):
            threads = [threading.Thread(target=work, args=(own[j],)) for j in range(k)]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            times[k] = time.perf_counter() - t
        print(f"round {r + 1}: one thread {times[1]:.3f} s, two at once {times[2]:.3f} s, "
              f"scaling {2 * times[1] / times[2]:.2f}")


if __name__ == "__main__":
    main()
