import inspect

import embedkit


def test_every_public_name_resolves_to_the_documented_object_of_that_name():
    assert sorted(dir(embedkit)) == sorted(embedkit.__all__)
    for name in embedkit.__all__:
        obj = getattr(embedkit, name)
        if name == "__version__":
            assert isinstance(obj, str) and obj.count(".") == 2
            continue
        assert inspect.isclass(obj) or inspect.isfunction(obj), name
        assert obj.__name__ == name and obj.__module__.startswith("embedkit."), (name, obj)
        assert (inspect.getdoc(obj) or "").strip(), f"{name} has no docstring"


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        embedkit.no_such_thing  # noqa: B018
