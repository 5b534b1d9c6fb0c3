"""``%mlssl`` expands Python values in its line the IPython way, on a real shell.

``{expr}`` and ``$name`` expand (globals and a function's locals); ``$$`` and ``{{ }}`` keep
a literal ``$`` or braces; a ``%%mlssl`` body is never expanded; secrets that reach the line
through a variable are still masked in every echo.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from IPython.core.error import UsageError

from tests.ipshell import magic
from tests.tlsservers import TLSServer


@pytest.fixture
def served(pki, tmp_path):
    root = pki.root()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root.pem)
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    with TLSServer([leaf, inter]) as server:
        yield server, str(ca)


def test_probe_expands_attribute_access_and_dollar_names(ip, served):
    server, ca = served
    ip.user_ns["endpoint"] = SimpleNamespace(url=server.url("api.example.test"),
                                             resolve=server.resolve("api.example.test"))
    ip.user_ns["ca"] = ca
    result = ip.run_cell("r = %mlssl probe {endpoint.url} --resolve {endpoint.resolve} "
                         "--ca-bundle $ca --timeout 3")
    assert result.success, result.error_in_exec
    report = ip.user_ns["r"]
    assert report.exit_status == 0, report.summary()
    assert report.results[0].url.startswith("https://api.example.test:")


def test_a_function_s_locals_expand(ip, served):
    server, ca = served
    ip.user_ns.update(url=server.url("api.example.test"), pin=server.resolve("api.example.test"))
    ip.run_cell(
        "def check(bundle):\n"
        "    timeout = 3\n"
        "    report = %mlssl probe {url} --resolve {pin} --ca-bundle {bundle} --timeout {timeout}\n"
        "    return report\n"
        f"r = check({ca!r})\n"
    )
    assert ip.user_ns["r"].exit_status == 0, ip.user_ns["r"].summary()


def test_unknown_name_is_left_as_typed_and_the_parser_says_so(ip):
    result = ip.run_cell("%mlssl dns x.test --timeout {nowhere.timeout}")
    assert type(result.error_in_exec) is UsageError
    assert "'{nowhere.timeout}'" in str(result.error_in_exec)


def test_cell_body_is_not_expanded(ip, tmp_path):
    ip.user_ns["status"] = "Enabled"
    result = ip.run_cell("%%mlssl apply local://nowhere --dry-run\nstatus: {status}\n")
    assert type(result.error_in_exec) is UsageError
    # YAML read the braces as a mapping: had the body expanded, "Enabled" would be valid
    assert "status: expected one of enabled, disabled, auto, got a mapping" in str(
        result.error_in_exec)


def test_a_password_expanded_into_the_line_is_still_masked(ip, pki, tmp_path, capfd,
                                                          monkeypatch):
    leaf = pki.leaf(pki.root(), ["api.example.test"])
    cert = leaf.write_chain(tmp_path / "chain.pem")
    key = leaf.write_key(tmp_path / "enc.pem", password=b"pa55-word!")
    # the mistake people make: the password itself where the variable's name belongs
    ip.user_ns["secret"] = "s3cret-Pa55word"
    monkeypatch.delenv("s3cret-Pa55word", raising=False)
    result = ip.run_cell(f"%mlssl cert inspect {cert} --key {key} --password-env {{secret}}")
    assert type(result.error_in_exec) is UsageError
    text = "".join(capfd.readouterr()) + str(result.error_in_exec)
    assert "s3cret-Pa55word" not in text
    # the expanded token was seen, and refused without being echoed
    assert "--password-env takes the NAME of an environment variable" in text
    assert magic(ip).last_report is None or "s3cret-Pa55word" not in repr(
        magic(ip).last_report)
