"""embedkit: train, evaluate and explore static word embeddings.

The public API, imported lazily so that ``import embedkit`` and the CLI start fast:

>>> import embedkit
>>> result = embedkit.train_word2vec("data/sample.txt.xz", min_count=20, dim=16, epochs=1, threads=1)
>>> len(result.vectors), result.vectors.dim, len(result.losses)
(4937, 16, 1)
>>> "WS-353-ALL" in embedkit.evaluate(result.vectors).summary()
True
"""

import importlib

from .errors import EmbedkitError, UnknownWordError

__version__ = "0.1.0"

_LAZY = {
    "Vectors": "vectors",
    "TrainResult": "result",
    "Vocab": "vocab",
    "EncodedCorpus": "vocab",
    "build_vocab": "vocab",
    "scan_corpus": "vocab",
    "iter_sentences": "corpus",
    "find_phrases": "phrases",
    "PhraseTable": "phrases",
    "tokenize_text": "corpus",
    "count_cooccurrences": "cooc",
    "load_cooccurrences": "cooc",
    "Cooccurrence": "cooc",
    "train_ppmi_svd": "ppmi_svd",
    "fit_ppmi_svd": "ppmi_svd",
    "train_word2vec": "word2vec",
    "train_glove": "glove",
    "train_fasttext": "fasttext",
    "SubwordVectors": "subword",
    "fit_glove": "glove",
    "evaluate": "eval",
    "evaluate_similarity": "eval",
    "evaluate_analogy": "eval",
    "compare": "comparison",
    "postprocess": "postprocessing",
    "align": "alignment",
    "doc_similarity": "docvec",
    "project": "export",
    "word_classes": "classes",
    "WordClasses": "classes",
}

__all__ = ["EmbedkitError", "UnknownWordError", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embedkit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
