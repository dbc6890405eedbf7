"""module_utils/harbor_prepare: what Harbor 1.1's prepare computes and renders, without prepare."""

import re

import pytest

from ansible_collections.harbor_ha.cluster.plugins.module_utils import harbor_prepare as hp

INPUT_SECRETS = {"ui_secret": "ui-secret-16char", "jobservice_secret": "job-secret-16chr"}

# adminserver/env key -> how prepare derives its value from harbor.cfg (make/prepare, v1.1.x).
ADMINSERVER_FROM_CFG = {
    "EXT_ENDPOINT": lambda c: f"{c['ui_url_protocol']}://{c['hostname']}",
    "AUTH_MODE": lambda c: c["auth_mode"],
    "SELF_REGISTRATION": lambda c: c["self_registration"],
    "LDAP_URL": lambda c: c["ldap_url"],
    "LDAP_SEARCH_DN": lambda c: c.get("ldap_searchdn", ""),
    "LDAP_SEARCH_PWD": lambda c: c.get("ldap_search_pwd", "") if "ldap_searchdn" in c else "",
    "LDAP_BASE_DN": lambda c: c["ldap_basedn"],
    "LDAP_FILTER": lambda c: c.get("ldap_filter", ""),
    "LDAP_UID": lambda c: c["ldap_uid"],
    "LDAP_SCOPE": lambda c: c["ldap_scope"],
    "LDAP_TIMEOUT": lambda c: c["ldap_timeout"],
    "MYSQL_PWD": lambda c: c["db_password"],
    "EMAIL_HOST": lambda c: c["email_server"],
    "EMAIL_PORT": lambda c: c["email_server_port"],
    "EMAIL_USR": lambda c: c["email_username"],
    "EMAIL_PWD": lambda c: c["email_password"],
    "EMAIL_SSL": lambda c: c["email_ssl"],
    "EMAIL_FROM": lambda c: c["email_from"],
    "EMAIL_IDENTITY": lambda c: c["email_identity"],
    "HARBOR_ADMIN_PASSWORD": lambda c: c["harbor_admin_password"],
    "PROJECT_CREATION_RESTRICTION": lambda c: c["project_creation_restriction"],
    "VERIFY_REMOTE_CERT": lambda c: c["verify_remote_cert"],
    "MAX_JOB_WORKERS": lambda c: c["max_job_workers"],
    "TOKEN_EXPIRATION": lambda c: c["token_expiration"],
    "ADMIRAL_URL": lambda c: c.get("admiral_url", ""),
    "UI_SECRET": lambda c: INPUT_SECRETS["ui_secret"],
    "JOBSERVICE_SECRET": lambda c: INPUT_SECRETS["jobservice_secret"],
    "WITH_NOTARY": lambda c: "False",
}


def env_of(text: str) -> dict[str, str]:
    """An env file the module wrote: plain values bare, the others single-quoted (\\' a quote)."""
    pairs = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {
        key: value[1:-1].replace("\\'", "'") if value[:1] == "'" else value for key, value in pairs.items()
    }


def inputs(token_pair, **changes) -> hp.ClusterInputs:
    values = {"token_private_key": token_pair[0], "token_root_cert": token_pair[1], **INPUT_SECRETS}
    values.update(changes)
    return hp.ClusterInputs(**values)


def render_tree(tree, cfg, cluster_inputs):
    return hp.config_files(
        lambda name: (tree / "common" / "templates" / name).read_text(), cfg, cluster_inputs
    )


# --------------------------------------------------------------------------- harbor.cfg


