"""site.yml's plays with the free strategy, and what the roles they run may hold.

The free strategy does not support run_once, any_errors_fatal or max_fail_percentage: it warns,
and a run_once task runs on every host. Every task a free play can reach (the roles' main paths,
followed through static includes and imports, and their handlers) must do without them, or make
run_once depend on the host (a template).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SITE = ROOT / "playbooks" / "site.yml"
PREFIX = "harbor_ha.cluster."
UNSUPPORTED = ("run_once", "any_errors_fatal", "max_fail_percentage")
INCLUDES = {
    "ansible.builtin.include_tasks",
    "ansible.builtin.import_tasks",
    "ansible.builtin.include_role",
    "ansible.builtin.import_role",
}


def load(path: Path) -> list:
    return yaml.safe_load(path.read_text()) or []


def free_plays() -> list[dict]:
    return [play for play in load(SITE) if play.get("strategy") == "ansible.builtin.free"]


def entry_points_of(play: dict) -> set[tuple[str, str]]:
    """The (role, entry point) pairs a play runs; a templated name (the database's) stands for
    every database role."""
    found = {(role["role"], "main") for role in play.get("roles", [])}
    for task in play.get("tasks", []):
        include = task.get("ansible.builtin.include_role", {})
        name, entry = include.get("name", ""), include.get("tasks_from", "main")
        if "{{" in name:
            found |= {(PREFIX + "mysql", entry), (PREFIX + "postgresql", entry)}
        elif name:
            found.add((name, entry))
    return {(name.removeprefix(PREFIX), entry) for name, entry in found}


def roles_of(play: dict) -> set[str]:
    return {role for role, _ in entry_points_of(play)}


def walk(tasks: list, here: Path, seen: set[Path]):
    """Every task reachable from a task list, with the file it is in."""
    for task in tasks:
        yield task, here
        for key in ("block", "rescue", "always"):
            yield from walk(task.get(key, []), here, seen)
        for action in INCLUDES & task.keys():
            options = task[action]
            if action.endswith("_role"):
                role = options["name"].removeprefix(PREFIX)
                target = ROOT / "roles" / role / "tasks" / f"{options.get('tasks_from', 'main')}.yml"
            else:
                target = here.parent / (options["file"] if isinstance(options, dict) else options)
            assert "{{" not in str(target), f"{here}: a templated include cannot be followed: {target}"
            if target not in seen:
                seen.add(target)
                yield from walk(load(target), target, seen)


def reachable(role: str, entry: str = "main") -> list[tuple[dict, Path]]:
    seen: set[Path] = set()
    main = ROOT / "roles" / role / "tasks" / f"{entry}.yml"
    found = list(walk(load(main), main, seen)) if main.exists() else []
    handlers = ROOT / "roles" / role / "handlers" / "main.yml"
    if handlers.exists():
        found += list(walk(load(handlers), handlers, seen))
    return found


def test_site_has_free_plays():
    # The plays this file checks: the roles' preflight checks, the layers under Harbor, then the
    # load balancer and the clients.
    assert [sorted(roles_of(play)) for play in free_plays()] == [
        [
            "cephfs_client",
            "cluster",
            "docker",
            "harbor",
            "loadbalancer",
            "mysql",
            "postgresql",
            "redis",
            "registry_client",
        ],
        ["cephfs_client", "cluster", "docker", "mysql", "postgresql", "redis"],
        ["loadbalancer", "registry_client"],
    ]
    assert {entry for play in free_plays()[:1] for _, entry in entry_points_of(play)} == {"main", "preflight"}


def test_free_plays_set_no_unsupported_keyword():
    for play in free_plays():
        for keyword in UNSUPPORTED:
            assert keyword not in play, f"{play['name']}: {keyword}"
            for task in play.get("tasks", []):
                assert keyword not in task, f"{play['name']} / {task['name']}: {keyword}"


@pytest.mark.parametrize(
    ("role", "entry"), sorted({pair for play in free_plays() for pair in entry_points_of(play)})
)
def test_a_role_a_free_play_runs_needs_no_unsupported_keyword(role, entry):
    tasks = reachable(role, entry)
    offending = [
        f"{path.relative_to(ROOT)}: {task.get('name', '?')}: {keyword}: {task[keyword]!r}"
        for task, path in tasks
        for keyword in UNSUPPORTED
        # A template that depends on the host is allowed for run_once (postgresql's reload).
        if keyword in task and not (keyword == "run_once" and "{{" in str(task[keyword]))
    ]
    assert not offending, offending


def test_the_walk_sees_the_roles_include_chain():
    # The checker must be able to fail: it reaches tasks several includes deep and the handlers.
    names = {task.get("name") for task, _ in reachable("postgresql")}
    assert "Write Harbor's entries, one per Harbor node address" in names  # tasks/hba.yml
    assert "Reload PostgreSQL" in names  # handlers/main.yml
    mysql = {path.name for _, path in reachable("mysql")}
    assert {"main.yml", "server_state.yml", "harbor.yml"} <= mysql
