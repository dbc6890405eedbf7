"""host_address: the one rule for the address of an inventory host."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.harbor_ha.cluster.plugins.filter.host_address import FilterModule, host_address

HOSTVARS = {
    "node1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
    "node2": {"cluster_address": "192.0.2.12", "ansible_facts": {"default_ipv4": {"address": "10.0.0.12"}}},
    "node3": {
        "mysql_harbor_client_address": "198.51.100.13",
        "ansible_facts": {"default_ipv4": {"address": "10.0.0.13"}},
    },
    "nofacts": {},
    "emptyaddress": {"cluster_address": "", "ansible_facts": {"default_ipv4": {"address": "10.0.0.14"}}},
}


def test_facts_give_the_address_when_the_inventory_sets_none():
    assert host_address("node1", HOSTVARS) == "10.0.0.11"


def test_the_inventory_wins_over_the_facts():
    assert host_address("node2", HOSTVARS) == "192.0.2.12"


def test_an_empty_setting_falls_back_to_the_facts():
    assert host_address("emptyaddress", HOSTVARS) == "10.0.0.14"


def test_a_preferred_variable_wins_where_a_host_sets_it():
    assert host_address("node3", HOSTVARS, prefer="mysql_harbor_client_address") == "198.51.100.13"
    assert host_address("node2", HOSTVARS, prefer="mysql_harbor_client_address") == "192.0.2.12"
    assert host_address("node3", HOSTVARS) == "10.0.0.13"


def test_a_list_gives_the_addresses_in_its_order():
    assert host_address(["node2", "node1"], HOSTVARS) == ["192.0.2.12", "10.0.0.11"]


def test_a_host_without_address_is_named_with_the_fix():
    with pytest.raises(AnsibleFilterError, match=r"no address is known for nofacts: set cluster_address"):
        host_address("nofacts", HOSTVARS)


@pytest.mark.parametrize("host", ["nowhere", "", None, 3])
def test_what_is_not_a_host_is_refused(host):
    with pytest.raises(AnsibleFilterError, match="host_address"):
        host_address(host, HOSTVARS)


def test_registered():
    assert FilterModule().filters()["host_address"] is host_address