def test_parse_follows_python2_configparser():
    cfg = hp.parse_harbor_cfg(
        "# comment\n"
        "; comment too\n"
        "HostName = reg.example.com \n"
        "email_from = admin <admin@example.com>\n"
        "db_password = secret ; trailing comment\n"
        # Python 2 looks at the first ';' only: not after a space, so nothing is cut.
        "email_password = a;b ; not cut\n"
        "ldap_filter = (objectClass=person) # not a comment\n"
        'email_identity = ""\n'
        "empty =\n"
        "colon: value\n"
        "multi = first\n"
        "   second\n"
        "max_job_workers = 3\n"
        "max_job_workers = 5\n"
    )
    assert cfg == {
        "hostname": "reg.example.com",
        "email_from": "admin <admin@example.com>",
        "db_password": "secret",
        "email_password": "a;b ; not cut",
        "ldap_filter": "(objectClass=person) # not a comment",
        "email_identity": "",
        "empty": "",
        "colon": "value",
        "multi": "first\nsecond",
        "max_job_workers": "5",
    }


def test_parse_reads_only_the_configuration_section():
    cfg = hp.parse_harbor_cfg("hostname = a\n[other]\nhostname = b\nauth_mode = x\n")
    assert cfg == {"hostname": "a"}


def test_parse_refuses_a_line_without_a_value():
    with pytest.raises(hp.PrepareError, match="line 2: 'just words' is not `key = value`"):
        hp.parse_harbor_cfg("hostname = a\njust words\n")


def test_every_tree_has_the_keys_prepare_reads(installer_tree):
    cfg = hp.parse_harbor_cfg((installer_tree / "harbor.cfg").read_text())
    hp.validate(cfg)
    assert set(cfg) <= set(hp.KNOWN_KEYS)
    # Commented out in Harbor's file, so prepare renders them empty.
    assert not {"ldap_searchdn", "ldap_search_pwd", "ldap_filter"} & set(cfg)


def base_cfg(tree):
    return hp.parse_harbor_cfg((tree / "harbor.cfg").read_text())


def test_validate_names_what_is_wrong(installer_tree):
    cfg = base_cfg(installer_tree)
    for broken, message in (
        ({"hostname": None}, r"harbor.cfg has no \['hostname'\]"),
        ({"ui_url_protocol": "ftp"}, "ui_url_protocol must be http or https"),
        ({"ui_url_protocol": "https", "ssl_cert": ""}, "https but ssl_cert is not set"),
        ({"project_creation_restriction": "nobody"}, "project_creation_restriction: nobody"),
        ({"ldap_searchdn": "uid=x"}, "ldap_searchdn without ldap_search_pwd"),
    ):
        changed = {k: v for k, v in {**cfg, **broken}.items() if v is not None}
        with pytest.raises(hp.PrepareError, match=message):
            hp.validate(changed)


def test_settings_override_and_refuse_typos_and_exposed_secrets():
    cfg = {"hostname": "a", "db_password": "old"}
    merged = hp.apply_settings(
        cfg, {"hostname": "b", "max_job_workers": 5}, {"db_password": "new", "email_password": None}
    )
    assert merged == {"hostname": "b", "db_password": "new", "max_job_workers": "5"}
    with pytest.raises(hp.PrepareError, match=r"unknown harbor.cfg key\(s\) \['hostnme'\]"):
        hp.apply_settings(cfg, {"hostnme": "b"}, {})
    with pytest.raises(hp.PrepareError, match=r"\['db_password'\] are secrets"):
        hp.apply_settings(cfg, {"db_password": "x"}, {})


# --------------------------------------------------------------------------- values and rendering


def test_values_are_those_prepare_computes(installer_tree, token_pair):
    cfg = {
        **base_cfg(installer_tree),
        "hostname": "10.0.0.1:8060",
        "ldap_searchdn": "uid=s",
        "ldap_search_pwd": "p",
    }
    values = hp.template_values(cfg, inputs(token_pair))
    assert values["ui_url"] == "http://10.0.0.1:8060"
    assert values["ldap_searchdn"] == "uid=s"
    assert values["ldap_search_pwd"] == "p"
    assert values["email_usr"] == cfg["email_username"]
    assert values["with_notary"] == "False"


