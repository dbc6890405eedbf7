"""module_utils.file_mode reads a mode option as ansible.builtin.file does."""

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils.file_mode import octal_mode


@pytest.mark.parametrize(
    ("value", "bits"),
    [
        ("0644", 0o644),
        ("644", 0o644),
        ("0750", 0o750),
        ("01777", 0o1777),
        (0o644, 0o644),
        (420, 0o644),
        ("0", 0),
    ],
)
def test_octal_strings_and_read_ints_give_the_bits(value, bits):
    assert octal_mode(value) == bits


def test_an_unquoted_yaml_mode_is_not_read_twice():
    # YAML 1.1 reads an unquoted 0644 as 420; reading "420" as octal digits would give 0o420.
    assert octal_mode(420) != 0o420


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("rw-r--r--", "is not an octal number"),
        ("0855", "is not an octal number"),
        ("", "is not an octal number"),
        (True, "is not an octal number"),
        ("017777", "out of range"),
        (-1, "out of range"),
        (0o10000, "out of range"),
    ],
)
def test_anything_else_is_refused_with_the_value_named(value, message):
    with pytest.raises(ValueError, match=message) as error:
        octal_mode(value)
    assert repr(value) in str(error.value)
