#!/usr/bin/env python3
"""Build the TEST offline installers of Harbor 1.1 (tests only; never shipped in the collection).

    python3 tests/installer/build.py                       # 1.1.0 and 1.1.2 into .cache/installers
    python3 tests/installer/build.py --version 1.1.2 --out DIR

Writes harbor-offline-installer-v<version>.tgz and its .sha256 with the layout of Harbor's own
offline installer: harbor/ with harbor.cfg, prepare, docker-compose.yml, common/templates/,
install.sh, LICENSE, NOTICE and harbor.v<version>.tar.gz (`docker save` of every image the
compose file names, under Harbor's names and tags). The images are built on this machine's docker
from the test bed's base image (images/Dockerfile). An installer whose inputs (the sources here,
the configuration files it carries, the base image) are unchanged is reused, not rebuilt.
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

from layout import HERE, REGISTRY_TAGS, ROOT, compose_text, source_tree

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
    h = hashlib.sha256()
    for part in (FORMAT, version, base_id, MIRROR):
        h.update(part.encode() + b"\0")
    for root in [HERE / name for name in SOURCES] + [tree, ROOT / "LICENSE"]:
        for path in files_under(root):
            h.update(str(path.relative_to(root if root.is_dir() else root.parent)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
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
        if target == "ui":
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
    origin = "Harbor's own files" if tree != HERE / "equivalent" else "the test equivalents"
    log(f"building {name}: configuration from {origin} ({tree}), inputs {digest}")
    start = time.monotonic()
    compose = compose_text(tree, version)
    images = compose_images(compose)
    before = image_ids(images)
    with tempfile.TemporaryDirectory(dir=out, prefix=".build.") as tmp:
        build_context(tree, Path(tmp) / "context")
        build_images(version, images, Path(tmp) / "context")
        superseded |= before - image_ids(images)
        harbor = Path(tmp) / "harbor"
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
        choices=sorted(REGISTRY_TAGS),
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
                v for v in args.version or sorted(REGISTRY_TAGS) if build(v, args.out, base_id, superseded)
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