def test_render_is_string_template_substitute():
    assert hp.render("t", "A=$a\nB=${a}x\nC=$$literal\n", {"a": "1"}) == "A=1\nB=1x\nC=$literal\n"
    with pytest.raises(hp.PrepareError, match=r"template t uses \$b, which prepare does not give it"):
        hp.render("t", "$a $b", {"a": "1"})
    with pytest.raises(hp.PrepareError, match=r"write a literal \$ as \$\$"):
        hp.render("t", "cost: $5", {})


def test_config_files_render_every_file_prepare_writes(installer_tree, token_pair):
    cfg = base_cfg(installer_tree)
    files = render_tree(installer_tree, cfg, inputs(token_pair))
    assert set(files) == {
        "adminserver/env",
        "db/env",
        "jobservice/app.conf",
        "jobservice/env",
        "nginx/nginx.conf",
        "registry/config.yml",
        "registry/root.crt",
        "ui/app.conf",
        "ui/env",
        "ui/private_key.pem",
    }
    templates = installer_tree / "common" / "templates"
    adminserver = env_of(files["adminserver/env"].content)
    assert {k: adminserver[k] for k in ADMINSERVER_FROM_CFG} == {
        k: f(cfg) for k, f in ADMINSERVER_FROM_CFG.items()
    }
    assert adminserver["RESET"] == "false"
    assert env_of(files["db/env"].content) == {"MYSQL_ROOT_PASSWORD": cfg["db_password"]}
    for service in ("ui", "jobservice"):
        env = env_of(files[f"{service}/env"].content)
        assert env["UI_SECRET"] == INPUT_SECRETS["ui_secret"]
        assert env["JOBSERVICE_SECRET"] == INPUT_SECRETS["jobservice_secret"]
        assert files[f"{service}/app.conf"].content == (templates / service / "app.conf").read_text()
    registry = files["registry/config.yml"].content
    assert f"realm: http://{cfg['hostname']}/service/token" in registry
    # No template variable is left, and nginx's own $variables come out of $$.
    nginx_template = (templates / "nginx" / "nginx.http.conf").read_text()
    assert files["nginx/nginx.conf"].content == nginx_template.replace("$$", "$")
    for name, config in files.items():
        assert not re.search(r"\$(ui_url|db_password|ui_secret|jobservice_secret|\{)", config.content), name
    assert files["ui/private_key.pem"].content == token_pair[0]
    assert files["registry/root.crt"].content == token_pair[1]


def test_files_holding_secrets_are_0600(installer_tree, token_pair):
    files = render_tree(installer_tree, base_cfg(installer_tree), inputs(token_pair))
    secret = {name for name, f in files.items() if f.mode == 0o600}
    assert secret == {"adminserver/env", "db/env", "jobservice/env", "ui/env", "ui/private_key.pem"}
    assert all(f.mode == 0o644 for name, f in files.items() if name not in secret)
    assert all(files[name].secret for name in secret)


def test_https_copies_the_certificate_and_points_nginx_at_it(installer_tree, token_pair):
    cfg = {**base_cfg(installer_tree), "ui_url_protocol": "https"}
    cfg.update(ssl_cert="/data/cert/site.crt", ssl_cert_key="/data/cert/site.key")
    files = render_tree(
        installer_tree, cfg, inputs(token_pair, ssl_files={"site.crt": "CRT", "site.key": "KEY"})
    )
    nginx = files["nginx/nginx.conf"].content
    assert "ssl_certificate /etc/nginx/cert/site.crt;" in nginx
    assert "ssl_certificate_key /etc/nginx/cert/site.key;" in nginx
    assert files["nginx/cert/site.crt"].content == "CRT"
    assert files["nginx/cert/site.key"].mode == 0o600
    assert files["nginx/cert/site.crt"].mode == 0o644
    assert env_of(files["adminserver/env"].content)["EXT_ENDPOINT"] == f"https://{cfg['hostname']}"
    assert "nginx/cert" in hp.config_directories(cfg)
    with pytest.raises(hp.PrepareError, match=r"content of ssl_cert \(/data/cert/site.crt\) was not given"):
        render_tree(installer_tree, cfg, inputs(token_pair))


