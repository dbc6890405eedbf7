"""build.py: which image each compose service gets, and when an installer must be rebuilt."""

import build
import pytest
from layout import EQUIVALENT, REGISTRY_TAGS, compose_text, source_tree


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
