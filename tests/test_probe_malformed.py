"""A server presenting a malformed certificate gets a verdict, never a traceback.

Real TLS servers on loopback serve chains with a certificate damaged past its DER framing
(tests/malformed.py): OpenSSL loads and sends it, cryptography's lazy parse refuses it.
"""

from __future__ import annotations

import json

import pytest

from jupyter_mlssl.cli import main
from jupyter_mlssl.probing import VERDICTS, WORST_FIRST, probe, probe_many
from tests.malformed import malformed, pem
from tests.pki import new_key, write_bundle
from tests.tlsservers import TLSServer

NAME = "api.example.test"
#: the kinds OpenSSL still loads into a server (it refuses a CN that is not UTF-8)
SERVABLE = ["duplicate_extension", "bad_san_ip", "bad_basic_constraints"]


@pytest.fixture(scope="module")
def ca(pki, tmp_path_factory):
    root = pki.root()
    inter = pki.intermediate(root)
    bundle = write_bundle(tmp_path_factory.mktemp("ca") / "root.pem", [root])
    return root, inter, str(bundle)


def test_the_verdict_is_documented_in_its_place():
    assert "malformed_certificate" in VERDICTS
    # Worse than any trust or date verdict (no client gets that far), milder than not
    # reaching the server at all.
    assert (WORST_FIRST.index("handshake_failed") < WORST_FIRST.index("malformed_certificate")
            < WORST_FIRST.index("expired"))


@pytest.mark.parametrize("kind", SERVABLE)
def test_malformed_second_certificate_is_a_verdict(pki, ca, kind):
    root, _inter, bundle = ca
    bad_inter = malformed(pki, root, kind)
    leaf = pki.leaf(pki.intermediate(root), [NAME])  # a real leaf in front of the bad one
    with TLSServer([leaf, pem(bad_inter)]) as server:
        result = probe(server.url(NAME), resolve=[server.resolve(NAME)], ca_bundle=bundle,
                       timeout=5).results[0]
    assert result.verdict == "malformed_certificate"
    assert result.error is not None and result.error.startswith(
        "the certificate 2 of the 2 presented is malformed: its extensions cannot be parsed")
    assert result.exit_status == 1
    assert result.protocol is not None  # the handshake itself went through


def test_malformed_leaf_is_a_verdict(pki, ca):
    _root, inter, bundle = ca
    key = new_key()
    bad_leaf = malformed(pki, inter, "duplicate_extension", ca=False, key=key)
    from jupyter_mlssl.pki.minting import key_pem

    with TLSServer([pem(bad_leaf), inter], key=key_pem(key).reveal()) as server:
        result = probe(server.url(NAME), resolve=[server.resolve(NAME)], ca_bundle=bundle,
                       timeout=5).results[0]
    assert result.verdict == "malformed_certificate"
    assert "the leaf of the 2 presented is malformed" in (result.error or "")


def test_one_bad_server_never_loses_the_good_results(pki, ca):
    root, inter, bundle = ca
    good_leaf = pki.leaf(inter, [NAME])
    bad_chain = [pki.leaf(inter, [NAME]), pem(malformed(pki, root, "duplicate_extension"))]
    with TLSServer([good_leaf, inter]) as good, TLSServer(bad_chain) as bad:
        urls = [good.url(NAME), bad.url(NAME), good.url(NAME)]
        # All three share the name, so each URL's port tells its server apart.
        resolve = [good.resolve(NAME), bad.resolve(NAME)]
        report = probe_many(urls, resolve=resolve, ca_bundle=bundle, timeout=5)
    assert [r.verdict for r in report.results] == ["ok", "malformed_certificate", "ok"]
    assert report.results[0].leaf_fingerprint == report.results[2].leaf_fingerprint
    assert report.exit_status == 1


def test_cli_probe_prints_a_line_not_a_traceback(pki, ca, capsys):
    root, inter, bundle = ca
    chain = [pki.leaf(inter, [NAME]), pem(malformed(pki, root, "bad_san_ip"))]
    with TLSServer(chain) as server:
        args = [server.url(NAME), "--resolve", server.resolve(NAME), "--ca-bundle", bundle,
                "--timeout", "5"]
        status = main(["probe", *args])
        out = capsys.readouterr()
        assert status == 1
        assert "Traceback" not in out.out + out.err
        assert "malformed_certificate" in out.out
        last = out.err.strip().splitlines()[-1]
        assert last.startswith("mlssl: ") and server.url(NAME) in last
        assert main(["probe", *args, "--json"]) == 1
        data = json.loads(capsys.readouterr().out)
    verdicts = [r["verdict"] for r in data["results"]]
    assert verdicts == ["malformed_certificate"]
