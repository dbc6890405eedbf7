"""Fixtures of the ha scenario's tests (ha_fixtures.py, shared with the ha2 scenario)."""

from ha_fixtures import admin_password, inventory_copy, pushed  # noqa: F401 - fixtures, by name
