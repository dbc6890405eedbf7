#!/usr/bin/env python3
"""The test bed of harbor_ha.cluster: tool chain, docker engine, images, tests and sandbox.

Runs on a fresh Debian 12 machine as root with the system Python (standard library only):

    python3 tools/testbed.py test            # everything CI runs (two lanes, then the timed
                                             # scenarios alone), with per-stage timings
    python3 tools/testbed.py setup           # only the tool chain, the engine and the images
    python3 tools/testbed.py lint | unit     # one stage
    python3 tools/testbed.py scenario NAME   # one molecule scenario (molecule test -s NAME)

Every image is built here (no registry is reachable) and reused while its inputs are unchanged:
the base image from debootstrap, the node image (base + the apt archive every test host needs).
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
CACHE = ROOT / ".cache"
MIRROR = os.environ.get("HARBOR_HA_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"

BASE_IMAGE = "harbor-ha/debian:bookworm"
NODE_IMAGE = "harbor-ha/node:bookworm"
# The node image with the lab Ceph's daemons installed: the lab host of every scenario but cephfs.
LAB_IMAGE = "harbor-ha/ceph-lab:bookworm"
INPUTS_LABEL = "org.harbor-ha.inputs"
BASE_INCLUDE = "python3,systemd,systemd-sysv,iproute2,procps,sudo,ca-certificates"
NODE_PACKAGES = ROOT / "molecule" / "resources" / "node-packages.txt"
LAB_CEPH_VARS = ROOT / "roles" / "lab_ceph" / "vars" / "main.yml"

# One network for every test host; each scenario owns a /24 of it (see molecule/README.md).
NETWORK = "harbor-ha-test"
SUBNET = "10.201.0.0/16"

HOST_PACKAGES = {
    # command or module checked -> Debian package that provides it
    "dockerd": "docker.io",
    "debootstrap": "debootstrap",
    "git": "git",
    "openssl": "openssl",
}


class Sandbox(NamedTuple):
    """An environment of local containers: its inventory, and the scenario whose platforms its
    hosts are (`sandbox up` is that scenario's create and prepare, then site.yml, without tests)."""

    name: str
    scenario: str
    harbor_version: str
    # The database's admin password, by the name the inventory reads it.
    db_admin_secret: str

    @property
    def inventory(self) -> Path:
        return ROOT / "inventories" / self.name

    @property
    def generated(self) -> Path:
        return self.inventory / "group_vars" / "all" / "generated.yml"


SANDBOXES = {
    sandbox.name: sandbox
    for sandbox in (
        Sandbox("sandbox", "ha", "1.1.2", "vault_mysql_admin_password"),
        Sandbox("sandbox2", "ha2", "2.15.2", "vault_postgresql_admin_password"),
    )
}

# The scenarios `test` runs, in dependency order; each is `molecule test -s NAME`.
SCENARIOS = [
    "smoke",
    "cephfs",
    "database",
    "postgresql",
    "installer",
    "installer2",
    "harbor",
    "vip",
    "ha",
    "ha2",
]

# The scenarios whose tests hold a bound on time (failover windows, slowest pulls, the VIP's
# takeover): `test` runs them alone, one after the other, after every other stage. The others
# assert no time, own their containers and their /24 (molecule/README.md), and share the machine
# in two lanes.
TIMED = ("vip", "ha", "ha2")
# Timed scenarios whose build (the steps of their test_sequence before side_effect and verify:
# create, prepare, converge, idempotence) runs in a lane; their tests run alone after the lanes,
# then their destroy. ha2's cluster waits converged and idle while ha's tests run: an idle cluster
# of its shape (sandbox2) used 0.08-0.09 of a core on this 2-core bed (0.01 with no container), and
# the ha bounds broke here only under loads of a whole core and more (a spinner and fsync writes).
# Not vip: its sequence (the shared base's) has a check step (TimedScenario.build refuses one);
# vip runs whole (`molecule test`), alone.
BUILT_IN_LANES = ("ha", "ha2")
# What a stage took in CI (seconds, rounded; the rehearsal of 2026-12-03), to balance the two
# lanes; a stage not listed counts 300.
STAGE_SECONDS = {
    "lint": 75,
    "unit": 300,
    "build and sanity": 50,
    "molecule smoke": 65,
    "molecule cephfs": 295,
    "molecule database": 740,
    "molecule postgresql": 380,
    "molecule installer": 195,
    "molecule installer2": 245,
    "molecule harbor": 725,
    "molecule ha (build)": 460,
    "molecule ha2 (build)": 455,
}


class BedError(Exception):
    """A condition the bed cannot work around: the message says what to do."""


# Where this thread's output goes: a lane of `test` writes each stage to a file of its own.
OUTPUT: contextvars.ContextVar[IO[str] | None] = contextvars.ContextVar("OUTPUT", default=None)


def log(msg: str) -> None:
    print(f"[testbed] {msg}", file=OUTPUT.get() or sys.stdout, flush=True)


def run(cmd: list[str], *, check: bool = True, capture: bool = False, **kw) -> subprocess.CompletedProcess:
    if not capture:
        log("$ " + " ".join(cmd))
        if OUTPUT.get() is not None:
            kw.setdefault("stdout", OUTPUT.get())
            kw.setdefault("stderr", subprocess.STDOUT)
    return subprocess.run(cmd, check=check, text=True, capture_output=capture, **kw)


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- preflight


def require_root() -> None:
    if os.geteuid() != 0:
        raise BedError(
            "the test bed must run as root: it installs Debian packages and runs dockerd. "
            "Re-run with sudo (sudo python3 tools/testbed.py ...)."
        )


def require_mirror() -> None:
    url = f"{MIRROR}/dists/{SUITE}/InRelease"
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:  # noqa: S310 - fixed http(s) URL
            resp.read(64)
    except (urllib.error.URLError, OSError) as exc:
        raise BedError(
            f"the Debian mirror {MIRROR} does not answer ({exc}). The bed installs packages on this "
            "machine and in every test container. Restore network access to it, or point "
            "HARBOR_HA_MIRROR at a reachable Debian mirror."
        ) from exc


def apt_install(packages: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    update = run(["apt-get", "update", "-q"], check=False, capture=True, env=env)
    if update.returncode != 0 or "\nErr:" in update.stdout or update.stdout.startswith("Err:"):
        raise BedError(
            "apt-get update failed: the Debian mirror is unreachable or broken. "
            f"Output:\n{update.stdout[-2000:]}{update.stderr[-2000:]}"
        )
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env=env)


def host_packages() -> None:
    missing = sorted({pkg for cmd, pkg in HOST_PACKAGES.items() if shutil.which(cmd) is None})
    try:
        import ensurepip  # noqa: F401, PLC0415
    except ImportError:
        missing.append("python3-venv")
    if missing:
        log(f"installing Debian packages: {' '.join(missing)}")
        apt_install(missing)


def docker_ok() -> bool:
    return run(["docker", "info"], check=False, capture=True).returncode == 0


DOCKERD_LOG = Path("/var/log/harbor-ha-dockerd.log")


def systemd_is_init() -> bool:
    return Path("/run/systemd/system").is_dir()


def docker_engine() -> None:
    if docker_ok():
        return
    logfile = DOCKERD_LOG
    if systemd_is_init():
        run(["systemctl", "start", "docker"], check=False)
    else:
        log(f"starting dockerd in the background (log: {logfile})")
        with logfile.open("ab") as out:
            subprocess.Popen(["dockerd"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(60):
        if docker_ok():
            return
        time.sleep(1)
    tail = logfile.read_text(errors="replace")[-1500:] if logfile.exists() else "(no log)"
    raise BedError(
        "the docker engine did not start within 60 s. Last lines of its log:\n"
        f"{tail}\nFix the cause (another dockerd running? no space on /var/lib/docker?) and re-run."
    )


# --------------------------------------------------------------------------- tool chain


def venv() -> None:
    reqs = (ROOT / "requirements.txt").read_bytes()
    stamp = VENV / ".requirements.sha256"
    wanted = digest(reqs, sys.version)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    log("creating the virtualenv .venv from requirements.txt")
    if VENV.exists():
        shutil.rmtree(VENV)
    run([sys.executable, "-m", "venv", str(VENV)])
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, "-r", str(ROOT / "requirements.txt")])
    stamp.write_text(wanted)


def link_collection() -> None:
    """Make the checkout importable as ansible_collections.harbor_ha.cluster inside the venv."""
    site = run(
        [str(VENV / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture=True,
    ).stdout.strip()
    link = Path(site) / "ansible_collections" / "harbor_ha" / "cluster"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() == ROOT:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(ROOT, target_is_directory=True)


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV / 'bin'}:{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    env["PY_COLORS"] = "0"
    return env


# --------------------------------------------------------------------------- images


def image_inputs(name: str) -> str | None:
    res = run(["docker", "image", "inspect", name], check=False, capture=True)
    if res.returncode != 0:
        return None
    labels = json.loads(res.stdout)[0]["Config"].get("Labels") or {}
    return labels.get(INPUTS_LABEL)


def image_id(name: str) -> str:
    return run(["docker", "image", "inspect", "-f", "{{.Id}}", name], capture=True).stdout.strip()


def base_image() -> None:
    inputs = digest(SUITE, MIRROR, BASE_INCLUDE, "minbase", "v1")
    if image_inputs(BASE_IMAGE) == inputs:
        log(f"{BASE_IMAGE} is up to date")
        return
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="rootfs.") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(["debootstrap", "--variant=minbase", f"--include={BASE_INCLUDE}", SUITE, str(rootfs), MIRROR])
        # The archive debootstrap leaves behind is not part of a host's image.
        for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
            deb.unlink()
        # A container's hostname and machine-id come from docker and systemd at boot.
        (rootfs / "etc/machine-id").write_text("")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run(
            ["docker", "import", "--change", f"LABEL {INPUTS_LABEL}={inputs}", "-", BASE_IMAGE],
            stdin=tar.stdout,
        )
        if tar.wait() != 0:
            raise BedError("tar of the debootstrap root failed")


NODE_DOCKERFILE = """\
FROM {base}
# A host-like test node: systemd as PID 1 and an apt archive that already holds every package
# the roles install, so that scenarios do not download the same .debs again.
# python3-apt is installed, as on most managed Debian hosts: Ansible's apt module needs it in
# check mode (outside check mode it would install it itself).
RUN echo 'deb {mirror} {suite} main' > /etc/apt/sources.list \\
 && apt-get update -q \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -q -y python3-apt \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -q -y --download-only {packages} \\
 && rm -f /var/cache/apt/archives/partial/* \\
 && systemctl mask systemd-logind.service getty.target console-getty.service \\
 && systemctl set-default multi-user.target
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
"""


def node_packages() -> list[str]:
    lines = NODE_PACKAGES.read_text().splitlines()
    return [pkg for line in lines if (pkg := line.split("#", 1)[0].strip())]


def node_image() -> None:
    dockerfile = NODE_DOCKERFILE.format(
        base=BASE_IMAGE, mirror=MIRROR, suite=SUITE, packages=" ".join(node_packages())
    )
    build_labelled(NODE_IMAGE, dockerfile, digest(image_id(BASE_IMAGE), dockerfile))


def build_labelled(image: str, dockerfile: str, inputs: str) -> None:
    """Build `image` from `dockerfile`, labelled with the digest of its inputs; reused while they match."""
    if image_inputs(image) == inputs:
        log(f"{image} is up to date")
        return
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="image.") as ctx:
        (Path(ctx) / "Dockerfile").write_text(dockerfile)
        run(["docker", "build", "--label", f"{INPUTS_LABEL}={inputs}", "-t", image, ctx])


LAB_DOCKERFILE = """\
FROM {node}
# The lab Ceph's host: the node image with roles/lab_ceph's packages installed from its archive.
# The scenarios whose lab is only a fixture start from it and skip installing Ceph each time; the
# cephfs scenario keeps the plain node image, so the role's own install still runs there.
RUN DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends {packages}
"""


def lab_ceph_packages() -> list[str]:
    """roles/lab_ceph's _lab_ceph_packages (read without YAML: setup runs before the venv)."""
    packages: list[str] = []
    inside = False
    for line in LAB_CEPH_VARS.read_text().splitlines():
        if line.startswith("_lab_ceph_packages:"):
            inside = True
        elif inside and line.startswith("  - "):
            packages.append(line[4:].strip())
        elif inside:
            break
    if not packages:
        raise BedError(f"no _lab_ceph_packages list in {LAB_CEPH_VARS}")
    return packages


def lab_image() -> None:
    dockerfile = LAB_DOCKERFILE.format(node=NODE_IMAGE, packages=" ".join(lab_ceph_packages()))
    build_labelled(LAB_IMAGE, dockerfile, digest(image_id(NODE_IMAGE), dockerfile))


def installers() -> None:
    """The offline Harbor 1.1 and 2.x installers of the tests (tests/installer/README.md); reused when
    unchanged."""
    run([sys.executable, str(ROOT / "tests" / "installer" / "build.py"), "--out", str(CACHE / "installers")])


def network() -> None:
    if run(["docker", "network", "inspect", NETWORK], check=False, capture=True).returncode == 0:
        return
    run(["docker", "network", "create", "--subnet", SUBNET, "--label", "org.harbor-ha=test-bed", NETWORK])


# --------------------------------------------------------------------------- sandbox


def ceph_key() -> str:
    """A cephx secret as `ceph-authtool --gen-print-key` prints it (type 1, created now, 16 bytes)."""
    now = time.time()
    header = struct.pack("<hiih", 1, int(now), int((now % 1) * 1e9), 16)
    return base64.b64encode(header + secrets.token_bytes(16)).decode()


def password(prefix: str) -> str:
    # Letters, digits, - and _ only (no comma for _REDIS_URL); upper, lower and a digit for Harbor.
    return f"{prefix}-{secrets.token_urlsafe(18)}-Aa1"


def test_installer(version: str) -> tuple[Path, str]:
    tarball = CACHE / "installers" / f"harbor-offline-installer-v{version}.tgz"
    return tarball, Path(f"{tarball}.sha256").read_text().split()[0]


def sandbox_settings(sandbox: Sandbox, installer: str | None = None, sha256: str | None = None) -> None:
    """generated.yml: secrets made once (kept across runs), and the installer in use."""
    current = {}
    if sandbox.generated.exists():
        for line in sandbox.generated.read_text().splitlines():
            if ": " in line and not line.startswith("#"):
                key, value = line.split(": ", 1)
                current[key] = json.loads(value)
    made = {
        "vault_ceph_client_key": ceph_key,
        sandbox.db_admin_secret: lambda: password("db-admin"),
        "vault_harbor_db_password": lambda: password("db-harbor"),
        "vault_redis_password": lambda: password("redis"),
        "vault_harbor_admin_password": lambda: password("Admin"),
    }
    for key, make in made.items():
        current.setdefault(key, make())
    tarball, digest = test_installer(sandbox.harbor_version)
    if installer:
        current["harbor_installer_src" if "://" not in installer else "harbor_installer_url"] = installer
        current["harbor_installer_sha256"] = sha256
        current.pop("harbor_installer_url" if "://" not in installer else "harbor_installer_src", None)
    elif (
        current.get("harbor_installer_src", str(tarball)) == str(tarball)
        and "harbor_installer_url" not in current
    ):
        # The test installer is rebuilt when its sources change: follow its current checksum.
        current.update(harbor_installer_src=str(tarball), harbor_installer_sha256=digest)
    lines = ["# Written by tools/testbed.py: the sandbox's secrets and installer. Never commit it."]
    lines += [f"{key}: {json.dumps(value)}" for key, value in current.items()]
    # Created 0600: the secrets are never readable by others, not even for a moment.
    fd = os.open(sandbox.generated, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("---\n" + "\n".join(lines) + "\n")
    sandbox.generated.chmod(0o600)


# What the test installers' stand-ins replace, by Harbor's line (tests/installer/README.md).
STAND_INS = {
    "1": "adminserver, ui, jobservice",
    "2": "prepare, core, jobservice, registryctl, portal, exporter",
}


def installer_in_use(sandbox: Sandbox) -> str:
    text = sandbox.generated.read_text()
    test_tarball = str(test_installer(sandbox.harbor_version)[0])
    return (
        f"the TEST installer of Harbor {sandbox.harbor_version} (stand-ins for"
        f" {STAND_INS[sandbox.harbor_version[0]]})"
        if test_tarball in text
        else ("the installer given to `sandbox up --installer`")
    )


def sandbox_up(
    sandbox: Sandbox, installer: str | None, sha256: str | None, test_installer_again: bool
) -> None:
    if bool(installer) != bool(sha256):
        raise BedError(
            "give --installer PATH|URL together with --sha256 HEX (or neither: the test installer)"
        )
    setup()
    if test_installer_again:
        tarball, digest = test_installer(sandbox.harbor_version)
        installer, sha256 = str(tarball), digest
    sandbox_settings(sandbox, installer, sha256)
    log(f"{sandbox.name}: Harbor from {installer_in_use(sandbox)}")
    for action in ("create", "prepare"):
        tool(["molecule", action, "-s", sandbox.scenario])
    tool(["ansible-playbook", "-i", str(sandbox.inventory), "playbooks/site.yml"])
    sandbox_status(sandbox)
    log(f"{sandbox.name}: Harbor from {installer_in_use(sandbox)}")


def sandbox_status(sandbox: Sandbox) -> None:
    tool(["ansible-playbook", "-i", str(sandbox.inventory), "playbooks/status.yml"])


def sandbox_down(sandbox: Sandbox) -> None:
    tool(["molecule", "destroy", "-s", sandbox.scenario])


# --------------------------------------------------------------------------- stages


def setup() -> None:
    require_root()
    require_mirror()
    host_packages()
    docker_engine()
    venv()
    link_collection()
    base_image()
    node_image()
    lab_image()
    installers()
    network()
    for sandbox in SANDBOXES.values():
        sandbox_settings(sandbox)


def tool(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return run(cmd, cwd=ROOT, env=tool_env(), **kw)


def lint() -> None:
    tool(["yamllint", "--strict", "."])
    tool(["antsibull-changelog", "lint"])
    tool(["ruff", "check", "."])
    tool(["ruff", "format", "--check", "."])
    tool(["python", "tools/check_specs.py"])
    tool(["ansible-lint", "--offline"])


def unit() -> None:
    tool(["python", "-m", "pytest", "-q", "tests/unit"])


# What the Galaxy tarball must never carry: the test bed, its scenarios and the CI.
NOT_SHIPPED = (".ci/", ".config/", "molecule/", "tests/", "tools/", ".venv/", ".cache/", ".ruff_cache/")


def build() -> Path:
    """Build the collection tarball and check that no test or CI file is in it."""
    dist = CACHE / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    tool(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(dist)])
    tarball = max(dist.glob("harbor_ha-cluster-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    leaked = sorted(n for n in names if n.startswith(NOT_SHIPPED))
    if leaked:
        raise BedError(f"{tarball.name} carries test or CI files: {leaked[:10]}")
    log(f"{tarball.name}: {len(names)} files, no test or CI file")
    return tarball


def ansible_test_pip_bootstrap() -> None:
    """What ansible-test runs to put pip into the virtualenvs of its sanity tests.

    It downloads get-pip.py from ci-files.testing.ansible.com, which these machines cannot reach
    ("The bootstrap script can be manually downloaded and saved to: ..."). Written instead: pip
    from Python's own ensurepip, then the pip release ansible-test asks for, from PyPI. A real
    get-pip.py already in the cache is left alone.
    """
    version = run(
        [
            str(VENV / "bin" / "python"),
            "-c",
            "import types; from ansible_test._internal.python_requirements import get_venv_packages; "
            f"print(get_venv_packages(types.SimpleNamespace(version='{sys.version_info.major}.{sys.version_info.minor}'))['pip'])",
        ],
        capture=True,
    ).stdout.strip()
    script = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    if script.exists():
        return
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "# Written by harbor_ha.cluster's tools/testbed.py: ci-files.testing.ansible.com is unreachable.\n"
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade'], check=True)\n"
        "args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]\n"
        "subprocess.run([sys.executable, '-m', 'pip', 'install', *args], check=True)\n"
    )


def sanity() -> None:
    """ansible-test sanity on the collection as Galaxy ships it (the built tarball), with the
    repository's ignore file (tests/sanity/)."""
    tarball = build()
    ansible_test_pip_bootstrap()
    # Outside the checkout: inside it, ansible-test would list files through git, which ignores .cache.
    with tempfile.TemporaryDirectory(prefix="harbor-ha-sanity.") as tmp:
        tree = Path(tmp) / "ansible_collections" / "harbor_ha" / "cluster"
        tree.mkdir(parents=True)
        with tarfile.open(tarball) as tar:
            tar.extractall(tree, filter="data")
        shutil.copytree(ROOT / "tests" / "sanity", tree / "tests" / "sanity")
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        run(
            [str(VENV / "bin" / "ansible-test"), "sanity", "--local", "--python", python, "--requirements"],
            cwd=tree,
            env=tool_env(),
        )


def bench(lines: list[str]) -> None:
    setup()
    tool(["python", "tools/bench.py", *lines])


@contextmanager
def scenario_lock(name: str):
    """Hold the scenario's machine-wide lock: a scenario owns fixed container names and a fixed
    subnet, so two checkouts on one machine (a developer's and CI's) must not run it at once.
    The same file `flock /tmp/harbor-ha-scenario-NAME.lock ...` takes by hand."""
    # A fixed path is the point (the same lock for every checkout); O_NOFOLLOW refuses a symlink.
    path = f"/tmp/harbor-ha-scenario-{name}.lock"  # noqa: S108
    handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"scenario {name} is running from another checkout; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def scenario(name: str) -> None:
    with scenario_lock(name):
        tool(["molecule", "test", "-s", name])


# The first of the files whose scenario sets a test_sequence gives it, as molecule merges them: the
# scenario's molecule.yml, then the shared base every scenario starts from.
SEQUENCE_SCRIPT = """
import sys, yaml
for path in sys.argv[1:]:
    sequence = ((yaml.safe_load(open(path)) or {}).get("scenario") or {}).get("test_sequence")
    if sequence:
        print(*sequence)
        break
else:
    sys.exit("no test_sequence in " + " or ".join(sys.argv[1:]))
"""


def molecule_sequence(name: str) -> list[str]:
    """The scenario's test_sequence: its molecule.yml's, or the shared base's
    (.config/molecule/config.yml) when it sets none. Read with the tool chain's PyYAML."""
    files = [ROOT / "molecule" / name / "molecule.yml", ROOT / ".config" / "molecule" / "config.yml"]
    return tool(["python", "-c", SEQUENCE_SCRIPT, *map(str, files)], capture=True).stdout.split()


class TimedScenario:
    """A timed scenario in two stages. `build`: the steps of its test_sequence before its tests
    (destroy, syntax, create, prepare, converge, idempotence: none holds a bound on time), in a
    lane. `tests`: the rest (side_effect, verify), alone, then destroy, as `molecule test` would
    (also after a failure). The scenario's lock is held from the first stage to the end of the
    second."""

    TESTS = ("side_effect", "verify")

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = ExitStack()
        self.steps: list[str] = []
        self.built = False

    def molecule(self, step: str) -> None:
        # A step of test_sequence is molecule's command with "_" for "-" (side_effect: side-effect).
        tool(["molecule", step.replace("_", "-"), "-s", self.name])

    def build(self) -> None:
        self.lock.enter_context(scenario_lock(self.name))
        try:
            self.steps = molecule_sequence(self.name)
            if "check" in self.steps[: self.cut()]:
                # `molecule check` on its own is a sequence of its own, ending in destroy: the
                # tests would find no host. Such a scenario runs whole (`molecule test`), alone.
                raise BedError(
                    f"{self.name} cannot build in a lane: its test_sequence has a check step before"
                    " its tests, and `molecule check` run on its own ends in destroy."
                    " Take it out of BUILT_IN_LANES (tools/testbed.py)."
                )
            for step in self.steps[: self.cut()]:
                self.molecule(step)
        except BaseException:
            self.end()
            raise
        self.built = True

    def cut(self) -> int:
        return next((i for i, step in enumerate(self.steps) if step in self.TESTS), len(self.steps))

    def tests(self) -> None:
        if not self.built:
            raise BedError(f"no test of {self.name} ran: its build stage failed")
        try:
            for step in self.steps[self.cut() :]:
                if step != "destroy":
                    self.molecule(step)
        finally:
            self.end()

    def end(self) -> None:
        try:
            self.molecule("destroy")
        finally:
            self.lock.close()


class Timing(NamedTuple):
    name: str
    lane: str
    start: float  # seconds since the run began
    seconds: float
    status: str
    cpu: str = ""  # what the machine's CPUs did meanwhile (cpu_share)


PROC_STAT = Path("/proc/stat")


def cpu_ticks() -> list[int]:
    """The machine's CPU time so far, all CPUs, in ticks: user, nice, system, idle, iowait, irq,
    softirq, steal (proc(5))."""
    fields = PROC_STAT.read_text().splitlines()[0].split()
    return [int(value) for value in fields[1:9]]


def cpu_share(before: list[int], after: list[int]) -> str:
    """What the CPUs did between two cpu_ticks(): busy (user, nice, system, irq, softirq), waiting
    for I/O, and stolen by the hypervisor, in percent of all CPUs' time. Where the run's time went:
    a stage near 100 % busy is bound by CPU, one with steal lost it to the machine's neighbours."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        b - a for a, b in zip(before, after, strict=True)
    )
    total = user + nice + system + idle + iowait + irq + softirq + steal
    if total <= 0:
        return ""
    busy = user + nice + system + irq + softirq
    parts = (("busy", busy), ("iowait", iowait), ("steal", steal))
    return ", ".join(f"{name} {round(100 * ticks / total)} %" for name, ticks in parts)


def run_stage(name: str, func, lane: str, began: float, timings: list[Timing]) -> bool:
    """One stage; True when it passed. A failure is logged and the run goes on."""
    log(f"=== stage {name}" + (f" (lane {lane})" if lane != "-" else ""))
    start = time.monotonic()
    ticks = cpu_ticks()
    status = "FAILED"
    try:
        func()
        status = "ok"
    except (subprocess.CalledProcessError, BedError) as exc:
        log(f"stage {name} failed: {exc}")
    finally:
        timings.append(
            Timing(name, lane, start - began, time.monotonic() - start, status, cpu_share(ticks, cpu_ticks()))
        )
    return status == "ok"


def lanes(stages: list[tuple[str, object]], count: int = 2) -> list[list[tuple[str, object]]]:
    """`stages` in `count` lanes of about the same length (STAGE_SECONDS), each in the given order."""
    load = [0] * count
    picked: list[list[int]] = [[] for _ in range(count)]
    order = sorted(range(len(stages)), key=lambda i: -STAGE_SECONDS.get(stages[i][0], 300))
    for index in order:
        lane = load.index(min(load))
        picked[lane].append(index)
        load[lane] += STAGE_SECONDS.get(stages[index][0], 300)
    return [[stages[i] for i in sorted(indexes)] for indexes in picked]


def run_lane(stages: list[tuple[str, object]], lane: str, began: float, timings: list[Timing]) -> bool:
    """A lane's stages in order, each into its own log under .cache/ci/, printed once it ends."""
    logs = CACHE / "ci"
    logs.mkdir(parents=True, exist_ok=True)
    passed = True
    for name, func in stages:
        path = logs / (re.sub(r"[^\w.]+", "-", name).strip("-") + ".log")
        with path.open("w") as out:
            token = OUTPUT.set(out)
            try:
                passed &= run_stage(name, func, lane, began, timings)
            finally:
                OUTPUT.reset(token)
        with PRINTING:
            print(f"[testbed] ---- output of stage {name} (lane {lane}, {path})", flush=True)
            sys.stdout.write(path.read_text())
            print(f"[testbed] ---- end of stage {name}", flush=True)
    return passed


PRINTING = threading.Lock()


def print_timings(timings: list[Timing], cpu: str = "") -> None:
    """Each stage's start, length, result and the machine's CPUs meanwhile (a lane's stage shares
    them with the other lane); then the whole run's."""
    width = max(len("total (wall clock)"), *(len(t.name) for t in timings))
    print("\nstage timings (start: seconds into the run; lanes 1 and 2 share the machine)")
    for t in sorted(timings, key=lambda t: t.start):
        line = f"  {t.name:<{width}}  lane {t.lane}  start {t.start:7.1f}  {t.seconds:7.1f} s  {t.status:<6}"
        print(f"{line}  {t.cpu}")
    end = max(t.start + t.seconds for t in timings)
    print(f"  {'total (wall clock)':<{width}}  {end:7.1f} s  {cpu}")


def test(scenarios: list[str]) -> int:
    """Setup; then lint, unit, sanity, the untimed scenarios and the builds of BUILT_IN_LANES in
    two lanes; then the timed scenarios (TIMED), one at a time with the machine to themselves.
    Every stage runs even after a failure, so one red scenario does not hide another."""
    began = time.monotonic()
    ticks = cpu_ticks()
    timings: list[Timing] = []
    if not run_stage("setup", setup, "-", began, timings):
        print_timings(timings, cpu_share(ticks, cpu_ticks()))
        return 1
    shared = [("lint", lint), ("unit", unit), ("build and sanity", sanity)]
    shared += [(f"molecule {n}", lambda n=n: scenario(n)) for n in scenarios if n not in TIMED]
    timed = {n: TimedScenario(n) for n in scenarios if n in BUILT_IN_LANES}
    shared += [(f"molecule {n} (build)", t.build) for n, t in timed.items()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Every lane's result is read: an error a lane raised is raised here, whatever the other did.
        results = list(
            pool.map(lambda job: run_lane(job[1], str(job[0]), began, timings), enumerate(lanes(shared), 1))
        )
    passed = all(results)
    for name in (n for n in scenarios if n in TIMED):
        if name in timed:
            passed &= run_stage(f"molecule {name} (tests)", timed[name].tests, "-", began, timings)
        else:
            passed &= run_stage(f"molecule {name}", lambda n=name: scenario(n), "-", began, timings)
    print_timings(timings, cpu_share(ticks, cpu_ticks()))
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="testbed", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="tool chain, docker engine, images and test network")
    sub.add_parser("lint", help="yamllint, ruff, argument specs, ansible-lint")
    sub.add_parser("unit", help="pytest unit tests of the plugins and tools")
    sub.add_parser("build", help="build the Galaxy tarball and check what it carries")
    sub.add_parser("sanity", help="ansible-test sanity on the built Galaxy tarball")
    test_p = sub.add_parser("test", help="setup, lint, unit and every molecule scenario")
    test_p.add_argument("scenarios", nargs="*", default=SCENARIOS, help=f"default: {' '.join(SCENARIOS)}")
    scen_p = sub.add_parser("scenario", help="run molecule scenarios (after setup)")
    scen_p.add_argument("names", nargs="+")
    bench_p = sub.add_parser(
        "bench", help="measure converge, no-op re-run, failover and throughput (prints a table)"
    )
    bench_p.add_argument("lines", nargs="*", help="the Harbor lines to measure, 1.1 and 2.x (default: both)")
    sandbox_p = sub.add_parser("sandbox", help="a sandbox environment (inventories/sandbox, sandbox2)")
    sandbox_p.add_argument("action", choices=["up", "status", "down"])
    sandbox_p.add_argument(
        "--inventory",
        choices=sorted(SANDBOXES),
        default="sandbox",
        help="sandbox: Harbor 1.1.2 (default); sandbox2: Harbor 2.15.2",
    )
    sandbox_p.add_argument("--installer", help="a real offline installer: a path or a URL")
    sandbox_p.add_argument("--sha256", help="the sha256 of --installer")
    sandbox_p.add_argument(
        "--test-installer", action="store_true", help="go back to the test installer after --installer"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "setup":
            setup()
        elif args.command == "lint":
            lint()
        elif args.command == "unit":
            unit()
        elif args.command == "build":
            build()
        elif args.command == "sanity":
            sanity()
        elif args.command == "scenario":
            for name in args.names:
                scenario(name)
        elif args.command == "test":
            return test(args.scenarios)
        elif args.command == "bench":
            bench(args.lines)
        elif args.command == "sandbox":
            sandbox = SANDBOXES[args.inventory]
            {
                "up": lambda: sandbox_up(sandbox, args.installer, args.sha256, args.test_installer),
                "status": lambda: sandbox_status(sandbox),
                "down": lambda: sandbox_down(sandbox),
            }[args.action]()
    except BedError as exc:
        print(f"testbed: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"testbed: command failed ({exc.returncode}): {' '.join(exc.cmd)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
