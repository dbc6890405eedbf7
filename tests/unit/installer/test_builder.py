"""build.py: which image each compose service gets, and when an installer must be rebuilt."""

import build
import pytest
from layout import (
    EQUIVALENT,
    HARBOR2_VERSIONS,
    REGISTRY_TAGS,
    compose_text,
    equivalent2_files,
    harbor2_files,
    source_tree,
)


@pytest.mark.parametrize("version", sorted(REGISTRY_TAGS))
@pytest.mark.parametrize("tree", ["equivalent", "used"])
def test_every_compose_image_has_a_target(version, tree):
    text = compose_text(EQUIVALENT if tree == "equivalent" else source_tree(version), version)
    images = build.compose_images(text)
    assert images == {
        f"vmware/harbor-log:v{version}": "log",
        f"vmware/registry:{REGISTRY_TAGS[version]}": "registry",
        f"vmware/harbor-db:v{version}": "db",
        f"vmware/harbor-adminserver:v{version}": "adminserver",
        f"vmware/harbor-ui:v{version}": "ui",
        f"vmware/harbor-jobservice:v{version}": "jobservice",
        "vmware/nginx:1.11.5-patched": "proxy",
    }


def test_an_unknown_or_missing_image_stops_the_build():
    text = compose_text(EQUIVALENT, "1.1.2")
    with pytest.raises(build.BuildError, match="vmware/notary:1, an image this builder cannot make"):
        build.compose_images(text + "  notary:\n    image: vmware/notary:1\n")
    with pytest.raises(build.BuildError, match=r"no image for \['proxy'\]"):
        build.compose_images(text.replace("image: vmware/nginx:1.11.5-patched", "build: ."))


def test_inputs_change_with_the_base_image_and_the_version():
    tree = source_tree("1.1.2")
    digest = build.inputs_digest("1.1.2", tree, "sha256:aaa")
    assert digest == build.inputs_digest("1.1.2", tree, "sha256:aaa")
    assert digest != build.inputs_digest("1.1.2", tree, "sha256:bbb")
    assert digest != build.inputs_digest("1.1.0", tree, "sha256:aaa")


# --------------------------------------------------------------------------- Harbor 2.x


@pytest.mark.parametrize("version", HARBOR2_VERSIONS)
@pytest.mark.parametrize("source", ["equivalent", "used"])
def test_every_2x_image_has_a_target(version, source):
    files = equivalent2_files(version) if source == "equivalent" else harbor2_files(version)
    images = build.compose_images2(files[build.COMPOSE2].decode(), version)
    redis = "valkey-photon" if version == "2.15.2" else "redis-photon"
    assert images == {
        f"goharbor/prepare:v{version}": "prepare",
        f"goharbor/harbor-log:v{version}": "log",
        f"goharbor/registry-photon:v{version}": "registry",
        f"goharbor/harbor-registryctl:v{version}": "registryctl",
        f"goharbor/harbor-db:v{version}": "db",
        f"goharbor/harbor-core:v{version}": "core",
        f"goharbor/harbor-portal:v{version}": "portal",
        f"goharbor/harbor-jobservice:v{version}": "jobservice",
        f"goharbor/{redis}:v{version}": "redis",
        f"goharbor/nginx-photon:v{version}": "proxy",
        f"goharbor/harbor-exporter:v{version}": "exporter",
    }


def test_an_unknown_or_missing_2x_image_stops_the_build():
    template = equivalent2_files("2.15.2")[build.COMPOSE2].decode()
    with pytest.raises(build.BuildError, match="goharbor/notary-server, an image this builder cannot make"):
        build.compose_images2(
            template + "\n  notary:\n    image: goharbor/notary-server:{{version}}\n", "2.15.2"
        )
    with pytest.raises(build.BuildError, match=r"no image for \['exporter'\]"):
        build.compose_images2(template.replace("goharbor/harbor-exporter:", "other/exporter:"), "2.15.2")


def test_2x_inputs_differ_between_the_releases_and_follow_the_base_image():
    digest = build.inputs_digest("2.15.2", EQUIVALENT, "sha256:aaa")
    assert digest == build.inputs_digest("2.15.2", EQUIVALENT, "sha256:aaa")
    assert digest != build.inputs_digest("2.14.4", EQUIVALENT, "sha256:aaa")
    assert digest != build.inputs_digest("2.15.2", EQUIVALENT, "sha256:bbb")


def test_the_2144_equivalents_are_the_2152_ones_with_harbors_differences():
    old, new = equivalent2_files("2.14.4"), equivalent2_files("2.15.2")
    assert set(new) - set(old) == {"migrations/postgresql/0180_2.15.0_schema.up.sql"}
    assert "SYNC_QUOTA=true" in old["prepare-templates/core/env.jinja"].decode()
    assert "username:" not in old["prepare-templates/registry/config.yml.jinja"].decode()
