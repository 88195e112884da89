"""embedkit: train, evaluate and explore static word embeddings."""

__version__ = "0.1.0"

from .errors import EmbedkitError  # noqa: E402

__all__ = ["EmbedkitError", "__version__"]
