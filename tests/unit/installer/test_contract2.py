"""The 2.x equivalents and stand-ins promise Harbor's shape: checked against Harbor's own 2.x files.

Collected only when ../shared/upstream holds at least one 2.x release (conftest.py), and
parametrized over the releases present: a fresh clone runs the installer on the equivalents,
which every other test exercises.
"""

import re
from pathlib import Path

import jinja2
import pytest
import yaml
from harbor_standin.harbor2 import prepare as prepare2
from harbor_standin.harbor2 import rules
from jsonschema import Draft4Validator
from layout import HARBOR2_VERSIONS, equivalent2_files, harbor2_source

VERSIONS = [v for v in HARBOR2_VERSIONS if harbor2_source(v)]
METRIC = {"metric": {"enabled": True, "port": 9090, "path": "/metrics"}}
CONFIGS = ("bundled", "external", "https", "trivy")


def upstream_files(version: str) -> dict[str, bytes]:
    root = harbor2_source(version)
    return {
        str(p.relative_to(root)): p.read_bytes()
        for part in ("prepare-templates", "migrations/postgresql")
        for p in sorted((root / part).rglob("*"))
        if p.is_file()
    } | {"harbor.yml.tmpl": (root / "harbor.yml.tmpl").read_bytes()}


def settings_for(config: str, files, harbor_yml, external, run) -> tuple[dict, bool]:
    if config == "bundled":
        return harbor_yml(files), False
    if config == "external":
        return harbor_yml(files, **external, **METRIC), False
    if config == "trivy":
        return harbor_yml(files, **external), True
    (run.root / "hostfs" / "certs").mkdir(parents=True, exist_ok=True)
    for name in ("h.crt", "h.key"):
        (run.root / "hostfs" / "certs" / name).write_text(name)
    https = {"port": 443, "certificate": "/certs/h.crt", "private_key": "/certs/h.key"}
    return harbor_yml(files, https=https, **METRIC), False


# --------------------------------------------------------------------------- nginx, structurally


def nginx_blocks(text: str) -> list:
    """nginx.conf as nested [name, args, children] lists (comments out, quoted strings joined)."""
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|[^\s{};]+", re.sub(r"(?m)#.*$", "", text))
    stack, current, words = [], [], []
    for token in tokens:
        if token == "{":
            block = [words[0], tuple(words[1:]), []]
            current.append(block)
            stack.append(current)
            current, words = block[2], []
        elif token == "}":
            current = stack.pop()
        elif token == ";":
            current.append([words[0], tuple(words[1:]), None])
            words = []
        else:
            words.append(token)
    return current


def unquoted(args: tuple) -> tuple:
    """log_format's quoted pieces, joined as nginx joins them."""
    return ("".join(a[1:-1] if a[:1] in ("'", '"') and a[-1:] == a[:1] else a for a in args),) if args else ()


def effective(directives: list, inherited: dict | None = None) -> dict:
    """name -> sorted argument tuples, with nginx's inheritance: a level that sets a directive
    replaces all the values it would inherit (proxy_set_header, add_header included)."""
    own: dict[str, list] = {}
    for name, args, children in directives:
        if children is None:
            own.setdefault(name, []).append(unquoted(args) if name == "log_format" else args)
    merged = dict(inherited or {})
    merged.update({name: sorted(values) for name, values in own.items()})
    return merged


def nginx_model(text: str) -> dict:
    http = next(b for b in nginx_blocks(text) if b[0] == "http")[2]
    http_level = effective(http)
    model = {"http": http_level, "blocks": {}}
    for name, args, children in http:
        if children is None:
            continue
        if name != "server":
            model["blocks"][(name, args)] = effective(children)
            continue
        server = effective(children, http_level)
        locations = {
            " ".join(loc_args): effective(loc_children, server)
            for loc_name, loc_args, loc_children in children
            if loc_name == "location"
        }
        model["blocks"][("server", tuple(sorted(map(tuple, server.get("listen", [])))))] = locations or server
    return model


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("version", VERSIONS)
def test_equivalents_render_what_harbors_templates_render(prepare_run, harbor_yml, external, version, config):
    runs = {}
    # One harbor.yml (from Harbor's template) rendered with both sets of templates.
    theirs = upstream_files(version)
    for name, files in (("harbor", theirs), ("equivalent", equivalent2_files(version))):
        run = prepare_run(files, version, name=name)
        settings, with_trivy = settings_for(config, theirs, harbor_yml, external, run)
        run(settings, with_trivy)
        runs[name] = run
    harbor, ours = runs["harbor"], runs["equivalent"]
    made = {
        str(p.relative_to(harbor.root / "config")) for p in (harbor.root / "config").rglob("*") if p.is_file()
    }
    assert made == {
        str(p.relative_to(ours.root / "config")) for p in (ours.root / "config").rglob("*") if p.is_file()
    }
    assert harbor.yaml("compose/docker-compose.yml") == ours.yaml("compose/docker-compose.yml")
    for name in sorted(made):
        if name.endswith("env"):
            assert harbor.env(name) == ours.env(name), name
        elif name.endswith(".yml"):
            assert harbor.yaml(f"config/{name}") == ours.yaml(f"config/{name}"), name
        elif name.endswith("nginx.conf"):
            assert nginx_model(harbor.text(f"config/{name}")) == nginx_model(ours.text(f"config/{name}")), (
                name
            )
        elif name.startswith("log/"):
            lines = [
                [
                    line.strip()
                    for line in run.text(f"config/{name}").splitlines()
                    if line.strip() and line[0] != "#"
                ]
                for run in (harbor, ours)
            ]
            assert lines[0] == lines[1], name


