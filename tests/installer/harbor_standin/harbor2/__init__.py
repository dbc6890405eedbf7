"""STAND-INS for Harbor 2.x's prepare, core, jobservice, registryctl and exporter: tests only.

Harbor's Go services cannot be built or pulled on the test machines, so the 2.x test installer
carries these Python services under Harbor's image names. They read the same files and
environment as Harbor 2.15.2 / 2.14.4 (make/photon/prepare, src/core, src/jobservice,
src/registryctl, src/pkg/exporter at those tags) and keep the behaviour that makes a cluster hard;
see tests/installer/README.md.
"""