def test_tls_terminated_at_the_load_balancer_keeps_the_node_on_http(installer_tree, token_pair):
    cfg = {**base_cfg(installer_tree), "ui_url_protocol": "https"}
    files = hp.config_files(
        lambda name: (installer_tree / "common" / "templates" / name).read_text(),
        cfg,
        inputs(token_pair),
        proxy_protocol="http",
    )
    assert "ssl_certificate" not in files["nginx/nginx.conf"].content
    assert "listen 80;" in files["nginx/nginx.conf"].content
    assert not any(name.startswith("nginx/cert/") for name in files)
    assert env_of(files["adminserver/env"].content)["EXT_ENDPOINT"] == f"https://{cfg['hostname']}"
    assert "nginx/cert" not in hp.config_directories(cfg, "http")


# --------------------------------------------------------------------------- refused inputs


def test_pkcs8_token_key_is_refused_with_the_fix(installer_tree, token_pair, pkcs8_key):
    with pytest.raises(hp.PrepareError, match=r"PKCS#8 .* `openssl rsa -traditional`"):
        render_tree(installer_tree, base_cfg(installer_tree), inputs(token_pair, token_private_key=pkcs8_key))
    with pytest.raises(hp.PrepareError, match="not a PEM certificate"):
        render_tree(installer_tree, base_cfg(installer_tree), inputs(token_pair, token_root_cert="junk"))


def test_empty_cluster_secret_is_refused(installer_tree, token_pair):
    with pytest.raises(hp.PrepareError, match="jobservice_secret is empty"):
        render_tree(installer_tree, base_cfg(installer_tree), inputs(token_pair, jobservice_secret=""))


def test_line_break_in_a_value_is_refused(installer_tree, token_pair):
    cfg = {**base_cfg(installer_tree), "db_password": "abc\nRESET=true"}
    with pytest.raises(hp.PrepareError, match=r"\['db_password'\]: a line break"):
        render_tree(installer_tree, cfg, inputs(token_pair))


@pytest.mark.parametrize(
    ("key", "ok"), [(b"0123456789abcdef", True), (b"0123456789abcdef\n", False), (b"short", False)]
)
def test_secret_key_must_be_16_bytes(key, ok):
    if ok:
        hp.check_secret_key(key)
    else:
        with pytest.raises(hp.PrepareError, match=f"exactly 16 bytes, it has {len(key)}"):
            hp.check_secret_key(key)


def test_env_files_carry_any_value_compose_can_pass(installer_tree, token_pair):
    cfg = base_cfg(installer_tree)
    cfg["db_password"] = 'it\'s #1 "quoted" $HOME'
    files = render_tree(installer_tree, cfg, inputs(token_pair))
    line = "MYSQL_PWD='it\\'s #1 \"quoted\" $HOME'"
    assert line in files["adminserver/env"].content.splitlines()
    assert env_of(files["db/env"].content) == {"MYSQL_ROOT_PASSWORD": cfg["db_password"]}


def test_a_value_compose_would_change_is_refused_naming_file_and_key(installer_tree, token_pair):
    cfg = base_cfg(installer_tree)
    cfg["email_password"] = "back\\slash"
    with pytest.raises(hp.PrepareError, match=r"adminserver/env: EMAIL_PWD: the value contains a backslash"):
        render_tree(installer_tree, cfg, inputs(token_pair))


def test_env_values_are_what_the_container_gets():
    template = "A=$a\n# a comment\nB=literal $$x\nA=$b\n"
    assert hp.env_values("t", template, {"a": "1", "b": "2"}) == {"A": "2", "B": "literal $x"}
    assert hp.render_env("t", template, {"a": "1", "b": "2"}) == "A=1\n# a comment\nB='literal $x'\nA=2\n"
