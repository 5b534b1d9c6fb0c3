"""The ``mlssl cert`` verbs through ``cli.main``: exit statuses, --json, files, no key leaks."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from jupyter_mlssl.certificates import inspect
from jupyter_mlssl.cli import main
from tests.pki import write_bundle

PRIVATE = "PRIVATE " + "KEY"


@pytest.fixture(scope="module")
def chain(pki):
    root = pki.root()
    inter = pki.intermediate(root)
    return root, inter, pki.leaf(inter, ["api.example.test"])


@pytest.fixture
def files(tmp_path, chain):
    root, inter, leaf = chain
    write_bundle(tmp_path / "full.pem", [leaf, inter])
    write_bundle(tmp_path / "reversed.pem", [inter, leaf])
    root.write_cert(tmp_path / "root.pem")
    leaf.write_key(tmp_path / "key.pem")
    (tmp_path / "api.pfx").write_bytes(pkcs12.serialize_key_and_certificates(
        b"api", leaf.key, leaf.cert, [inter.cert],
        serialization.BestAvailableEncryption(b"pfx-pass")))
    return tmp_path


def _key_body(issued) -> str:
    """A line from the middle of the key's PEM: it must never show up in any output."""
    return issued.key_pem().decode().splitlines()[1]


def _run(capsys, argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def test_inspect_exit_0_and_json(capsys, files, chain):
    status, out, err = _run(capsys, ["cert", "inspect", files / "full.pem", "--key",
                                     files / "key.pem", "--cname", "api.example.test",
                                     "--ca-bundle", files / "root.pem", "--json"])
    assert status == 0, err
    data = json.loads(out)
    assert data["exit_status"] == 0 and data["trusted"] is True
    assert [c["role"] for c in data["certificates"]] == ["leaf", "intermediate"]
    assert data["leaf_fingerprint"] == data["certificates"][0]["fingerprint_sha256"]
    assert data["chain_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert PRIVATE not in out + err and _key_body(chain[2]) not in out + err


def test_inspect_text_output_has_both_tables(capsys, files, chain):
    status, out, err = _run(capsys, ["cert", "inspect", files / "reversed.pem", "--key",
                                     files / "key.pem", "--ca-bundle", files / "root.pem"])
    assert status == 1
    assert "Certificate:" in out and "Findings" in out and "chain_order" in out
    assert "days_left" in out and "fingerprint_sha256" in out
    assert len(err.strip().splitlines()) == 1 and err.startswith("mlssl: chain_order")
    assert PRIVATE not in out + err and _key_body(chain[2]) not in out + err


@pytest.mark.parametrize("target", ["missing.pem", ".", "empty.pem", "key.pem", "random.bin",
                                    "cut.pem", "huge.pem"])
def test_inspect_unusable_input_exits_2(capsys, files, target):
    (files / "empty.pem").write_bytes(b"")
    (files / "random.bin").write_bytes(os.urandom(2048))
    (files / "cut.pem").write_bytes((files / "full.pem").read_bytes()[:700])
    with (files / "huge.pem").open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    status, out, _ = _run(capsys, ["cert", "inspect", files / target, "--json"])
    assert status == 2
    finding = json.loads(out)["findings"][0]
    assert finding["code"] in ("unreadable", "no_certificate")
    assert str(files / target) in finding["message"] and "\n" not in finding["message"]
    # the text form: tables on stdout, the one-line summary on stderr
    status, out, err = _run(capsys, ["cert", "inspect", files / target])
    assert status == 2 and len(err.strip().splitlines()) == 1 and finding["code"] in err


def test_certificate_given_as_key_exits_2(capsys, files):
    status, _, err = _run(capsys, ["cert", "inspect", files / "full.pem", "--key",
                                   files / "full.pem"])
    assert status == 2 and "not a private key" in err


def test_pfx_password_only_from_the_environment(capsys, files, monkeypatch):
    status, out, _ = _run(capsys, ["cert", "inspect", files / "api.pfx", "--json"])
    assert status == 2 and json.loads(out)["findings"][0]["code"] == "key_password_required"
    monkeypatch.setenv("PFX_PASS", "wrong")
    status, out, _ = _run(capsys, ["cert", "inspect", files / "api.pfx", "--password-env",
                                   "PFX_PASS", "--json"])
    assert status == 2 and json.loads(out)["findings"][0]["code"] == "key_password_wrong"
    monkeypatch.setenv("PFX_PASS", "pfx-pass")
    status, out, _ = _run(capsys, ["cert", "inspect", files / "api.pfx", "--password-env",
                                   "PFX_PASS", "--ca-bundle", files / "root.pem", "--json"])
    assert status == 0
    assert "converted" in [f["code"] for f in json.loads(out)["findings"]]
    assert "pfx-pass" not in out
    status, _, err = _run(capsys, ["cert", "inspect", files / "api.pfx", "--password-env",
                                   "NOT_SET_ANYWHERE"])
    assert status == 2 and "NOT_SET_ANYWHERE" in err


def test_convert_pfx_to_pem_and_key(capsys, files, chain, monkeypatch):
    _root, inter, leaf = chain
    monkeypatch.setenv("PFX_PASS", "pfx-pass")
    out_cert, out_key = files / "out" / "fullchain.pem", files / "out" / "key.pem"
    out_cert.parent.mkdir()
    argv = ["cert", "convert", files / "api.pfx", "--out-cert", out_cert, "--out-key", out_key,
            "--password-env", "PFX_PASS", "--json"]
    status, out, err = _run(capsys, argv)
    assert status == 0, err
    data = json.loads(out)
    assert [f["mode"] for f in data["files"]] == ["0644", "0600"]
    assert stat.S_IMODE(os.stat(out_key).st_mode) == 0o600
    assert x509.load_pem_x509_certificates(out_cert.read_bytes()) == [leaf.cert, inter.cert]
    assert out_key.read_text().startswith("-----BEGIN " + PRIVATE)
    assert PRIVATE not in out and _key_body(leaf) not in out
    clean = inspect(out_cert, key=out_key, ca_bundle=files / "root.pem")
    assert clean.exit_status == 0 and "converted" not in clean.finding_codes()
    # again: refuses to overwrite, leaves the files alone; --force overwrites
    before = out_key.read_bytes()
    status, _, err = _run(capsys, argv)
    assert status == 2 and "already exists" in err and "--force" in err
    assert out_key.read_bytes() == before
    status, _, _ = _run(capsys, [*argv, "--force"])
    assert status == 0 and stat.S_IMODE(os.stat(out_key).st_mode) == 0o600


def test_convert_reorders_a_pem_chain(capsys, files, chain):
    out_cert = files / "fixed.pem"
    status, out, _ = _run(capsys, ["cert", "convert", files / "reversed.pem", "--key",
                                   files / "key.pem", "--out-cert", out_cert])
    assert status == 0
    assert x509.load_pem_x509_certificates(out_cert.read_bytes())[0] == chain[2].cert
    assert "no_key" not in out  # a separate plain PEM key needs no converting


def test_convert_refuses_mismatched_key_and_missing_key(capsys, files, pki):
    pki.leaf(None).write_key(files / "other.key")
    status, _, err = _run(capsys, ["cert", "convert", files / "full.pem", "--key",
                                   files / "other.key", "--out-cert", files / "a.pem",
                                   "--out-key", files / "a.key"])
    assert status == 2 and "does not belong" in err
    status, _, err = _run(capsys, ["cert", "convert", files / "full.pem", "--out-cert",
                                   files / "a.pem", "--out-key", files / "a.key"])
    assert status == 2 and "no private key" in err
    assert not (files / "a.pem").exists() and not (files / "a.key").exists()


def test_selfsigned_is_for_development_only(capsys, tmp_path):
    cert, key = tmp_path / "dev.pem", tmp_path / "dev.key"
    status, out, err = _run(capsys, ["cert", "selfsigned", "--cname", "dev.example.test",
                                     "--out-cert", cert, "--out-key", key, "--days", "30",
                                     "--json"])
    assert status == 0, err
    data = json.loads(out)
    warning = data["findings"][0]
    assert warning["code"] == "self_signed" and warning["severity"] == "warning"
    assert "development only" in warning["message"]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and PRIVATE not in out
    report = inspect(cert, key=key, cname="dev.example.test")
    assert "self_signed" in report.finding_codes() and report.exit_status == 1
    pinned = inspect(cert, key=key, cname="dev.example.test", ca_bundle=cert)
    assert pinned.exit_status == 0 and pinned.trusted
    assert pinned.certificates[0].days_left in (29, 30)
    status, _, err = _run(capsys, ["cert", "selfsigned", "--cname", "dev.example.test",
                                   "--out-cert", cert, "--out-key", key])
    assert status == 2 and "already exists" in err


def test_csr_writes_request_and_private_key(capsys, tmp_path):
    req, key = tmp_path / "api.csr", tmp_path / "api.key"
    status, out, err = _run(capsys, ["cert", "csr", "--cname", "api.example.test", "--san",
                                     "www.example.test", "--out-csr", req, "--out-key", key])
    assert status == 0, err
    csr = x509.load_pem_x509_csr(req.read_bytes())
    assert csr.is_signature_valid
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["api.example.test", "www.example.test"]
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert PRIVATE not in out + err and str(req) in out and "next_step" in out


def test_demo_runs_and_exits_0(tmp_path):
    env = {**os.environ, "MLSSL_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "jupyter_mlssl.demo"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    for word in ("selfsigned", "csr", "chain_order", "convert", "Findings"):
        assert word in done.stdout
    assert PRIVATE not in done.stdout and "Traceback" not in done.stderr