# Variables Harbor's prepare leaves undefined too in these configurations (so its templates
# render them empty): optional features, and RELOAD_KEY, which no release's prepare sets.
OPTIONAL = {
    "gcs_keyfile",
    "uaa_ca_file",
    "sentinel_master_set",
    "redis_url_harbor",
    "redis_url_cache_layer",
    "storage_redirect_disabled",
    "reload_key",
    "trivy_redis_url",
    "https_port",
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("version", VERSIONS)
def test_the_stand_in_gives_harbors_templates_every_variable(
    prepare_run, harbor_yml, external, monkeypatch, version, config
):
    missing: set[str] = set()

    class Recording(jinja2.Undefined):
        def __init__(self, *args, name=None, **kwargs):
            super().__init__(*args, name=name, **kwargs)
            if name:
                missing.add(name)

    files_init = prepare2.Files.__init__

    def recording_init(self, paths):
        files_init(self, paths)
        self.jinja.undefined = Recording

    monkeypatch.setattr(prepare2.Files, "__init__", recording_init)
    files = upstream_files(version)
    run = prepare_run(files, version)
    settings, with_trivy = settings_for(config, files, harbor_yml, external, run)
    run(settings, with_trivy)
    assert missing <= OPTIONAL


# --------------------------------------------------------------------------- files


def key_paths(node, prefix: str = "") -> set[str]:
    if not isinstance(node, dict):
        return {prefix}
    return {p for key, value in node.items() for p in key_paths(value, f"{prefix}/{key}")}


def commented_sections(text: str) -> set[str]:
    return set(re.findall(r"^# ?([a-z_]+):", text, re.MULTILINE))


@pytest.mark.parametrize("version", VERSIONS)
def test_harbor_yml_tmpl_has_harbors_keys(version):
    ours = equivalent2_files(version)["harbor.yml.tmpl"].decode()
    theirs = (harbor2_source(version) / "harbor.yml.tmpl").read_text()
    assert key_paths(yaml.safe_load(ours)) == key_paths(yaml.safe_load(theirs))
    assert commented_sections(ours) == commented_sections(theirs)
    assert yaml.safe_load(ours)["_version"] == yaml.safe_load(theirs)["_version"]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_equivalents_are_the_same_template_files(version):
    def templates(files):
        return {name for name in files if name.startswith("prepare-templates/")}

    assert templates(equivalent2_files(version)) == templates(upstream_files(version))


def split_columns(body: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    return [*items, current.strip()]


CONSTRAINTS = ("primary", "unique", "foreign", "constraint", "check")


def schema_after(sql_files: list[str]) -> dict[str, set[str]]:
    """Tables and columns after the migrations, from their DDL (CREATE/ALTER/DROP TABLE)."""
    tables: dict[str, set[str]] = {}
    for original in sql_files:
        text = re.sub(r"--[^\n]*", "", re.sub(r"/\*.*?\*/", "", original, flags=re.DOTALL))
        for name, body in re.findall(
            r"create table (?:if not exists )?\"?(\w+)\"?\s*\((.*?)\);", text, re.I | re.S
        ):
            tables[name.lower()] = {
                item.split()[0].strip('"').lower()
                for item in split_columns(body)
                if item and item.split()[0].lower() not in CONSTRAINTS
            }
        for statement in re.findall(
            r"alter table (?:if exists )?(?:only )?\"?(\w+)\"?\s+([^;]*);", text, re.I
        ):
            table, action = statement[0].lower(), statement[1]
            for column in re.findall(r"add column (?:if not exists )?\"?(\w+)", action, re.I):
                tables.setdefault(table, set()).add(column.lower())
            for column in re.findall(r"drop column (?:if exists )?\"?(\w+)", action, re.I):
                tables.get(table, set()).discard(column.lower())
            for old, new in re.findall(r"rename column \"?(\w+)\"? to \"?(\w+)", action, re.I):
                tables[table] = (tables.get(table, set()) - {old.lower()}) | {new.lower()}
            renamed = re.match(r"rename to \"?(\w+)", action.strip(), re.I)
            if renamed:
                tables[renamed.group(1).lower()] = tables.pop(table, set())
        for name in re.findall(r"drop table (?:if exists )?\"?(\w+)", text, re.I):
            tables.pop(name.lower(), None)
    return tables


def migrations(files: dict[str, bytes]) -> list[tuple[int, str]]:
    names = {n.rsplit("/", 1)[1]: n for n in files if n.startswith("migrations/postgresql/")}
    return [(version, files[names[name]].decode()) for version, _, name in rules.up_migrations(names)]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_equivalent_schema_has_harbors_tables_and_columns(version):
    ours, theirs = migrations(equivalent2_files(version)), migrations(upstream_files(version))
    assert ours[-1][0] == theirs[-1][0]  # core records Harbor's schema version
    our_tables = schema_after([text for _, text in ours])
    their_tables = schema_after([text for _, text in theirs])
    assert set(our_tables) <= set(their_tables)
    for table, columns in our_tables.items():
        assert columns == their_tables[table], table
    assert "password_version" in their_tables["harbor_user"]


# --------------------------------------------------------------------------- the API


def swagger(version: str) -> dict:
    return yaml.safe_load((harbor2_source(version) / "api" / "swagger.yaml").read_text())


def validate(spec: dict, definition: str, instance) -> None:
    schema = {"definitions": spec["definitions"], "$ref": f"#/definitions/{definition}"}
    Draft4Validator(schema).validate(instance)
    properties = spec["definitions"][definition].get("properties")
    if properties and isinstance(instance, dict):
        assert set(instance) <= set(properties), set(instance) - set(properties)


SETTINGS = {**rules.SETTINGS, "ext_endpoint": "http://10.0.0.1"}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_core_stand_ins_answers_match_harbors_api(version):
    from datetime import datetime  # noqa: PLC0415

    spec = swagger(version)
    now = datetime(2026, 11, 30, 12, 0, 0)
    protected = {
        "has_ca_root": False,
        "harbor_version": f"v{version}-x",
        "storage_provider": "filesystem",
        "now": now,
    }
    validate(spec, "GeneralInfo", rules.general_info(SETTINGS, None))
    validate(spec, "GeneralInfo", rules.general_info(SETTINGS, protected))
    user = {
        "user_id": 1,
        "username": "admin",
        "realname": "system admin",
        "email": None,
        "comment": "admin user",
        "sysadmin_flag": True,
        "creation_time": now,
        "update_time": now,
    }
    validate(spec, "UserResp", rules.user_resp(user))
    row = {
        "project_id": 2,
        "owner_id": 1,
        "owner_name": "admin",
        "name": "p",
        "creation_time": now,
        "update_time": now,
    }
    validate(spec, "Project", rules.project_json(row, {"public": "false"}, 3, [1]))
    validate(spec, "Project", rules.project_json({**row, "registry_id": 4}, {"public": "true"}, 0, []))
    validate(spec, "OverallHealthStatus", rules.overall_health({"core": None, "redis": "refused"}))
    validate(spec, "Errors", rules.errors("UNAUTHORIZED", "UnAuthorized"))
    assert spec["paths"]["/ping"]["get"]["produces"] == ["text/plain"]


def test_the_api_paths_the_stand_in_serves_are_harbors():
    served = {
        "/ping",
        "/health",
        "/systeminfo",
        "/users/current",
        "/projects",
        "/projects/{project_name_or_id}",
    }
    for version in VERSIONS:
        paths = swagger(version)["paths"]
        assert served <= set(paths)
        assert {"get", "post", "head"} <= set(paths["/projects"])


def test_the_stand_in_prepare_is_harbors_prepare_interface():
    """The installer's prepare script mounts what Harbor's prepare image reads (g.py)."""
    script = (Path(__file__).resolve().parents[2] / "installer" / "package2" / "prepare").read_text()
    for mount in ("/input", "/data", "/compose_location", "/config", "/hostfs/"):
        assert f":{mount}" in script
    assert prepare2.Paths().config == Path("/config")
    assert prepare2.Paths().compose == Path("/compose_location/docker-compose.yml")
