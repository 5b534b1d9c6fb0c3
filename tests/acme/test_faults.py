"""Each fault: one clear line, nothing left behind (no TXT record, no output file)."""

from __future__ import annotations

import pytest

from jupyter_mlssl.acme import pebble as pebble_ca
from jupyter_mlssl.acme.issue import Eab, issue
from jupyter_mlssl.acme.network import NONCE_ATTEMPTS
from jupyter_mlssl.acme.publishers import LocalPublisher
from jupyter_mlssl.cli import main
from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.targets.local import nameserver
from jupyter_mlssl.targets.local.dnsserver import DnsServer, Zone

NAME = "api.local.mlssl.test"


def _issue(ca, *, eab=True, names=(NAME,)):
    return issue(list(names), LocalPublisher(), directory=ca.directory, ca_bundle=ca.ca_bundle,
                 eab=Eab(ca.eab_kid, Secret(ca.eab_hmac)) if eab else None)


def _one_line(exc):
    text = str(exc)
    assert "\n" not in text and len(text) < 400
    return text


def _no_leftovers(*names):
    for name in names:
        assert nameserver.records(f"_acme-challenge.{name}", "TXT") == []


def test_txt_not_visible_to_the_ca(local_dns, tmp_path):
    if pebble_ca.available():
        pytest.skip(pebble_ca.available())
    # the CA asks an empty nameserver, not the one we publish in
    with DnsServer(Zone()).start() as elsewhere, pebble_ca.Pebble(
            dnsserver=elsewhere.address, workdir=tmp_path / "p") as ca, pytest.raises(
            MlsslError) as caught:
        _issue(ca)
    line = _one_line(caught.value)
    assert caught.value.code == "acme_txt_not_visible"
    assert f"could not validate {NAME}" in line and f"127.0.0.1:{local_dns} answers" in line
    _no_leftovers(NAME)


def test_eab_missing(pebble, tmp_path, capsys):
    status = main(["cert", "acme", "--cname", NAME, "--dns", "local://iris",
                   "--directory", pebble.directory, "--acme-ca-bundle", pebble.ca_bundle,
                   "--out-cert", str(tmp_path / "c.pem"), "--out-key", str(tmp_path / "k.pem")])
    err = capsys.readouterr().err
    assert status == 2 and "requires external account binding" in err
    assert "--eab-kid" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "k.pem").exists()


def test_eab_wrong(pebble):
    wrong = Eab(pebble.eab_kid, Secret("bm90LXRoZS1rZXktYXQtYWxsLW5vdC10aGUta2V5LWF0LWFsbA"))
    with pytest.raises(MlsslError) as caught:
        issue([NAME], LocalPublisher(), directory=pebble.directory, ca_bundle=pebble.ca_bundle,
              eab=wrong)
    assert caught.value.code == "acme_eab_rejected"
    assert "external account binding" in _one_line(caught.value)
    assert wrong.hmac_key.reveal_text() not in str(caught.value)


def test_ca_unreachable(local_dns):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once we leave: nobody listens there
    with pytest.raises(MlsslError) as caught:
        issue([NAME], LocalPublisher(), directory=f"https://127.0.0.1:{port}/dir")
    assert caught.value.code == "acme_unreachable"
    assert "unreachable" in _one_line(caught.value)


def test_caa_forbids_the_ca_before_ordering(pebble):
    nameserver.edit_records("local.mlssl.test", "CAA", add=['0 issue "other-ca.example"'])
    with pytest.raises(MlsslError) as caught:
        _issue(pebble)
    line = _one_line(caught.value)
    assert caught.value.code == "acme_caa_forbidden"
    assert "CAA at local.mlssl.test" in line and "other-ca.example" in line
    assert "/my-order/" not in (pebble.workdir / "pebble.log").read_text()  # no order placed
    _no_leftovers(NAME)


