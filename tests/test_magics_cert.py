"""The cert verbs through %mlssl: reports returned, failures fail the cell after the tables."""

from __future__ import annotations

import os

import pytest
from IPython.core.error import UsageError

from tests.ipshell import magic


@pytest.fixture
def chain(pki, tmp_path):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    return {
        "ca": _write(tmp_path / "ca.pem", root.pem),
        "cert": leaf.write_chain(tmp_path / "chain.pem", [inter]),
        "key": leaf.write_key(tmp_path / "key.pem"),
        "enc_key": leaf.write_key(tmp_path / "enc-key.pem", password=b"pa55-word!"),
        "leaf": leaf,
    }


def _write(path, data):
    path.write_bytes(data)
    return path


def test_inspect_good_certificate_returns_the_report(ip, chain):
    ip.run_cell(f"r = %mlssl cert inspect {chain['cert']} --key {chain['key']} "
                f"--cname api.example.test --ca-bundle {chain['ca']}")
    report = ip.user_ns["r"]
    assert report.exit_status == 0, report.summary()
    assert "api.example.test" in report._repr_html_()
    assert magic(ip).last_report is report


def test_inspect_uses_configured_ca_bundle(ip, chain):
    ip.run_cell(f"%config MlsslMagic.ca_bundle = '{chain['ca']}'")
    result = ip.run_cell(f"%mlssl cert inspect {chain['cert']} --cname api.example.test")
    assert result.success, result.error_in_exec
    assert result.result.exit_status == 0


def test_hostname_mismatch_shows_tables_then_fails_with_one_line(ip, chain, capfd):
    result = ip.run_cell(f"%mlssl cert inspect {chain['cert']} --cname other.example.test "
                         f"--ca-bundle {chain['ca']}")
    assert type(result.error_in_exec) is UsageError
    assert "hostname_mismatch" in str(result.error_in_exec)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "Findings" in captured.out  # the report's tables were displayed first
    err_lines = [x for x in captured.err.splitlines() if x.strip()]
    assert len(err_lines) == 1 and err_lines[0].startswith("UsageError: hostname_mismatch")
    # The report is still reachable after the failed cell.
    assert "hostname_mismatch" in [f.code for f in magic(ip).last_report.findings]


def test_encrypted_key_with_password_env_never_echoes_the_password(ip, chain, capfd,
                                                                    monkeypatch):
    monkeypatch.setenv("MLSSL_KEY_PW", "pa55-word!")
    result = ip.run_cell(f"%mlssl cert inspect {chain['cert']} --key {chain['enc_key']} "
                         f"--password-env MLSSL_KEY_PW --ca-bundle {chain['ca']} "
                         "--cname api.example.test")
    assert result.success, result.error_in_exec
    monkeypatch.setenv("MLSSL_KEY_PW", "wrong-pa55")
    result = ip.run_cell(f"%mlssl cert inspect {chain['cert']} --key {chain['enc_key']} "
                         f"--password-env MLSSL_KEY_PW --ca-bundle {chain['ca']}")
    assert type(result.error_in_exec) is UsageError
    text = "".join(capfd.readouterr()) + str(result.error_in_exec)
    assert "key_password_wrong" in text
    for secret in ("pa55-word!", "wrong-pa55", "PRIVATE KEY"):
        assert secret not in text


def test_json_returns_a_dict(ip, chain):
    result = ip.run_cell(f"%mlssl cert inspect {chain['cert']} --ca-bundle {chain['ca']} "
                         "--json")
    assert isinstance(result.result, dict) and result.result["exit_status"] == 0


def test_selfsigned_and_csr_write_files(ip, tmp_path):
    cert, key = tmp_path / "s.pem", tmp_path / "s.key"
    result = ip.run_cell(f"%mlssl cert selfsigned --cname dev.example.test --out-cert {cert} "
                         f"--out-key {key}")
    assert result.success, result.error_in_exec
    assert cert.exists() and oct(os.stat(key).st_mode & 0o777) == "0o600"
    assert "PRIVATE KEY" not in repr(result.result) + result.result._repr_html_()
    csr, csr_key = tmp_path / "r.csr", tmp_path / "r.key"
    result = ip.run_cell(f"%mlssl cert csr --cname api.example.test --san www.example.test "
                         f"--out-csr {csr} --out-key {csr_key}")
    assert result.success, result.error_in_exec
    assert b"CERTIFICATE REQUEST" in csr.read_bytes()


def test_convert_through_the_magic(ip, chain, tmp_path):
    out_cert, out_key = tmp_path / "out.pem", tmp_path / "out.key"
    result = ip.run_cell(f"%mlssl cert convert {chain['cert']} --key {chain['key']} "
                         f"--out-cert {out_cert} --out-key {out_key}")
    assert result.success, result.error_in_exec
    assert out_cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE")


def test_missing_file_is_a_one_line_usage_error(ip, tmp_path):
    result = ip.run_cell(f"%mlssl cert inspect {tmp_path / 'nope.pem'}")
    assert type(result.error_in_exec) is UsageError
    assert "nope.pem" in str(result.error_in_exec)
    assert "\n" not in str(result.error_in_exec)
