"""Peak RSS of one word2vec training process (library call), and of gensim, on a corpus: the item-4
measurement of issue 21. A cold Numba cache is an empty NUMBA_CACHE_DIR; the compile child is
reported apart (RUSAGE_CHILDREN).

    NUMBA_CACHE_DIR=/tmp/empty PYTHONPATH=. python bench/w2v_rss.py embedkit|gensim sg|cbow [CORPUS]
"""
import resource, sys, time
t = time.perf_counter()
mode = sys.argv[1]
CORPUS = sys.argv[3] if len(sys.argv) > 3 else "/work/wiki17m.txt"
if mode == "gensim":
    from gensim.models import Word2Vec
    m = Word2Vec(corpus_file=CORPUS, vector_size=100, window=5, min_count=5, sample=1e-4, negative=5,
                 sg=int(sys.argv[2] == "sg"), epochs=1, workers=2)
else:
    from embedkit.word2vec import train_word2vec
    r = train_word2vec(CORPUS, model="skipgram" if sys.argv[2] == "sg" else "cbow", epochs=1, threads=2,
                       dim=100, window=5, min_count=5, sample=1e-4, negative=5)
ru = resource.getrusage
print(mode, sys.argv[2], f"wall {time.perf_counter()-t:.1f}s self peak {ru(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MB children peak {ru(resource.RUSAGE_CHILDREN).ru_maxrss/1024:.0f} MB", flush=True)
