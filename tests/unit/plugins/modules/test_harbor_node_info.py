"""harbor_node_info and its probes: a broken node is described, not raised."""

import errno
import hashlib
import http.server
import json
import os
import socket
import threading

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.harbor_ha.cluster.plugins.module_utils import node_probe
from ansible_collections.harbor_ha.cluster.plugins.modules import harbor_node_info

# /proc/self/mountinfo of a Harbor node with the share mounted by ceph-fuse (seen on a test node),
# then the same path over-mounted by a local tmpfs, and a path with a space.
CEPH_FUSE = (
    "842 323 0:148 / /mnt/cephfs/harbor rw,nosuid,nodev,noatime - fuse.ceph-fuse ceph-fuse "
    "rw,user_id=0,group_id=0,allow_other\n"
)
OVERMOUNTED = CEPH_FUSE + "900 842 0:150 / /mnt/cephfs/harbor rw - tmpfs tmpfs rw\n"
SPACED = "77 1 0:40 / /mnt/with\\040space rw - ceph 10.0.0.1:6789:/harbor rw,name=harbor\n"


def test_mount_at_finds_the_ceph_fuse_share():
    assert node_probe.mount_at("/mnt/cephfs/harbor/", CEPH_FUSE) == {
        "fstype": "fuse.ceph-fuse",
        "source": "ceph-fuse",
    }


def test_a_later_mount_hides_the_share():
    assert node_probe.mount_at("/mnt/cephfs/harbor", OVERMOUNTED)["fstype"] == "tmpfs"
    assert node_probe.share("/mnt/cephfs/harbor", OVERMOUNTED)["mounted"] is False


def test_a_parent_mount_is_not_the_share():
    assert node_probe.mount_at("/mnt/cephfs", CEPH_FUSE) is None
    assert node_probe.share("/mnt/cephfs", CEPH_FUSE) == {
        "path": "/mnt/cephfs",
        "mounted": False,
        "fstype": None,
        "answering": False,
        "error": None,
    }


def test_escaped_mount_point_and_kernel_client():
    assert node_probe.mount_at("/mnt/with space", SPACED)["fstype"] == "ceph"


def test_share_reports_usage_when_mounted(tmp_path):
    info = f"1 1 0:1 / {tmp_path} rw - ceph 10.0.0.1:/ rw\n"
    result = node_probe.share(str(tmp_path), info)
    assert result["mounted"] is True
    assert result["answering"] is True
    assert result["size"] > 0
    assert 0 <= result["used_percent"] <= 100


def test_a_dead_ceph_fuse_mount_is_mounted_but_does_not_answer(tmp_path, monkeypatch):
    """What a ceph-fuse whose process died leaves: the mount, answering ENOTCONN."""

    def enotconn(path):
        raise OSError(errno.ENOTCONN, os.strerror(errno.ENOTCONN), path)

    monkeypatch.setattr(node_probe.os, "statvfs", enotconn)
    info = f"1 1 0:1 / {tmp_path} rw - fuse.ceph-fuse ceph-fuse rw\n"
    result = node_probe.share(str(tmp_path), info)
    assert (result["mounted"], result["answering"]) == (True, False)
    assert result["error"] == os.strerror(errno.ENOTCONN)


class Harbor(http.server.BaseHTTPRequestHandler):
    """Answers like a healthy node, and 400 without a Host header like Harbor's ui."""

    def do_GET(self):
        if self.headers.get("Host") in (None, ""):
            code = 400
        else:
            code = {"/api/systeminfo": 200, "/v2/": 401}.get(self.path, 404)
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def harbor():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Harbor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_http_status_reads_codes_and_errors(harbor, closed_port):
    assert node_probe.http_status(f"{harbor}/api/systeminfo", "h:80") == {"status": 200, "error": None}
    assert node_probe.http_status(f"{harbor}/v2/", "h:80")["status"] == 401
    refused = node_probe.http_status(f"http://127.0.0.1:{closed_port}/", "h", timeout=1)
    assert refused["status"] is None
    assert "refused" in refused["error"].lower()


def test_http_status_refuses_other_schemes():
    assert node_probe.http_status("file:///etc/passwd")["error"].startswith("not an http(s) URL")


