"""Minting: what it makes passes cryptography's own verifier; key files are safe to write."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from jupyter_mlssl.certificates import inspect
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.pki import minting
from jupyter_mlssl.secrets import Secret

PRIVATE = "PRIVATE " + "KEY"


def _verify(leaf, chain, root, host):
    verifier = PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName(host))
    return verifier.verify(leaf, chain)


def test_ca_intermediate_leaf_pass_the_verifier():
    root, root_key = minting.make_ca("Mint Root")
    inter, inter_key = minting.make_intermediate(root, root_key, "Mint Issuing")
    leaf, key = minting.issue_leaf(inter, inter_key, ["API.example.test.", "10.1.2.3"], days=30)
    assert _verify(leaf, [inter], root, "api.example.test") == [leaf, inter, root]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.DNSName) == ["api.example.test"]
    assert [str(ip) for ip in san.value.get_values_for_type(x509.IPAddress)] == ["10.1.2.3"]
    assert leaf.public_key() == key.public_key()
    leaf_direct, _ = minting.issue_leaf(root, root_key, ["direct.example.test"])
    assert _verify(leaf_direct, [], root, "direct.example.test")[-1] == root


def test_issue_leaf_with_a_given_rsa_key():
    root, root_key = minting.make_ca("Mint Root")
    rsa_key = minting.new_key("rsa", 2048)
    leaf, key = minting.issue_leaf(root, root_key, ["rsa.example.test"], key=rsa_key)
    assert key is rsa_key and leaf.public_key().key_size == 2048  # type: ignore[union-attr]


def test_self_signed_passes_the_verifier_when_pinned():
    cert, _ = minting.self_signed("dev.example.test", days=7, names=["localhost", "127.0.0.1"])
    assert _verify(cert, [], cert, "localhost") == [cert]


def test_bad_arguments_are_input_errors():
    with pytest.raises(InputError, match="--days"):
        minting.self_signed("dev.example.test", days=0)
    with pytest.raises(InputError, match="--cname"):
        minting.make_csr("  ")
    with pytest.raises(ValueError):
        minting.new_key("dsa")


def test_pem_helpers_and_secret():
    cert, key = minting.self_signed("dev.example.test")
    secret = minting.key_pem(key)
    assert isinstance(secret, Secret) and PRIVATE not in repr(secret)
    assert secret.reveal().startswith(b"-----BEGIN " + PRIVATE.encode())
    chain = minting.cert_pem([cert, cert])
    assert chain.count("BEGIN CERTIFICATE") == 2 and minting.cert_pem(cert) in chain


def test_write_private_is_0600_atomic_and_refuses_to_overwrite(tmp_path):
    _, key = minting.self_signed("dev.example.test")
    path = tmp_path / "k.pem"
    old_umask = os.umask(0)  # even with a permissive umask the file is never readable by others
    try:
        minting.write_private(path, minting.key_pem(key))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    with pytest.raises(InputError, match=r"already exists.*--force") as info:
        minting.write_private(path, b"other")
    assert PRIVATE not in str(info.value)
    assert path.read_bytes() == first
    minting.write_private(path, b"other", force=True)
    assert path.read_bytes() == b"other" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]  # no temp files left behind
    with pytest.raises(InputError, match="does not exist"):
        minting.write_private(tmp_path / "nope" / "k.pem", b"x")
    with pytest.raises(InputError, match="directory"):
        minting.write_public(tmp_path, "x")


def test_csr_roundtrip_to_a_clean_inspection(tmp_path):
    csr, key = minting.make_csr("api.example.test", ["www.example.test"])
    assert csr.is_signature_valid
    root, root_key = minting.make_ca("Mint Root")
    inter, inter_key = minting.make_intermediate(root, root_key, "Mint Issuing")
    leaf, _ = minting.issue_leaf(inter, inter_key, ["api.example.test", "www.example.test"],
                                 key=key)
    minting.write_public(tmp_path / "chain.pem", minting.cert_pem([leaf, inter]))
    minting.write_public(tmp_path / "root.pem", minting.cert_pem(root))
    minting.write_private(tmp_path / "key.pem", minting.key_pem(key))
    report = inspect(tmp_path / "chain.pem", key=tmp_path / "key.pem",
                     cname="www.example.test", ca_bundle=tmp_path / "root.pem")
    assert report.exit_status == 0 and report.finding_codes() == []
