"""The exception types users see: ``EmbedkitError`` and its ``KeyError`` flavour for lookups."""


class EmbedkitError(Exception):
    """A user-facing error: bad input, bad option value, unreadable file.

    The CLI prints ``str(error)`` as one line on stderr and exits non-zero.
    """


class UnknownWordError(EmbedkitError, KeyError):
    """A word that is not in the vocabulary: both ``EmbedkitError`` and ``KeyError``.

    ``word`` is the word asked for, ``suggestion`` the closest spelling in the vocabulary (or
    None); ``str(error)`` is the plain message, which names both.
    """

    def __init__(self, message, word=None, suggestion=None):
        super().__init__(message)
        self.word = word
        self.suggestion = suggestion

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
