# Copyright: harbor_ha.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Harbor 1.1's `prepare` as pure functions: harbor.cfg and common/templates in, common/config out.

Harbor 1.1's installer renders common/config with `prepare` (make/prepare at v1.1.x), a Python 2
script that does not run on current distributions. These functions read harbor.cfg as its
ConfigParser does, compute the same template values and substitute them with string.Template
exactly as it does. Unlike prepare they never generate anything: the ui and jobservice secrets,
the secret key and the token key pair are inputs, made once for the whole cluster elsewhere.
Notary (--with-notary) is not supported.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from string import Template

from ansible_collections.harbor_ha.cluster.plugins.module_utils.env_file import EnvFileError, compose_value

SECTION = "configuration"

# Keys prepare reads unconditionally (rcp.get), and those it reads only when present.
REQUIRED_KEYS = (
    "hostname",
    "ui_url_protocol",
    "db_password",
    "max_job_workers",
    "customize_crt",
    "secretkey_path",
    "email_identity",
    "email_server",
    "email_server_port",
    "email_username",
    "email_password",
    "email_from",
    "email_ssl",
    "harbor_admin_password",
    "auth_mode",
    "ldap_url",
    "ldap_basedn",
    "ldap_uid",
    "ldap_scope",
    "ldap_timeout",
    "self_registration",
    "token_expiration",
    "project_creation_restriction",
    "verify_remote_cert",
)
OPTIONAL_KEYS = ("ssl_cert", "ssl_cert_key", "admiral_url", "ldap_searchdn", "ldap_search_pwd", "ldap_filter")
KNOWN_KEYS = REQUIRED_KEYS + OPTIONAL_KEYS
# Keys whose values are secrets: given to the module as options of their own (no_log).
SECRET_KEYS = ("db_password", "harbor_admin_password", "email_password", "ldap_search_pwd")

# Template of common/templates -> file of common/config, and the values prepare passes to it.
ADMINSERVER_VALUES = (
    "ui_url",
    "auth_mode",
    "self_registration",
    "ldap_url",
    "ldap_searchdn",
    "ldap_search_pwd",
    "ldap_basedn",
    "ldap_filter",
    "ldap_uid",
    "ldap_scope",
    "ldap_timeout",
    "db_password",
    "email_host",
    "email_port",
    "email_usr",
    "email_pwd",
    "email_ssl",
    "email_from",
    "email_identity",
    "harbor_admin_password",
    "project_creation_restriction",
    "verify_remote_cert",
    "max_job_workers",
    "ui_secret",
    "jobservice_secret",
    "token_expiration",
    "admiral_url",
    "with_notary",
)
SECRETS = ("ui_secret", "jobservice_secret")
RENDERED = (
    ("adminserver/env", "adminserver/env", ADMINSERVER_VALUES),
    ("ui/env", "ui/env", SECRETS),
    ("registry/config.yml", "registry/config.yml", ("ui_url",)),
    ("db/env", "db/env", ("db_password",)),
    ("jobservice/env", "jobservice/env", SECRETS),
)
COPIED = (("jobservice/app.conf", "jobservice/app.conf"), ("ui/app.conf", "ui/app.conf"))
DIRECTORIES = ("adminserver", "db", "jobservice", "nginx", "nginx/conf.d", "registry", "ui")

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
SECRET_FILES = ("adminserver/env", "db/env", "jobservice/env", "ui/env", "ui/private_key.pem")

NGINX_CERT_DIR = "/etc/nginx/cert"
SECRET_KEY_LENGTH = 16

_OPTION = re.compile(r"(?P<option>[^:=\s][^:=]*)\s*(?P<vi>[:=])\s*(?P<value>.*)$")
_SECTION = re.compile(r"\[(?P<header>[^]]+)\]")


class PrepareError(ValueError):
    """Input that prepare would refuse or that would give Harbor a broken configuration."""


@dataclass(frozen=True)
class ClusterInputs:
    """What prepare would generate and a cluster makes once: the same on every node."""

    ui_secret: str
    jobservice_secret: str
    token_private_key: str
    token_root_cert: str
    # basename of ssl_cert / ssl_cert_key -> content, when ui_url_protocol is https
    ssl_files: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ConfigFile:
    content: str
    mode: int
    secret: bool


