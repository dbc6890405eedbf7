# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Options of the modules that open a CephFS session (module_utils/cephfs.py CONNECTION_ARGS)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  monitors:
    description:
      - Monitor addresses (C(host), C(host:port), C([ipv6]:port)), used as C(mon_host).
      - Without them the monitors come from O(conf_file).
    type: list
    elements: str
  conf_file:
    description:
      - A ceph.conf to read (with the keyring it names or the default
        C(/etc/ceph/ceph.client.<id>.keyring)). O(monitors) and O(key) override it.
    type: path
  client_id:
    description: The client's id, without C(client.).
    type: str
    default: admin
  key:
    description: The client's secret key (C(ceph auth get-key client.<id>)). Masked in all output.
    type: str
  fs_name:
    description: The file system to open; the cluster's default one when omitted.
    type: str
  timeout:
    description:
      - Seconds to wait for each monitor's TCP port, and for the cluster to accept the session
        (C(client_mount_timeout)).
    type: int
    default: 10
requirements:
  - python3-cephfs (Debian; a dependency of ceph-common) on the managed host.
"""
