#!/usr/bin/python
# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Say which Debian packages are installed, from dpkg's database, without opening apt's cache."""

from __future__ import annotations

DOCUMENTATION = r"""
module: deb_packages_info
author: harbor_ha.cluster contributors (@harbor-ha)
version_added: 0.2.0
short_description: Say which of some Debian packages are missing or installed, from dpkg's database
description:
  - Reads dpkg's database (C(dpkg-query)) and says which packages of O(present) are not installed
    and which of O(absent) are, so that a role runs M(ansible.builtin.apt) only when there is
    something for it to do.
  - M(ansible.builtin.apt) opens apt's whole package cache even when every package is already
    there, about 2 s per task on a small node; this module takes as long as any module run. On a
    re-run where nothing is missing, the role's apt task is skipped.
  - Only plain package names are checked here. A name with a version, release, architecture or
    pattern (V(docker-ce=5:27.5.1-1~debian.12~bookworm), V(pkg/bookworm-backports), V(pkg:amd64),
    V(redis*)) is always returned as missing (or, in O(absent), as installed), because what matches
    it is apt's to decide; the apt task then runs as it would without this check.
  - With O(units), also says of each systemd unit whether it is active and enabled.
  - Never changes anything.
extends_documentation_fragment:
  - harbor_ha.cluster.attributes
options:
  present:
    description: Packages that must be installed.
    type: list
    elements: str
    default: []
  absent:
    description: Packages that must not be installed.
    type: list
    elements: str
    default: []
  units:
    description:
      - systemd units to report on as well, each with whether it runs and is enabled (C(systemctl show)).
      - So that the role that installs a service's packages learns in the same call whether the
        service runs, and starts or enables it only when it does not.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - A package counts as installed when dpkg reports it installed with no error flag
    (C(ii), C(hi)). Half-installed, unpacked or half-configured packages count as missing from
    O(present) and as installed in O(absent), so that apt repairs or removes them.
"""

EXAMPLES = r"""
- name: Read which of the engine's packages are installed
  harbor_ha.cluster.deb_packages_info:
    present: [docker.io, docker-compose]
    absent: [docker-ce, containerd.io]
  register: __docker_debs

- name: Install the engine
  ansible.builtin.apt:
    name: [docker.io, docker-compose]
    state: present
  when: __docker_debs.missing | length > 0

- name: Read whether Redis is installed and runs
  harbor_ha.cluster.deb_packages_info:
    present: [redis-server]
    units: [redis-server.service]
  register: __redis_debs

- name: Enable and start Redis unless it runs, enabled, and nothing was installed
  ansible.builtin.systemd_service:
    name: redis-server.service
    enabled: true
    state: started
  when: __redis_debs.missing | length > 0 or not __redis_debs.units['redis-server.service'].up
"""

RETURN = r"""
missing:
  description: The packages of O(present) that are not installed (or not checked here), in the order given.
  returned: always
  type: list
  elements: str
  sample: [docker-compose]
installed:
  description: The packages of O(absent) that are installed (or not checked here), in the order given.
  returned: always
  type: list
  elements: str
  sample: [docker-ce]
units:
  description:
    - For each unit of O(units), its C(ActiveState) and C(UnitFileState) as systemd reports them,
      and C(up), true when the unit is active and enabled (nothing to start or enable).
  returned: always
  type: dict
  version_added: 0.2.0
  sample: {"docker.service": {"active": "active", "enabled": "enabled", "up": true}}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.harbor_ha.cluster.plugins.module_utils import node_probe

# A Debian package name (Policy 5.6.1): lower-case letters, digits, "+", "-" and ".", at least two
# characters, starting with a letter or digit. Anything else carries a version, release,
# architecture or pattern that only apt can match.
PLAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


def statuses(output: str) -> dict[str, list[str]]:
    """{package: [db:Status-Abbrev, ...]} from the lines "<name>\\t<abbrev>" of dpkg-query -W (one
    line per architecture a package is known in)."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        name, _tab, abbrev = line.partition("\t")
        if name:
            found.setdefault(name, []).append(abbrev)
    return found


def is_installed(abbrevs: list[str]) -> bool:
    """Installed with no error flag in some architecture: the abbreviation's second letter is the
    state (i: installed), its third the error flag (blank: none)."""
    return any(abbrev[1:2] == "i" and abbrev[2:3].strip() == "" for abbrev in abbrevs)


def has_trace(abbrevs: list[str]) -> bool:
    """Anything but not installed (n) or only its configuration files left (c): what apt
    state=absent removes."""
    return any(abbrev[1:2] not in ("", "n", "c") for abbrev in abbrevs)


def decide(present: list[str], absent: list[str], output: str) -> tuple[list[str], list[str]]:
    """(missing, installed) for the requested names, given dpkg-query's output for the plain ones."""
    found = statuses(output)
    missing = [name for name in present if not (PLAIN_NAME.match(name) and is_installed(found.get(name, [])))]
    installed = [name for name in absent if not PLAIN_NAME.match(name) or has_trace(found.get(name, []))]
    return missing, installed


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "present": {"type": "list", "elements": "str", "default": []},
            "absent": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    present, absent = module.params["present"], module.params["absent"]
    names = sorted({name for name in present + absent if PLAIN_NAME.match(name)})
    output = ""
    if names:
        dpkg_query = module.get_bin_path("dpkg-query", required=True)
        rc, output, err = module.run_command(
            [dpkg_query, "-W", "--showformat=${Package}\\t${db:Status-Abbrev}\\n", "--", *names],
            environ_update={"LC_ALL": "C"},
        )
        # 1: some name is unknown to dpkg (never installed here), which is an answer too.
        if rc not in (0, 1):
            module.fail_json(msg=f"dpkg-query failed (rc {rc}): {err.strip()}", rc=rc)
    missing, installed = decide(present, absent, output)
    states = node_probe.systemd_units(module, module.params["units"])
    module.exit_json(changed=False, missing=missing, installed=installed, units=states)


if __name__ == "__main__":
    main()
