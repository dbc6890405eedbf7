"""Bad input fails with a message that names the variable (or the host), before anything changes.

Each case runs the whole role on the converged cephfs-node1 with one input wrong or missing, then
checks the exit status, the message, the PLAY RECAP (failed, nothing changed) and that the
role's files and the mount are exactly as before. The runs go in parallel to keep the scenario
short: none of them may change anything, which is what is tested.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from bedhelpers import failures, recap
from cephfs_testlib import GOOD_VARS, apply_role, snapshot, text

# A key in the right format that the cluster does not know (ceph-authtool --gen-print-key).
FOREIGN_KEY = "AQB1dAlr9xCPHRAAuJJDMu5Ln1qKyHu8hGMtMQ=="
# An address of the scenario's block where no host answers.
SILENT_MONITOR = "10.201.2.99"

CASES = {
    "monitors missing": ({"cephfs_client_monitors": None}, ["cephfs_client_monitors"]),
    "monitors empty": ({"cephfs_client_monitors": []}, ["cephfs_client_monitors"]),
    "key missing": ({"cephfs_client_key": None}, ["cephfs_client_key"]),
    "key malformed": ({"cephfs_client_key": "harbor-secret"}, ["cephfs_client_key", "starting with AQ"]),
    "key refused": ({"cephfs_client_key": FOREIGN_KEY}, ["refused client.harbor", "cephfs_client_key"]),
    "monitor silent": (
        {"cephfs_client_monitors": [SILENT_MONITOR], "cephfs_client_check_timeout": 2},
        ["cephfs_client_monitors", SILENT_MONITOR, "cephfs-node1"],
    ),
    "sub-path missing": ({"cephfs_client_subpath": "/nope"}, ["cephfs_client_subpath /nope"]),
    "file system unknown": ({"cephfs_client_fs_name": "nofs"}, ["cephfs_client_fs_name", "'nofs'"]),
}


CONTROL = "good input"


def role_vars(changes: dict) -> dict:
    """The scenario's inputs with these changes; None removes the variable altogether."""
    merged = {**GOOD_VARS, **changes}
    return {name: value for name, value in merged.items() if value is not None}


@pytest.fixture(scope="module")
def runs(node1, tmp_path_factory):
    """Every case and the control, run at once (none of them may change the node), with the
    node's state before and after."""
    before = snapshot(node1)
    inputs = {case: role_vars(changes) for case, (changes, _) in CASES.items()} | {CONTROL: role_vars({})}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            case: pool.submit(apply_role, tmp_path_factory.mktemp("run"), vars_)
            for case, vars_ in inputs.items()
        }
        results = {case: future.result() for case, future in futures.items()}
    return before, results, snapshot(node1)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_early_and_changes_nothing(case, runs):
    before, results, after = runs
    result = results[case]

    output = text(result)
    assert result.returncode != 0, output[-3000:]
    for fragment in CASES[case][1]:
        assert fragment in failures(result), f"{fragment!r} not in the failure: {output[-3000:]}"
    assert recap(result)["cephfs-node1"] | {"ok": 0} == {"ok": 0, "changed": 0, "unreachable": 0, "failed": 1}
    assert after == before


def test_the_same_run_with_good_input_passes(runs):
    """The control: the runs above fail because of their one bad input, not the test's harness."""
    before, results, after = runs
    result = results[CONTROL]
    assert result.returncode == 0, text(result)[-3000:]
    assert recap(result)["cephfs-node1"]["changed"] == 0
    assert after == before
