"""``%%mlssl apply`` takes ``acme:``: checked line by line like the rest, then ordered and
installed through the same workflow as ``enable --acme``."""

from __future__ import annotations

import pytest

from jupyter_mlssl.change.settings_yaml import parse
from jupyter_mlssl.errors import InputError
from tests.localtarget import local_target  # noqa: F401 (the fixture)


def test_parse_acme_mapping():
    options = parse("cname: api.local.mlssl.test\nacme:\n  dns: local://iris\n"
                    "  san: [b.local.mlssl.test, c.local.mlssl.test]\n"
                    "  eab_kid: k\n  eab_hmac_env: EAB_HMAC\n")
    assert options.status == "enabled"
    assert options.acme == {"dns": "local://iris", "eab_kid": "k", "eab_hmac_env": "EAB_HMAC",
                            "san": ["b.local.mlssl.test", "c.local.mlssl.test"]}


@pytest.mark.parametrize(("body", "line", "words"), [
    ("cname: a.test\nacme:\n  dns: manual\n  dirctory: x\n", 4, "acme: unknown key 'dirctory'"),
    ("cname: a.test\nacme:\n  directory: letsencrypt\n", 3, "say where the TXT records go"),
    ("cname: a.test\ncert: c.pem\nacme:\n  dns: manual\n", 2, "acme orders the certificate"),
    ("acme:\n  dns: manual\n", 1, "needs cname"),
    ("cname: a.test\nacme: yes\n", 2, "acme: expected a mapping"),
    ("cname: a.test\nacme:\n  dns: manual\n  eab_hmac_env: 'abc+/='\n", 4, "the NAME of"),
    ("status: disabled\nacme:\n  dns: manual\n", 2, "not used with 'status: disabled'"),
])
def test_acme_errors_name_the_line(body, line, words):
    with pytest.raises(InputError) as caught:
        parse(body)
    assert f"line {line}" in str(caught.value) and words in str(caught.value), caught.value
    assert "abc+/=" not in str(caught.value)


def test_apply_acme_on_the_local_target(ip, local_target, pebble, monkeypatch,  # noqa: F811
                                        tmp_path):
    from jupyter_mlssl.store import history

    monkeypatch.setenv("PEBBLE_EAB", pebble.eab_hmac)
    roots = tmp_path / "roots.pem"
    roots.write_text(pebble.roots_pem())
    result = ip.run_cell(
        f"%%mlssl apply local://iris --ca-bundle {roots} --yes\n"
        "cname: api.local.mlssl.test\n"
        "acme:\n"
        "  dns: local://iris\n"
        f"  directory: {pebble.directory}\n"
        f"  ca_bundle: {pebble.ca_bundle}\n"
        f"  eab_kid: {pebble.eab_kid}\n"
        "  eab_hmac_env: PEBBLE_EAB\n")
    assert result.error_in_exec is None, result.error_in_exec
    assert result.result.exit_status == 0
    rows = history.entries(target="local://iris").entries
    assert [r["action"] for r in rows][:2] == ["enable", "acme order (enable)"]
    assert local_target.status().ssl.tls_on
