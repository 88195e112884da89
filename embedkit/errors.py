"""The one exception type users see."""


class EmbedkitError(Exception):
    """A user-facing error: bad input, bad option value, unreadable file.

    The CLI prints ``str(error)`` as one line on stderr and exits non-zero.
    """
