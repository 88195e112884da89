import embedkit


def test_every_public_name_resolves():
    for name in embedkit.__all__:
        assert getattr(embedkit, name) is not None, name


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        embedkit.no_such_thing  # noqa: B018