def test_bad_nonce_is_retried(local_dns, tmp_path):
    if pebble_ca.available():
        pytest.skip(pebble_ca.available())
    with pebble_ca.Pebble(dnsserver=f"127.0.0.1:{local_dns}", workdir=tmp_path / "p",
                          nonce_reject=30) as ca:
        issued = _issue(ca)
    assert issued.names == [NAME] and "BEGIN CERTIFICATE" in issued.fullchain_pem
    assert "PRIVATE" not in repr(issued) and "PRIVATE" not in str(issued.key)
    _no_leftovers(NAME)


def test_rate_limit_says_when_to_retry(local_dns):
    from tests.acme.fake_ca import FakeCa

    with FakeCa("rate_limit") as ca, pytest.raises(MlsslError) as caught:
        issue([NAME], LocalPublisher(), directory=ca.directory)
    line = _one_line(caught.value)
    assert caught.value.code == "acme_rate_limited"
    assert "rate-limited" in line and "too many new accounts" in line
    assert "retry after 20" in line and line.endswith("UTC")  # the CA's Retry-After, as a time
    assert not any(path == "/new-order" for _, path in ca.requests)


def test_order_invalid(local_dns):
    from tests.acme.fake_ca import FakeCa

    with FakeCa("order_invalid") as ca, pytest.raises(MlsslError) as caught:
        issue([NAME], LocalPublisher(), directory=ca.directory)
    line = _one_line(caught.value)
    assert caught.value.code == "acme_order_invalid"
    assert "rejectedIdentifier: policy forbids issuing for this name" in line
    _no_leftovers(NAME)


def test_bad_nonce_every_time_is_one_line(local_dns, tmp_path):
    if pebble_ca.available():
        pytest.skip(pebble_ca.available())
    with pebble_ca.Pebble(dnsserver=f"127.0.0.1:{local_dns}", workdir=tmp_path / "p",
                          nonce_reject=100) as ca, pytest.raises(MlsslError) as caught:
        _issue(ca)
    assert caught.value.code == "acme_bad_nonce"
    assert f"rejected {NONCE_ATTEMPTS} nonces in a row" in _one_line(caught.value)
    _no_leftovers(NAME)


def test_manual_dns_in_a_terminal(pebble, eab_env, tmp_path):
    """``--dns manual``: the record is shown at the prompt; the user publishes it, says yes."""
    from jupyter_mlssl.commands import Context, run
    from jupyter_mlssl.parser import build_parser

    prompts, said = [], []

    def confirm(text):
        prompts.append(text)
        name, value = text.split("DNS record: ")[1].split(". 60 IN TXT ")
        nameserver.edit_records(name, "TXT", add=[value.split('"')[1]])  # the user does it
        return True

    args = build_parser().parse_args([
        "cert", "acme", "--cname", NAME, "--dns", "manual", "--directory", pebble.directory,
        "--acme-ca-bundle", pebble.ca_bundle, *eab_env,
        "--out-cert", str(tmp_path / "c.pem"), "--out-key", str(tmp_path / "k.pem")])
    report = run(args, Context(confirm=confirm, progress=said.append))
    assert report.exit_status == 0 and (tmp_path / "c.pem").exists()
    assert len(prompts) == 1 and f"_acme-challenge.{NAME}" in prompts[0]
    assert any("You may now remove the DNS record" in line for line in said)


def test_manual_dns_refused_where_nobody_can_publish(pebble, eab_env, tmp_path):
    with pytest.raises(MlsslError, match="needs a terminal or the panel"):
        from jupyter_mlssl.commands import Context, run
        from jupyter_mlssl.parser import build_parser

        run(build_parser().parse_args([
            "cert", "acme", "--cname", NAME, "--dns", "manual", "--directory",
            pebble.directory, "--acme-ca-bundle", pebble.ca_bundle, *eab_env,
            "--out-cert", str(tmp_path / "c.pem"), "--out-key", str(tmp_path / "k.pem")]),
            Context(confirm=None))
    assert not (tmp_path / "k.pem").exists()
