"""Shared fixtures. Tests never need ../shared; those that do are marked `shared` and skipped."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample.txt.xz"
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    if not SHARED_DATA.is_dir():
        skip = pytest.mark.skip(reason=f"{SHARED_DATA} is absent")
        for item in items:
            if "shared" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def sample_path():
    return SAMPLE


@pytest.fixture(scope="session")
def shared_data():
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_scan():
    """(Vocab, EncodedCorpus) of the bundled sample at min_count 5, scanned once per session."""
    from embedkit.vocab import scan_corpus

    return scan_corpus(SAMPLE, min_count=5)


@pytest.fixture
def write_corpus(tmp_path):
    """write_corpus(text or bytes, name="c.txt") -> path of a file holding it."""

    def write(content, name="c.txt"):
        p = tmp_path / name
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return p

    return write
