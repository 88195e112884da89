"""The exception types users see: ``EmbedkitError`` and its ``KeyError`` flavour for lookups."""


class EmbedkitError(Exception):
    """A user-facing error: bad input, bad option value, unreadable file.

    The CLI prints ``cli_message()`` as one line on stderr and exits non-zero.
    """

    def cli_message(self):
        """The message as the command line says it (the same as ``str(error)`` unless a subclass
        spells parameters as their options)."""
        return str(self)


class ParameterError(EmbedkitError):
    """A parameter value that cannot work with the data (``dim`` above the vocabulary size).

    ``template`` names parameters as ``{name}`` fields: ``str(error)`` spells them as Python
    parameters (``dim``), :meth:`cli_message` as options (``--dim``).
    """

    def __init__(self, template, *names):
        self.template, self.names = template, names
        super().__init__(template.format(**{n: n for n in names}))

    def cli_message(self):
        return self.template.format(**{n: "--" + n.replace("_", "-") for n in self.names})

    @staticmethod
    def literal(text):
        """``text`` (a path, a word) to put in a template as it is: its braces doubled."""
        return str(text).replace("{", "{{").replace("}", "}}")


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


class EmptyCorpusError(EmbedkitError):
    """The corpus holds no tokens at all."""


class EmptyVocabularyError(ParameterError):
    """No word of the corpus occurs at least ``min_count`` times (a ``ParameterError``: the CLI names
    ``--min-count``). ``what``: "word of CORPUS", "word", "phrase", ..."""

    def __init__(self, what, min_count):
        self.what, self.min_count = what, min_count
        super().__init__(f"vocabulary is empty: no {ParameterError.literal(what)} occurs {min_count} times or more "
                         f"(lower {{min_count}}, now {min_count})", "min_count")

    def __reduce__(self):  # pickled (a worker process's error) with the arguments it is made from
        return type(self), (self.what, self.min_count)


class TrainingDivergedError(EmbedkitError):
    """Training diverged: the loss became NaN, infinite or exploded.

    ``str(error)`` names the epoch, the loss and the parameter to lower with its value;
    :meth:`cli_message` spells the parameter as its command-line option.
    """

    def __init__(self, epoch, loss_name, loss, option, value, also=()):
        self.epoch, self.loss_name, self.loss, self.option, self.value = epoch, loss_name, loss, option, value
        self.also = tuple(also)  # (parameter, value) pairs that lowering would help too
        super().__init__(self._message(str))

    def with_also(self, *also):
        """The same error, naming more parameters to lower (``(name, value)`` pairs)."""
        return TrainingDivergedError(self.epoch, self.loss_name, self.loss, self.option, self.value, also)

    def _message(self, spell):
        lower = " or ".join(f"lower {spell(o)} ({v:g})" for o, v in ((self.option, self.value), *self.also))
        return f"training diverged in epoch {self.epoch} ({self.loss_name} {self.loss:.4g}): {lower}"

    def cli_message(self):
        """The message with the parameter written as its option, e.g. ``--learning-rate``."""
        return self._message(lambda o: "--" + o.replace("_", "-"))
