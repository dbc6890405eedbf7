# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The permission bits a module option names, read as ansible.builtin.file reads its `mode`.

Shared by the config_files and share_tree modules (declare the option `type: raw`, so that an
unquoted YAML 1.1 mode such as 0644 reaches the module as the int 420 and is not re-read as the
octal digits "420").
"""

from __future__ import annotations


def octal_mode(value) -> int:
    """The permission bits of `value`: a string of octal digits ("0644", "644"), or an int that
    YAML or Jinja already read (0o644 == 420). ValueError, naming the value, for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"mode {value!r} is not an octal number such as '0644'")
    if isinstance(value, int):
        mode = value
    else:
        try:
            mode = int(str(value), 8)
        except ValueError:
            raise ValueError(f"mode {value!r} is not an octal number such as '0644'") from None
    if not 0 <= mode <= 0o7777:
        raise ValueError(f"mode {value!r} is out of range (0000-7777)")
    return mode
