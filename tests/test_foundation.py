"""The foundation: parser contract, CLI exit statuses, secrets stay secret."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jupyter_mlssl.cli import main
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.parser import build_parser
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.targets.base import Plan, SslSettings

# Built at run time so no tracked file holds a PEM private-key header.
KEY = (
    "-----BEGIN " + "PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8w\n"
    "-----END " + "PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["cert", "inspect", "c.pem", "--key", "k.pem", "--cname", "a.b", "--password-env", "P",
         "--ca-bundle", "ca.pem", "--json"],
        ["cert", "convert", "in.pfx", "--out-cert", "c.pem", "--out-key", "k.pem"],
        ["cert", "selfsigned", "--cname", "a.b", "--out-cert", "c", "--out-key", "k",
         "--days", "5"],
        ["cert", "csr", "--cname", "a.b", "--san", "c.d", "--out-csr", "r", "--out-key", "k"],
        ["dns", "a.b", "--expect", "1.2.3.4", "--nameserver", "127.0.0.1:53", "--json"],
        ["probe", "https://a", "https://b", "--resolve", "a:443:127.0.0.1", "--timeout", "2",
         "--concurrency", "4", "--json"],
        ["status", "local://x", "--json"],
        ["enable", "local://x", "--leaf-domain-label", "l", "--overwrite-existing-domain",
         "--dry-run", "--yes", "--json"],
        ["update", "local://x", "--cert", "c", "--key", "k", "--cname", "a.b", "--renew"],
        ["disable", "local://x", "--dry-run", "--yes", "--json"],
        ["history", "local://x", "--json"],
        ["local", "deploy", "iris", "--model", "m.pkl", "--entry-script", "score.py"],
        ["local", "stop", "iris"],
        ["local", "list"],
    ],
)
def test_contract_verbs_parse(argv):
    args = build_parser().parse_args(argv)
    assert ":" in args.handler


def test_bad_usage_is_input_error_not_exit():
    with pytest.raises(InputError, match="required"):
        build_parser().parse_args(["cert", "inspect"])


def test_cli_bad_usage_exits_2_with_one_line(capsys):
    assert main(["cert", "inspect"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "CERT" in err


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "jupyter_mlssl", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("jupyter-mlssl ")


def test_secret_never_printed():
    s = Secret(KEY)
    settings = SslSettings(status="Enabled", cname="a.b", key=s)
    plan = Plan(target="local://x", action="enable", current=SslSettings(), desired=settings)
    for text in (repr(s), str(s), repr(settings), json.dumps(settings.to_dict()),
                 json.dumps(plan.to_dict()), repr(plan), plan._repr_html_()):
        assert "PRIVATE KEY" not in text
    assert s.reveal_text() == KEY


def test_api_functions_survive_their_subpackages_being_imported():
    # The import system binds a loaded submodule onto its parent package; a subpackage
    # named like an API function (probe, panel) would silently replace that function.
    import jupyter_mlssl
    import jupyter_mlssl.probing
    import jupyter_mlssl.widgets

    for name in ("probe", "probe_many", "panel", "inspect_certificate", "check_dns", "connect"):
        assert callable(getattr(jupyter_mlssl, name)), name
        assert not isinstance(getattr(jupyter_mlssl, name), type(jupyter_mlssl)), name
    assert callable(jupyter_mlssl.local.deploy)
