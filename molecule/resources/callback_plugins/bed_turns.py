"""The test bed's turns for playbooks (not part of the collection: molecule/README.md, "Two lanes")."""

from __future__ import annotations

import sys
from pathlib import Path

from ansible.plugins.callback import CallbackBase

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import bedturns  # the bed's module, next to its tests

DOCUMENTATION = """
    name: bed_turns
    type: aggregate
    short_description: Holds the test bed's quiet lock shared while a playbook runs
    description:
      - The test bed runs two lanes of stages side by side; a timed test holds the quiet lock
        exclusively, so that no playbook of the other lane loads the machine while it measures.
      - This callback takes the lock shared when a playbook starts and keeps it until the process
        ends (molecule/resources/tests/bedturns.py). Inside a timed window it takes nothing.
    requirements:
      - enabled in callbacks_enabled (.config/molecule/config.yml does it)
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bed_turns"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        # Kept open on purpose: the kernel drops the lock when ansible-playbook exits.
        self._quiet = bedturns.shared()
