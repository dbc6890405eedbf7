"""Fixtures of the ha2 scenario's tests: the ha scenario's (on the sandbox2 topology)."""

from ha_fixtures import admin_password, pushed  # noqa: F401 - fixtures, by name
