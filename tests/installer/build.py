#!/usr/bin/env python3
"""Build the TEST offline installers of Harbor 1.1 and 2.x (tests only; never shipped).

    python3 tests/installer/build.py                       # every version into .cache/installers
    python3 tests/installer/build.py --version 2.15.2 --out DIR

Writes harbor-offline-installer-v<version>.tgz and its .sha256 with the layout of Harbor's own
offline installer. 1.1: harbor/ with harbor.cfg, prepare, docker-compose.yml, common/templates/,
install.sh, LICENSE, NOTICE and harbor.v<version>.tar.gz. 2.x: harbor/ with harbor.yml.tmpl,
prepare, install.sh, common.sh, LICENSE and harbor.v<version>.tar.gz. The image file is
`docker save` of every image the compose file names (and, for 2.x, goharbor/prepare), under
Harbor's names and tags, built on this machine's docker from the test bed's base image
(images/Dockerfile, images2/Dockerfile). An installer whose inputs (the sources here, the
configuration files it carries, the base image) are unchanged is reused, not rebuilt.
Standard library only, like tools/testbed.py.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from layout import (
    HARBOR2_VERSIONS,
    HERE,
    REGISTRY_TAGS,
    ROOT,
    compose_text,
    harbor2_files,
    harbor2_source,
    source_tree,
)

BASE_IMAGE = "harbor-ha/debian:bookworm"
MIRROR = os.environ.get("HARBOR_HA_MIRROR", "http://deb.debian.org/debian")
# Harbor's image repository -> the target of images/Dockerfile that builds it.
TARGETS = {
    "vmware/harbor-log": "log",
    "vmware/registry": "registry",
    "vmware/harbor-db": "db",
    "vmware/harbor-adminserver": "adminserver",
    "vmware/harbor-ui": "ui",
    "vmware/harbor-jobservice": "jobservice",
    "vmware/nginx": "proxy",
}
SOURCES = ("build.py", "layout.py", "images", "harbor_standin", "package")
# Harbor 2.x's image repository -> the target of images2/Dockerfile that builds it.
TARGETS2 = {
    "goharbor/prepare": "prepare",
    "goharbor/harbor-log": "log",
    "goharbor/registry-photon": "registry",
    "goharbor/harbor-registryctl": "registryctl",
    "goharbor/harbor-db": "db",
    "goharbor/harbor-core": "core",
    "goharbor/harbor-portal": "portal",
    "goharbor/harbor-jobservice": "jobservice",
    "goharbor/redis-photon": "redis",
    "goharbor/valkey-photon": "redis",
    "goharbor/nginx-photon": "proxy",
    "goharbor/harbor-exporter": "exporter",
}
# Named by the compose template (with --with-trivy) but not built: see README.md.
NOT_BUILT2 = ("goharbor/trivy-adapter-photon",)
SOURCES2 = ("build.py", "layout.py", "images2", "harbor_standin", "package2")
COMPOSE2 = "prepare-templates/docker_compose/docker-compose.yml.jinja"
# Bump when the shape of the output changes without a change in the sources above.
FORMAT = "1"


class BuildError(Exception):
    """Something the builder cannot work around: the message says what to do."""


def log(message: str) -> None:
    print(f"[installer] {message}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


def files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def inputs_digest(version: str, tree: Path, base_id: str) -> str:
    """What an installer is made of; `tree` is the 1.1 configuration (unused for 2.x)."""
    harbor2 = version in HARBOR2_VERSIONS
    h = hashlib.sha256()
    for part in (FORMAT, version, base_id, MIRROR):
        h.update(part.encode() + b"\0")
    roots = [HERE / name for name in (SOURCES2 if harbor2 else SOURCES)] + [ROOT / "LICENSE"]
    if not harbor2:
        roots.append(tree)
    for root in roots:
        for path in files_under(root):
            h.update(str(path.relative_to(root if root.is_dir() else root.parent)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    if harbor2:
        for name, content in sorted(harbor2_files(version).items()):
            h.update(name.encode() + b"\0" + content + b"\0")
        h.update(((harbor2_source(version) or ROOT) / "LICENSE").read_bytes())
    return h.hexdigest()[:16]


def base_image_id() -> str:
    res = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", BASE_IMAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise BuildError(
            f"the base image {BASE_IMAGE} is missing ({res.stderr.strip()}). "
            "Build it first: python3 tools/testbed.py setup"
        )
    return res.stdout.strip()


def compose_images(compose: str) -> dict[str, str]:
    """image reference -> Dockerfile target, for every `image:` of the compose file."""
    images = {}
    for ref in re.findall(r"^\s+image:\s*['\"]?([^'\"\s]+)", compose, re.MULTILINE):
        repository = ref.rsplit(":", 1)[0]
        if repository not in TARGETS:
            raise BuildError(f"docker-compose file names {ref}, an image this builder cannot make")
        images[ref] = TARGETS[repository]
    missing = set(TARGETS.values()) - set(images.values())
    if missing:
        raise BuildError(f"docker-compose file names no image for {sorted(missing)}")
    return images


def compose_images2(template: str, version: str) -> dict[str, str]:
    """image reference -> target: goharbor/prepare and every image the compose template names."""
    images = {f"goharbor/prepare:v{version}": TARGETS2["goharbor/prepare"]}
    pattern = r"^\s+image:\s*(goharbor/[\w.-]+):\{\{\s*\w+\s*\}\}"
    for repository in re.findall(pattern, template, re.MULTILINE):
        if repository in NOT_BUILT2:
            continue
        if repository not in TARGETS2:
            raise BuildError(f"the compose template names {repository}, an image this builder cannot make")
        images[f"{repository}:v{version}"] = TARGETS2[repository]
    missing = set(TARGETS2.values()) - set(images.values())
    if missing:
        raise BuildError(f"the compose template names no image for {sorted(missing)}")
    return images


def build_context2(files: dict[str, bytes], context: Path) -> None:
    shutil.copytree(HERE / "images2", context)
    shutil.copytree(
        HERE / "harbor_standin", context / "harbor_standin", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name, content in files.items():
        if name.startswith(("prepare-templates/", "migrations/")):
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            (context / name).write_bytes(content)


def stage_installer2(version: str, files: dict[str, bytes], harbor: Path) -> None:
    harbor.mkdir()
    (harbor / "harbor.yml.tmpl").write_bytes(files["harbor.yml.tmpl"])
    prepare = (HERE / "package2" / "prepare").read_text().replace("__version__", f"v{version}")
    (harbor / "prepare").write_text(prepare)
    (harbor / "prepare").chmod(0o755)
    for name in ("install.sh", "common.sh"):
        shutil.copy2(HERE / "package2" / name, harbor / name)
    shutil.copy2((harbor2_source(version) or ROOT) / "LICENSE", harbor / "LICENSE")


def build_context(tree: Path, context: Path) -> None:
    shutil.copytree(HERE / "images", context)
    shutil.copytree(
        HERE / "harbor_standin", context / "harbor_standin", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(tree / "common" / "db" / "registry.sql", context / "db" / "registry.sql")
    (context / "log").mkdir(exist_ok=True)
    for name in ("rsyslog.conf", "rsyslog_docker.conf"):
        shutil.copy2(tree / "common" / "log" / name, context / "log" / name)


def image_ids(refs) -> set[str]:
    found = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", *refs], capture_output=True, text=True, check=False
    )
    return set(found.stdout.split())


def remove_superseded(old: set[str]) -> None:
    """Images left without a tag by a new build (another version's tag may still hold one)."""
    for image in sorted(old):
        tags = subprocess.run(
            ["docker", "image", "inspect", "-f", "{{len .RepoTags}}", image],
            capture_output=True,
            text=True,
            check=False,
        )
        if tags.stdout.strip() == "0":
            subprocess.run(["docker", "rmi", image], capture_output=True, check=False)


def build_images(version: str, images: dict[str, str], context: Path) -> None:
    for ref, target in images.items():
        cmd = ["docker", "build", "-q", "--target", target, "-t", ref]
        cmd += ["--build-arg", f"BASE={BASE_IMAGE}", "--build-arg", f"MIRROR={MIRROR}"]
        if target == "ui" or version in HARBOR2_VERSIONS:
            cmd += ["--build-arg", f"HARBOR_VERSION=v{version}"]
        start = time.monotonic()
        result = subprocess.run([*cmd, str(context)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(f"docker build of {ref} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        log(f"  image {ref} ({target}) in {time.monotonic() - start:.0f} s")


def save_images(refs: list[str], dest: Path) -> None:
    """`docker save | gzip`, as Harbor's release build makes harbor.<version>.tar.gz."""
    with dest.open("wb") as out:
        save = subprocess.Popen(["docker", "save", *refs], stdout=subprocess.PIPE)
        # Level 1: the layers are mostly binaries; a higher level costs twice the time for ~10 %.
        gzip = subprocess.run(["gzip", "-1", "-c"], stdin=save.stdout, stdout=out, check=False)
        save.stdout.close()
        if save.wait() != 0 or gzip.returncode != 0:
            raise BuildError(f"docker save | gzip of {refs} failed")


def token_key_pair(templates: Path) -> None:
    """The default token key pair of common/templates, made here: no private key is kept in git."""
    key, cert = templates / "ui" / "private_key.pem", templates / "registry" / "root.crt"
    run(["openssl", "genrsa", "-traditional", "-out", str(key), "2048"], capture_output=True)
    subject = "/CN=harbor-test-installer-default-token-key"
    run(
        [
            "openssl",
            "req",
            "-x509",
            "-new",
            "-key",
            str(key),
            "-days",
            "3650",
            "-subj",
            subject,
            "-out",
            str(cert),
        ]
    )


def stage_installer(version: str, tree: Path, compose: str, harbor: Path) -> None:
    harbor.mkdir()
    shutil.copy2(tree / "harbor.cfg", harbor / "harbor.cfg")
    (harbor / "docker-compose.yml").write_text(compose)
    shutil.copytree(tree / "common" / "templates", harbor / "common" / "templates")
    if not (harbor / "common" / "templates" / "ui" / "private_key.pem").exists():
        token_key_pair(harbor / "common" / "templates")
    for name in ("install.sh", "prepare"):
        shutil.copy2(HERE / "package" / name, harbor / name)
    shutil.copy2(tree / "LICENSE" if (tree / "LICENSE").exists() else ROOT / "LICENSE", harbor / "LICENSE")
    shutil.copy2(tree / "NOTICE", harbor / "NOTICE")


def release_modes(member: tarfile.TarInfo) -> tarfile.TarInfo:
    """Owned by root, writable by the owner, executables kept: Harbor's own files here are read-only."""
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    member.mode = 0o755 if member.isdir() or member.mode & 0o100 else 0o644
    return member


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(version: str, out: Path, base_id: str, superseded: set[str]) -> bool:
    """Make the installer of `version` unless an up-to-date one exists; True when it was built.

    Adds to `superseded` the images its tags pointed to before, to be removed at the end.
    """
    tree = source_tree(version)
    name = f"harbor-offline-installer-v{version}.tgz"
    tarball, checksum, stamp = out / name, out / f"{name}.sha256", out / f".{name}.inputs"
    digest = inputs_digest(version, tree, base_id)
    if tarball.exists() and checksum.exists() and stamp.exists() and stamp.read_text() == digest:
        log(f"{name} is up to date (inputs {digest})")
        return False
    harbor2 = version in HARBOR2_VERSIONS
    own = harbor2_source(version) is not None if harbor2 else tree != HERE / "equivalent"
    log(f"building {name}: configuration from {'Harbor' if own else 'the test equivalents'}, inputs {digest}")
    start = time.monotonic()
    if harbor2:
        files = harbor2_files(version)
        images = compose_images2(files[COMPOSE2].decode(), version)
    else:
        compose = compose_text(tree, version)
        images = compose_images(compose)
    before = image_ids(images)
    with tempfile.TemporaryDirectory(dir=out, prefix=".build.") as tmp:
        context, harbor = Path(tmp) / "context", Path(tmp) / "harbor"
        if harbor2:
            build_context2(files, context)
        else:
            build_context(tree, context)
        build_images(version, images, context)
        superseded |= before - image_ids(images)
        if harbor2:
            stage_installer2(version, files, harbor)
        else:
            stage_installer(version, tree, compose, harbor)
        save_images(list(images), harbor / f"harbor.v{version}.tar.gz")
        partial = Path(tmp) / name
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            tar.add(harbor, arcname="harbor", filter=release_modes)
        partial.replace(tarball)
    checksum.write_text(f"{sha256_of(tarball)}  {name}\n")
    stamp.write_text(digest)
    size = tarball.stat().st_size / 2**20
    log(f"{name}: {size:.0f} MiB in {time.monotonic() - start:.0f} s")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--version",
        action="append",
        choices=[*sorted(REGISTRY_TAGS), *HARBOR2_VERSIONS],
        help="Harbor version (repeatable; default: all)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "installers", help="output directory")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        base_id = base_image_id()
        # One builder at a time per output directory: the test bed and a scenario may both ask.
        with (args.out / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            superseded: set[str] = set()
            built = [
                v
                for v in args.version or [*sorted(REGISTRY_TAGS), *HARBOR2_VERSIONS]
                if build(v, args.out, base_id, superseded)
            ]
            remove_superseded(superseded)
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"build.py: command failed ({exc.returncode}): {' '.join(exc.cmd)}", file=sys.stderr)
        return 1
    log(f"built: {', '.join(built) if built else 'nothing (every installer is up to date)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
