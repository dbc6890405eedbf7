"""STAND-INS for Harbor 1.1's adminserver, ui and jobservice: tests only, never shipped.

Harbor's own images cannot be pulled on the test machines, so the test installer carries these
Python services under Harbor's image names. They read the same environment variables and files
as Harbor 1.1 (src/adminserver, src/ui, src/jobservice, src/common at tag v1.1.2) and implement
the part of its behaviour the collection's tests rely on; see tests/installer/README.md.
"""
