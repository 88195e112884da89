"""What every trainer returns: one result type for PPMI+SVD, GloVe, word2vec and fastText."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """The outcome of a ``train_<method>`` or ``fit_<method>`` call: built once, by one call
    naming every field (keyword-only, none defaulted, frozen), when the last stage has ended.

    Attributes
    ----------
    vectors : Vectors
        The word vectors (for fastText, a ``Vectors`` that also answers unseen words).
    context : Vectors or None
        Context (output) vectors where the method has them and keeps them: word2vec's and
        fastText's negative-sampling output layer, GloVe's W~, PPMI+SVD's V * S^eig; else None.
    losses : list of float
        The training objective per epoch (mean negative log-likelihood per trained pair for
        word2vec and fastText, GloVe's weighted cost); empty for PPMI+SVD, which has no epochs.
    timings : dict of str to float
        Wall seconds per stage, in the order they ran (for example ``scan``, ``count``,
        ``compile``, ``train``, ``svd``). Kernel compilation is its own stage, never training.
    words_per_sec : float or None
        Corpus tokens x epochs per second of the ``train`` stage, for the methods that stream
        the corpus (word2vec, fastText); None for the count-based methods.
    model : embedkit.modelfile.Model or None
        Everything needed to continue training (word2vec and GloVe, when asked for with
        ``return_model=True`` or when continuing from ``init``); ``model.save(DIR)`` writes it.
    """

    vectors: object
    context: object
    losses: list
    timings: dict
    words_per_sec: float | None
    model: object