def test_tcp_reachable(harbor, closed_port):
    port = int(harbor.rsplit(":", 1)[1])
    assert node_probe.tcp_reachable("127.0.0.1", port)["reachable"] is True
    assert node_probe.tcp_reachable("127.0.0.1", closed_port, timeout=1)["reachable"] is False


def test_sha256_of(tmp_path):
    key = tmp_path / "secretkey"
    key.write_bytes(b"0123456789abcdef")
    assert node_probe.sha256_of(str(key)) == hashlib.sha256(b"0123456789abcdef").hexdigest()
    assert node_probe.sha256_of(str(tmp_path / "missing")) is None


def run_module(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        harbor_node_info.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_module_reports_a_healthy_node(capsys, harbor, tmp_path):
    key = tmp_path / "root.crt"
    key.write_text("cert")
    port = int(harbor.rsplit(":", 1)[1])
    code, result = run_module(
        capsys,
        share_path=str(tmp_path),
        proxy_url=harbor,
        host_header="lb:8080",
        key_files=[str(key)],
        endpoints=[{"name": "database", "host": "127.0.0.1", "port": port}],
    )
    assert code == 0
    assert result["changed"] is False
    assert result["health"]["healthy"] is True
    assert result["msg"] == "healthy: GET /api/systeminfo 200 (200 wanted); GET /v2/ 401 (401 wanted)"
    assert result["keys"] == {str(key): hashlib.sha256(b"cert").hexdigest()}
    assert result["endpoints"]["database"]["reachable"] is True
    assert result["share"]["mounted"] is False  # tmp_path is no CephFS


def test_module_reports_the_unit_when_asked(capsys, harbor, tmp_path, monkeypatch):
    calls = []

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        return 0, "ActiveState=active\nUnitFileState=enabled\n", ""

    monkeypatch.setattr(harbor_node_info.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(
        harbor_node_info.AnsibleModule, "get_bin_path", lambda self, name, required=False: f"/usr/bin/{name}"
    )
    args = {"share_path": str(tmp_path), "proxy_url": harbor, "host_header": "lb:8080"}
    _, result = run_module(capsys, **args)
    assert "unit" not in result
    assert calls == []
    code, result = run_module(capsys, unit="harbor.service", **args)
    assert code == 0
    assert result["unit"] == {"active": "active", "enabled": "enabled", "up": True}
    assert result["health"]["healthy"] is True
    show = ["/usr/bin/systemctl", "show", "--property=ActiveState,UnitFileState", "--", "harbor.service"]
    assert calls == [show]


def test_module_describes_a_dead_node_without_failing(capsys, closed_port, tmp_path):
    code, result = run_module(
        capsys,
        share_path=str(tmp_path),
        proxy_url=f"http://127.0.0.1:{closed_port}",
        host_header="lb:8080",
        endpoints=[{"name": "redis", "host": "127.0.0.1", "port": closed_port}],
        timeout=1,
    )
    assert code == 0
    assert result["health"]["healthy"] is False
    assert result["endpoints"]["redis"]["reachable"] is False
    # What a wait that gave up reports: each request and why it failed.
    assert result["msg"].startswith("not healthy: GET /api/systeminfo "), result["msg"]
    assert "refused" in result["msg"].lower() and "(200 wanted)" in result["msg"], result["msg"]


HEALTH_2X = {
    "status": "unhealthy",
    "components": [
        {"name": "core", "status": "healthy"},
        {"name": "jobservice", "status": "unhealthy", "error": "received unexpected status code: 500"},
        {"name": "registry", "status": "healthy"},
    ],
}


PING_2X = {"status": 200}


class Harbor2(http.server.BaseHTTPRequestHandler):
    """Core of Harbor 2.x: its ping, its health API (here with an unhealthy jobservice) and /v2/."""

    def do_GET(self):
        body = json.dumps(HEALTH_2X).encode() if self.path == "/api/v2.0/health" else b""
        codes = {"/api/v2.0/ping": PING_2X["status"], "/api/v2.0/health": 200, "/v2/": 401}
        self.send_response(codes.get(self.path, 404))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def harbor2():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Harbor2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def fake_docker(tmp_path, image: str | None):
    """`docker inspect --format {{.Config.Image}} harbor-core`: the image, or no such container."""
    path = tmp_path / "docker"
    answer = f"echo {image}" if image else "echo 'Error: No such object: harbor-core' >&2; exit 1"
    expected = "inspect --format {{.Config.Image}} harbor-core"
    path.write_text(f'#!/bin/sh\n[ "$1 $2 $3 $4" = "{expected}" ] || exit 3\n{answer}\n')
    path.chmod(0o755)
    return str(path)


def test_module_reads_harbor_2_components_and_release(capsys, harbor2, tmp_path):
    code, result = run_module(
        capsys,
        share_path=str(tmp_path),
        proxy_url=harbor2,
        host_header="lb:8080",
        generation=2,
        docker=fake_docker(tmp_path, "goharbor/harbor-core:v2.15.2"),
    )
    assert code == 0
    assert result["version"] == "v2.15.2"
    assert result["health"]["components"] == {
        "core": "healthy",
        "jobservice": "unhealthy",
        "registry": "healthy",
    }
    assert result["health"]["api"] == {"status": 200, "error": None, "overall": "unhealthy"}
    assert result["health"]["ping"] == {"status": 200, "error": None}
    assert result["health"]["healthy"] is False
    assert result["msg"] == (
        "not healthy: GET /api/v2.0/ping 200 (200 wanted); GET /api/v2.0/health 200, status unhealthy"
        " (jobservice unhealthy) (healthy wanted); GET /v2/ 401 (401 wanted)"
    )

    def healthy() -> bool:
        return run_module(
            capsys,
            share_path=str(tmp_path),
            proxy_url=harbor2,
            host_header="lb",
            generation=2,
            docker=fake_docker(tmp_path, None),
        )[1]["health"]["healthy"]

    HEALTH_2X["status"] = "healthy"
    try:
        assert healthy() is True
        # Core says healthy but does not answer the load balancer's ping: not healthy.
        PING_2X["status"] = 503
        assert healthy() is False
    finally:
        HEALTH_2X["status"] = "unhealthy"
        PING_2X["status"] = 200


def test_a_harbor_2_node_without_core_has_no_release(capsys, closed_port, tmp_path):
    _, result = run_module(
        capsys,
        share_path=str(tmp_path),
        proxy_url=f"http://127.0.0.1:{closed_port}",
        host_header="lb",
        generation=2,
        timeout=1,
        docker=fake_docker(tmp_path, None),
    )
    assert result["version"] is None
    assert result["health"]["healthy"] is False
    assert result["health"]["components"] == {}
    assert "refused" in result["health"]["api"]["error"].lower()


def test_cephfs_mount_info_reports_the_share(capsys, tmp_path, monkeypatch):
    from ansible_collections.harbor_ha.cluster.plugins.modules import cephfs_mount_info  # noqa: PLC0415

    info = f"1 1 0:1 / {tmp_path} rw - fuse.ceph-fuse ceph-fuse rw\n"
    read_mounts = node_probe.mount_at
    monkeypatch.setattr(node_probe, "mount_at", lambda path, mountinfo=None: read_mounts(path, info))
    with patch_module_args({"path": str(tmp_path)}), pytest.raises(SystemExit) as done:
        cephfs_mount_info.main()
    result = json.loads(capsys.readouterr().out)
    assert done.value.code == 0
    assert (result["changed"], result["mounted"], result["answering"]) == (False, True, True)
    assert result["fstype"] == "fuse.ceph-fuse"
    assert result["path"] == str(tmp_path)


def test_the_wait_asks_what_the_load_balancer_checks():
    """The health wait (this module) and HAProxy's check (the release table's health_path) ask
    each node the same request, for every release the collection knows."""
    import yaml  # noqa: PLC0415 - only this test reads the role's YAML

    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
    with open(os.path.join(root, "roles", "cluster", "vars", "main.yml"), encoding="utf-8") as handle:
        releases = yaml.safe_load(handle)["_cluster_releases"]
    assert releases
    for release, facts in releases.items():
        assert node_probe.HEALTH_PATHS[facts["generation"]] == facts["health_path"], release
