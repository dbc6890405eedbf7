# Copyright (c) harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)

"""The address of an inventory host as the other members of the cluster reach it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: host_address
short_description: The address of an inventory host as the rest of the cluster reaches it
version_added: 0.2.0
author: harbor_ha.cluster contributors (@harbor-ha)
description:
  - Returns the host's C(cluster_address) when the inventory sets one, else the address of its
    default IPv4 route from its facts. This is the one rule of the collection for the address of
    a host, which the load balancer's backends, the database's grants and the nodes' Redis and
    database endpoints all come from.
  - Fails with a message naming the host and the fix when neither is known (the host's facts
    were not gathered, for instance when it is outside C(--limit) and the playbook did not ask
    it by delegation as site.yml does).
  - Takes one host name, or a list of them (and returns a list).
options:
  _input:
    description: An inventory host name, or a list of them.
    type: raw
    required: true
  hostvars:
    description: The play's C(hostvars).
    type: dict
    required: true
  prefer:
    description:
      - The name of a host variable that, when a host sets it, wins over C(cluster_address), for
        an address one role needs apart from the rest of the cluster, such as the address the
        database sees a node connect from behind NAT (C(mysql_harbor_client_address)).
    type: str
"""

EXAMPLES = r"""
- name: The load balancer's backends
  ansible.builtin.debug:
    msg: "{{ groups['harbor_nodes'] | harbor_ha.cluster.host_address(hostvars) }}"

- name: This host's address
  ansible.builtin.debug:
    msg: "{{ inventory_hostname | harbor_ha.cluster.host_address(hostvars) }}"

- name: The addresses the database grants Harbor's account to
  ansible.builtin.debug:
    msg: >-
      {{ groups['harbor_nodes']
         | harbor_ha.cluster.host_address(hostvars, prefer='mysql_harbor_client_address') }}
"""

RETURN = r"""
_value:
  description: The address (a string), or the addresses in the order of the input (a list).
  type: raw
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def _one(host, hostvars, prefer: str | None) -> str:
    if not isinstance(host, str) or not host:
        raise AnsibleFilterError(f"host_address: expected an inventory host name, got {host!r}")
    if host not in hostvars:
        raise AnsibleFilterError(f"host_address: {host} is not a host of the inventory")
    variables = hostvars[host]
    for name in (prefer, "cluster_address"):
        explicit = variables.get(name) if name else None
        if explicit:
            return str(explicit)
    facts = variables.get("ansible_facts") or {}
    address = (facts.get("default_ipv4") or {}).get("address")
    if address:
        return str(address)
    raise AnsibleFilterError(
        f"no address is known for {host}: set cluster_address for it in the inventory, or gather "
        "its facts first (site.yml asks every host of the cluster, also outside --limit)"
    )


def host_address(hosts, hostvars, prefer: str | None = None):
    """See DOCUMENTATION."""
    if not isinstance(hostvars, Mapping) and not hasattr(hostvars, "__getitem__"):
        raise AnsibleFilterError("host_address: pass the play's hostvars")
    if isinstance(hosts, (list, tuple)):
        return [_one(host, hostvars, prefer) for host in hosts]
    return _one(hosts, hostvars, prefer)


class FilterModule:
    """harbor_ha.cluster filters."""

    def filters(self):
        return {"host_address": host_address}