def parse_harbor_cfg(text):
    """harbor.cfg as prepare reads it: Python 2's RawConfigParser under a [configuration] header.

    Keys are lower-cased, values stripped, an inline comment only after ' ;', '""' means empty,
    indented lines continue the previous value, and a later key wins over an earlier one.
    """
    sections = {}
    current = None
    option = None
    for number, line in enumerate(("[" + SECTION + "]\n" + text).splitlines(), start=0):
        if not line.strip() or line[0] in "#;":
            continue
        if line.split(None, 1)[0].lower() == "rem" and line[0] in "rR":
            continue
        if line[0].isspace() and current is not None and option:
            value = line.strip()
            if value:
                current[option] = current[option] + "\n" + value
            continue
        header = _SECTION.match(line)
        if header:
            current = sections.setdefault(header.group("header"), {})
            option = None
            continue
        match = _OPTION.match(line)
        if not match:
            raise PrepareError(f"harbor.cfg line {number}: {line.strip()!r} is not `key = value`")
        option = match.group("option").rstrip().lower()
        value = match.group("value")
        semicolon = value.find(";")
        if semicolon > 0 and value[semicolon - 1].isspace():
            value = value[:semicolon]
        value = value.strip()
        current[option] = "" if value == '""' else value
    merged = dict(sections.get("DEFAULT", {}))
    merged.update(sections.get(SECTION, {}))
    return merged


def apply_settings(cfg, settings, secrets):
    """harbor.cfg values overridden by `settings` and `secrets` (given values only).

    An unknown key is an error (a typo), and so is a secret among the plain settings: it would
    be shown in logs and task output.
    """
    unknown = sorted(set(settings) - set(KNOWN_KEYS))
    if unknown:
        raise PrepareError(f"settings: unknown harbor.cfg key(s) {unknown}; known keys: {sorted(KNOWN_KEYS)}")
    exposed = sorted(set(settings) & set(SECRET_KEYS))
    if exposed:
        raise PrepareError(f"settings: {exposed} are secrets: give each as the option of that name (no_log)")
    merged = dict(cfg)
    merged.update({key: str(value) for key, value in settings.items()})
    merged.update({key: value for key, value in secrets.items() if key in SECRET_KEYS and value is not None})
    return merged


def validate(cfg):
    """prepare's checks (validate() and its rcp.get calls), before any file is rendered."""
    missing = [key for key in REQUIRED_KEYS if key not in cfg]
    if missing:
        raise PrepareError(f"harbor.cfg has no {missing}: Harbor 1.1's prepare requires them")
    if cfg["ui_url_protocol"] not in ("http", "https"):
        raise PrepareError(f"ui_url_protocol must be http or https, not {cfg['ui_url_protocol']!r}")
    if cfg["ui_url_protocol"] == "https":
        for key in ("ssl_cert", "ssl_cert_key"):
            if not cfg.get(key):
                raise PrepareError(f"ui_url_protocol is https but {key} is not set")
    if cfg["project_creation_restriction"] not in ("everyone", "adminonly"):
        raise PrepareError(
            "Error invalid value for project_creation_restriction: "
            f"{cfg['project_creation_restriction']} (everyone or adminonly)"
        )
    if "ldap_searchdn" in cfg and "ldap_search_pwd" not in cfg:
        raise PrepareError("harbor.cfg sets ldap_searchdn without ldap_search_pwd: set both or neither")


def template_values(cfg, inputs):
    """The variables prepare computes from harbor.cfg and the cluster's secrets, by the names its
    templates use."""
    for name, value in (("ui_secret", inputs.ui_secret), ("jobservice_secret", inputs.jobservice_secret)):
        if not value:
            raise PrepareError(f"{name} is empty: give the cluster's {name} (the same on every node)")
    return {
        **settings_values(cfg),
        "ui_secret": inputs.ui_secret,
        "jobservice_secret": inputs.jobservice_secret,
    }


def settings_values(cfg):
    """The variables prepare computes from harbor.cfg alone, by the names its templates use."""
    validate(cfg)
    values = {
        "ui_url": cfg["ui_url_protocol"] + "://" + cfg["hostname"],
        "email_host": cfg["email_server"],
        "email_port": cfg["email_server_port"],
        "email_usr": cfg["email_username"],
        "email_pwd": cfg["email_password"],
        "ldap_searchdn": cfg.get("ldap_searchdn", ""),
        "ldap_search_pwd": cfg.get("ldap_search_pwd", "") if "ldap_searchdn" in cfg else "",
        "ldap_filter": cfg.get("ldap_filter", ""),
        "admiral_url": cfg.get("admiral_url", ""),
        # prepare passes its --with-notary flag, a Python bool, which Template renders as False.
        "with_notary": "False",
    }
    for key in REQUIRED_KEYS:
        values.setdefault(key, cfg[key])
    if cfg["ui_url_protocol"] == "https":
        values["ssl_cert"] = posixpath.join(NGINX_CERT_DIR, posixpath.basename(cfg["ssl_cert"]))
        values["ssl_cert_key"] = posixpath.join(NGINX_CERT_DIR, posixpath.basename(cfg["ssl_cert_key"]))
    return values


def render(name, template, values):
    """string.Template(...).substitute(**values), as prepare's render() does."""
    try:
        return Template(template).substitute(values)
    except KeyError as exc:
        raise PrepareError(f"template {name} uses ${exc.args[0]}, which prepare does not give it") from exc
    except ValueError as exc:
        raise PrepareError(f"template {name}: {exc} (write a literal $ as $$)") from exc


