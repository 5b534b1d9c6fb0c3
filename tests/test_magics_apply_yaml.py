"""%%mlssl apply: the YAML body is schema-checked first, and every error names its line."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from jupyter_mlssl.change.settings_yaml import parse
from jupyter_mlssl.errors import InputError

KEY_HEADER = "-----BEGIN " + "PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("status: enabeld\n", 2, "did you mean 'enabled'"),
        ("cname: api.example.test\nsttaus: auto\n", 3, "unknown key 'sttaus'"),
        ("leaf_domain_label: iris\nrenew: maybe\n", 3, "renew: expected true or false"),
        ("cname: a.example.test\ncname: b.example.test\n", 3, "given twice"),
        ("status: disabled\n\ncert: c.pem\n", 4, "not used with 'status: disabled'"),
        ("cname: x\n  nested: [\n", 3, "not valid YAML"),
        ("- status: enabled\n", 2, "mapping"),
        ("status: enabled\ncname: a.example.test\n", 2, "missing: cert, key"),
        ("leaf_domain_label: iris\ncert: c.pem\n", 3, "exclude each other"),
        (f"key: |\n  {KEY_HEADER}\n  abc\n", 2, "give a file path"),
    ],
)
def test_bad_yaml_fails_the_cell_naming_the_line(ip, body, line, words, capfd):
    result = ip.run_cell(f"%%mlssl apply local://iris\n{body}")
    assert type(result.error_in_exec) is UsageError
    message = str(result.error_in_exec)
    assert f"%%mlssl cell, line {line}:" in message, message
    assert words in message
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "PRIVATE KEY" not in captured.out + captured.err + message


def test_empty_body_and_both_sources(ip, tmp_path):
    result = ip.run_cell("%%mlssl apply local://iris\n\n")
    assert "no settings" in str(result.error_in_exec)
    settings = tmp_path / "tls.yaml"
    settings.write_text("status: disabled\n")
    with pytest.raises(UsageError, match="not both"):
        ip.run_cell_magic("mlssl", f"apply local://iris --file {settings}", "status: disabled\n")


def test_file_errors_name_the_file_and_line(ip, tmp_path):
    settings = tmp_path / "tls.yaml"
    settings.write_text("# TLS for iris\nstatus: on\n")
    result = ip.run_cell(f"%mlssl apply local://iris --file {settings}")
    assert type(result.error_in_exec) is UsageError
    assert f"{settings}, line 2: status" in str(result.error_in_exec)


def test_missing_cert_file_is_reported_at_its_line(ip, tmp_path):
    result = ip.run_cell(
        "%%mlssl apply local://iris\nstatus: enabled\ncname: api.example.test\n"
        f"cert: {tmp_path}/missing.pem\nkey: {tmp_path}/missing.key\n")
    assert "%%mlssl cell, line 4: cert:" in str(result.error_in_exec)


def test_password_env_missing_never_echoes(ip, tmp_path, monkeypatch):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    monkeypatch.delenv("NOT_SET_PW", raising=False)
    result = ip.run_cell(
        "%%mlssl apply local://iris\nstatus: enabled\ncname: api.example.test\n"
        f"cert: {cert}\nkey: {key}\npassword_env: NOT_SET_PW\n")
    assert type(result.error_in_exec) is UsageError
    assert "no such environment variable" in str(result.error_in_exec)


def test_parse_good_yaml_relative_paths_and_status_inference(tmp_path):
    options = parse("cname: api.example.test\ncert: c.pem\nkey: k.pem\n", source="f.yaml",
                    base_dir=tmp_path)
    assert options.status == "enabled" and options.cert == str(tmp_path / "c.pem")
    assert options.lines == {"cname": 1, "cert": 2, "key": 3}
    auto = parse("status: enabled\nleaf_domain_label: iris\noverwrite_existing_domain: true\n")
    assert auto.status == "auto" and auto.overwrite_existing_domain is True
    assert parse("status: Disabled\n").disable


def test_password_typed_instead_of_a_variable_name_is_not_echoed():
    with pytest.raises(InputError) as excinfo:
        parse("password_env: 'hunter2 !'\n")
    assert "hunter2" not in str(excinfo.value) and "line 1" in str(excinfo.value)


def test_shared_validation_errors_speak_yaml_with_the_line(ip, local_target):
    result = ip.run_cell("%%mlssl apply local://iris\n"
                         "status: auto\n"
                         "leaf_domain_label: Not_A_Label!\n")
    message = str(result.error_in_exec)
    assert type(result.error_in_exec) is UsageError
    assert message.startswith("%%mlssl cell, line 3: leaf_domain_label 'Not_A_Label!'"), message
    assert "--" not in message


def test_a_pfx_cert_needs_no_key_line_and_long_values_are_cut_short(tmp_path):
    options = parse("status: enabled\ncname: api.example.test\ncert: bundle.pfx\n",
                    source="f.yaml", base_dir=tmp_path)
    assert (options.cert, options.key) == (str(tmp_path / "bundle.pfx"), None)
    with pytest.raises(InputError, match="missing: key"):
        parse("status: enabled\ncname: api.example.test\ncert: chain.pem\n", source="f.yaml")


def test_a_long_bad_cname_is_quoted_short(ip, local_target, tmp_path):
    bundle = tmp_path / "c.pfx"
    bundle.write_bytes(b"not read: the name is checked first")
    result = ip.run_cell("%%mlssl apply local://iris\nstatus: enabled\ncname: " + "x_" * 2000
                         + f"\ncert: {bundle}\n")
    message = str(result.error_in_exec)
    assert type(result.error_in_exec) is UsageError
    assert "line 3: cname 'x_x_x_" in message and "not a DNS name" in message, message
    assert len(message) < 300, message
