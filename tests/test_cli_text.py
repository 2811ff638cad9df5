"""The help texts of ``eeg-ssl``, built without heavy imports, match the registries."""

import dataclasses

import pytest

from eeg_ssl.cli_text import ENCODER_LINES, METHOD_LINES, recipe_help, recipe_keys


def _first_line(cls):
    return (cls.__doc__ or "").strip().splitlines()[0]


@pytest.mark.parametrize(
    "table, registry", [(METHOD_LINES, "METHODS"), (ENCODER_LINES, "ENCODERS")]
)
def test_help_tables__same_names_and_lines_as_the_registries(table, registry):
    import eeg_ssl

    classes = getattr(eeg_ssl, registry)
    assert list(table) == list(classes), f"update eeg_ssl/cli_text.py to match {registry}"
    for name, cls in classes.items():
        assert table[name] == _first_line(cls), name


def test_recipe_keys__every_field_with_default_and_description():
    from eeg_ssl.io import Recipe

    keys = recipe_keys()
    fields = dataclasses.fields(Recipe)
    assert list(keys) == [f.name for f in fields]
    for field in fields:
        default, text = keys[field.name]
        assert default == repr(field.default), field.name
        assert text, f"Recipe's docstring does not describe {field.name!r}"
    assert "label_source" in recipe_help()