def env_assignments(name, template, values):
    """Each line of an env template as (line, key, value): for a KEY=VALUE line, its key and its
    value after prepare's substitution, the whole text after the first "=" (what the container
    must see); for any other line, None and None."""
    entries = []
    for line in template.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            entries.append((line, key.strip(), render(name, value, values)))
        else:
            entries.append((line, None, None))
    return entries


def env_values(name, template, values):
    """The environment a container gets from an env template rendered with `values`."""
    return {key: value for _line, key, value in env_assignments(name, template, values) if key is not None}


def render_env(name, template, values):
    """An env template rendered as prepare does, with each value that is not plain single-quoted
    so that docker compose hands the container exactly that value (prepare writes them bare:
    compose 1.29 would cut a password at " #", Compose v2 would expand its $NAME). Other lines
    are kept."""
    lines = []
    for line, key, value in env_assignments(name, template, values):
        if key is None:
            lines.append(line)
            continue
        try:
            lines.append(f"{key}={compose_value(value)}")
        except EnvFileError as exc:
            raise PrepareError(f"{name}: {key}: {exc}, which docker compose would change") from exc
    return "\n".join(lines) + "\n"


def check_token_key_pair(private_key, root_cert):
    if "-----BEGIN RSA PRIVATE KEY-----" not in private_key:
        pkcs8 = "-----BEGIN PRIVATE KEY-----" in private_key
        kind = "PKCS#8 (BEGIN PRIVATE KEY)" if pkcs8 else "not a PEM RSA key"
        raise PrepareError(
            f"the token private key is {kind}: Harbor 1.1 reads only PKCS#1 (BEGIN RSA PRIVATE KEY). "
            "Convert it with `openssl rsa -traditional` or make it with "
            "community.crypto.openssl_privatekey format=pkcs1"
        )
    if "-----BEGIN CERTIFICATE-----" not in root_cert:
        raise PrepareError("the token root certificate is not a PEM certificate (BEGIN CERTIFICATE)")


def check_secret_key(content):
    """prepare's get_secret_key: the key file holds exactly 16 characters (no newline)."""
    if len(content) != SECRET_KEY_LENGTH:
        raise PrepareError(
            f"the secret key must be exactly {SECRET_KEY_LENGTH} bytes, it has {len(content)} "
            "(a trailing newline counts: write it without one)"
        )


def proxy_https(cfg, proxy_protocol=None):
    """Whether the node's nginx serves https: as ui_url_protocol unless proxy_protocol says.

    Behind a load balancer that terminates TLS, clients use https (ui_url_protocol) while the
    nodes' nginx speaks plain http to the load balancer (proxy_protocol http).
    """
    return (proxy_protocol or cfg["ui_url_protocol"]) == "https"


def config_files(read_template, cfg, inputs, proxy_protocol=None):
    """Every file prepare writes under common/config, keyed by its path relative to it.

    read_template(path relative to common/templates) returns that template's text.
    """
    values = template_values(cfg, inputs)
    check_token_key_pair(inputs.token_private_key, inputs.token_root_cert)
    files = {}
    https = proxy_https(cfg, proxy_protocol)
    nginx = "nginx/nginx.https.conf" if https else "nginx/nginx.http.conf"
    nginx_values = {k: values[k] for k in ("ssl_cert", "ssl_cert_key")} if https else {}
    files["nginx/nginx.conf"] = render(nginx, read_template(nginx), nginx_values)
    for template, dest, names in RENDERED:
        given = {name: values[name] for name in names}
        broken = sorted(name for name, value in given.items() if "\n" in value or "\r" in value)
        if broken:
            raise PrepareError(f"{broken}: a line break in a value breaks {dest} (one KEY=VALUE a line)")
        renderer = render_env if dest.endswith("/env") else render
        files[dest] = renderer(template, read_template(template), given)
    for template, dest in COPIED:
        files[dest] = read_template(template)
    files["ui/private_key.pem"] = inputs.token_private_key
    files["registry/root.crt"] = inputs.token_root_cert
    if https:
        for key in ("ssl_cert", "ssl_cert_key"):
            basename = posixpath.basename(cfg[key])
            if basename not in inputs.ssl_files:
                raise PrepareError(f"https: the content of {key} ({cfg[key]}) was not given")
            files["nginx/cert/" + basename] = inputs.ssl_files[basename]
    secret = set(SECRET_FILES)
    if https:
        secret.add("nginx/cert/" + posixpath.basename(cfg["ssl_cert_key"]))
    return {
        name: ConfigFile(content, SECRET_MODE if name in secret else PUBLIC_MODE, name in secret)
        for name, content in files.items()
    }


def config_directories(cfg, proxy_protocol=None):
    return DIRECTORIES + (("nginx/cert",) if proxy_https(cfg, proxy_protocol) else ())
