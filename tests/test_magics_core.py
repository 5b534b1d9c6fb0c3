"""%mlssl / %%mlssl on a real InteractiveShell: loading, %config, usage, errors, masking."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from IPython.core.error import UsageError
from traitlets.config import Config

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.magics import MlsslMagic
from jupyter_mlssl.secrets import Scrubber
from tests.ipshell import magic, shell

# Built at run time so no tracked file holds a PEM private-key header.
KEY = ("-----BEGIN " + "EC PRIVATE KEY-----\nMHcCAQEEIBnotarealkey\n"
       "-----END " + "EC PRIVATE KEY-----")


def test_load_registers_line_and_cell_magic(ip):
    assert "mlssl" in ip.magics_manager.magics["line"]
    assert "mlssl" in ip.magics_manager.magics["cell"]
    assert isinstance(magic(ip), MlsslMagic)
    assert magic(ip) in ip.configurables


def test_unload_removes_magics(ip):
    ip.extension_manager.unload_extension("jupyter_mlssl")
    assert "mlssl" not in ip.magics_manager.magics["line"]
    assert "mlssl" not in ip.magics_manager.magics["cell"]
    assert not any(isinstance(c, MlsslMagic) for c in ip.configurables)


def test_question_mark_shows_the_parsers_usage(ip, capsys):
    ip.run_cell("%mlssl?")
    out = capsys.readouterr().out
    for verb in ("cert inspect", "probe", "enable", "disable", "history", "local deploy",
                 "panel", "%%mlssl apply"):
        assert verb in out
    assert "usage: %mlssl" in out


def test_verb_help_prints_and_returns_none(ip, capsys):
    result = ip.run_cell("%mlssl probe --help")
    assert result.success and result.result is None
    assert "usage: %mlssl probe" in capsys.readouterr().out


def test_config_round_trip(ip, capsys):
    ip.run_cell("%config MlsslMagic.timeout = 2.5")
    ip.run_cell("%config MlsslMagic.short_errors = False")
    ip.run_cell("%config MlsslMagic.default_target = 'local://iris'")
    m = magic(ip)
    assert (m.timeout, m.short_errors, m.default_target) == (2.5, False, "local://iris")
    ip.run_cell("%config MlsslMagic")
    listing = capsys.readouterr().out
    assert "MlsslMagic.timeout" in listing and "Current: 2.5" in listing
    assert m.defaults()["target"] == "local://iris"


def test_credential_kinds_validated_and_match_azure_module(ip, caplog):
    ip.run_cell("%config MlsslMagic.credential = 'device_code'")
    assert magic(ip).credential == "device-code"
    ip.run_cell("%config MlsslMagic.credential = 'browser'")
    assert magic(ip).credential == "device-code"  # refused, unchanged
    assert "credential must be one of" in caplog.text  # %config logs the refusal
    from jupyter_mlssl.magics import CREDENTIAL_KINDS
    from jupyter_mlssl.targets.azure.credentials import KINDS

    assert set(CREDENTIAL_KINDS) == set(KINDS)


def test_config_from_shell_config_before_load():
    config = Config()
    config.MlsslMagic.ca_bundle = "/etc/ssl/corp.pem"
    config.MlsslMagic.short_errors = False
    with shell(config) as ip:
        assert magic(ip).ca_bundle == "/etc/ssl/corp.pem"
        assert magic(ip).short_errors is False


def test_usage_error_is_one_line_without_traceback(ip, capfd):
    result = ip.run_cell("%mlssl cert inspect")
    assert result.success is False
    assert type(result.error_in_exec) is UsageError  # not a subclass: no traceback
    captured = capfd.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("UsageError: %mlssl cert inspect:") and "CERT" in lines[0]


def test_unknown_verb_and_empty_line_fail_the_cell(ip):
    for line in ("%mlssl frobnicate", "%mlssl", "%mlssl probe 'unclosed"):
        result = ip.run_cell(line)
        assert type(result.error_in_exec) is UsageError, line


def test_short_errors_off_raises_the_original_with_traceback(ip, capfd):
    ip.run_cell("%config MlsslMagic.short_errors = False")
    result = ip.run_cell("%mlssl cert inspect")
    assert isinstance(result.error_in_exec, InputError)
    assert "Traceback" in "".join(capfd.readouterr())


def test_cell_body_only_for_apply(ip):
    with pytest.raises(UsageError, match="only 'apply' takes a cell body"):
        ip.run_cell_magic("mlssl", "probe https://example.test/", "status: enabled\n")


def test_password_env_value_never_echoed(ip, capfd, monkeypatch):
    monkeypatch.setenv("MLSSL_TEST_PW", "s3cr3t-Pa55")
    # A verb that has no --password-env: argparse echoes the unrecognised tokens.
    result = ip.run_cell("%mlssl probe https://x.test/ --password-env MLSSL_TEST_PW")
    assert type(result.error_in_exec) is UsageError
    text = "".join(capfd.readouterr()) + str(result.error_in_exec)
    assert "MLSSL_TEST_PW" not in text and "s3cr3t-Pa55" not in text
    assert "********" in text


def test_scrubber_masks_pem_keys_and_secrets():
    scrub = Scrubber.for_tokens(["cert", "inspect", "--password-env", "PW"], {"PW": "hunter2"})
    text = scrub(f"bad key {KEY} with hunter2 from PW")
    assert "hunter2" not in text and "PRIVATE KEY" not in text and "PW" not in text
    assert Scrubber.for_tokens(["--password-env=PW"], {"PW": "x9"})("x9 PW") == "******** ********"
    short = Scrubber.for_tokens(["--password-env", "P"], {"P": "x"})
    assert short("Please set P; export P=x") == "Please set ********; export ********=********"
    from_cell = Scrubber.for_tokens(["apply", "local://x"], {"KP": "open-sesame"},
                                    "status: enabled\npassword_env: 'KP'\n")
    assert from_cell("bad password open-sesame") == "bad password ********"


def test_default_target_fills_in_only_when_missing(ip):
    m = magic(ip)
    m.default_target = "local://iris"
    assert m._with_default_target(["status"]) == ["status", "local://iris"]
    assert m._with_default_target(["disable", "--yes"]) == ["disable", "local://iris", "--yes"]
    assert m._with_default_target(["status", "local://other"]) == ["status", "local://other"]
    assert m._with_default_target(["probe", "https://a/"]) == ["probe", "https://a/"]
    assert m._with_default_target(["status", "--help"]) == ["status", "--help"]


def test_config_defaults_fill_namespace(ip):
    m = magic(ip)
    m.ca_bundle, m.timeout = "/tmp/ca.pem", 1.5
    args = m.parser.parse_args(["probe", "https://a/"])
    m._apply_defaults(args, ["probe", "https://a/"])
    assert (args.ca_bundle, args.timeout) == ("/tmp/ca.pem", 1.5)
    tokens = ["probe", "https://a/", "--ca-bundle", "mine.pem", "--timeout", "9"]
    args = m.parser.parse_args(tokens)
    m._apply_defaults(args, tokens)
    assert (args.ca_bundle, args.timeout) == ("mine.pem", 9.0)


def test_line_expands_python_values_and_keeps_escaped_ones(ip):
    # more in tests/test_magics_expand.py; here: the two escapes reach the parser literally
    ip.user_ns["name"] = "expanded"
    result = ip.run_cell("%mlssl dns x.test --timeout {name}")
    assert "invalid float value: 'expanded'" in str(result.error_in_exec)
    result = ip.run_cell("%mlssl dns x.test --timeout {{name}}")
    assert "invalid float value: '{name}'" in str(result.error_in_exec)
    result = ip.run_cell("%mlssl dns x.test --timeout $$name")
    assert "invalid float value: '$name'" in str(result.error_in_exec)


def test_load_ext_imports_nothing_heavy():
    code = (
        "import sys, json\n"
        "from traitlets.config import Config\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "c = Config(); c.HistoryAccessor.enabled = False\n"
        "ip = InteractiveShell.instance(config=c)\n"
        "before = set(sys.modules)\n"
        "ip.run_line_magic('load_ext', 'jupyter_mlssl')\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    new = set(json.loads(out.stdout.strip().splitlines()[-1]))
    heavy = {"pandas", "numpy", "azure", "cryptography", "dns", "ipywidgets", "yaml"}
    assert not new & heavy, new & heavy
