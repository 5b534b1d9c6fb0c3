"""Verifying a change from the outside: DNS, a probe, the certificate served, plain HTTP."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from jupyter_mlssl.change.report import Check, Verification
from jupyter_mlssl.pki.names import is_ip_address
from jupyter_mlssl.store.files import private_dir
from jupyter_mlssl.store.paths import state_dir
from jupyter_mlssl.targets.base import Target, TargetStatus

#: probe verdicts that show TLS is really off on a port
NO_TLS_VERDICTS = ("not_tls", "refused")


def verify(target: Target, status: TargetStatus, *, ca_bundle: str | None = None,
           timeout: float = 5.0) -> Verification:
    """Check the endpoint as ``status`` says it should answer now."""
    endpoint = target.endpoint(status)
    result = Verification(target=target.id)
    bundle = _merge_bundles(endpoint.ca_bundle, ca_bundle)
    if endpoint.tls_expected:
        if endpoint.hostname and not is_ip_address(endpoint.hostname):
            from jupyter_mlssl.dns import check_dns

            dns = check_dns(endpoint.hostname, expect=endpoint.expected_address,
                            nameservers=endpoint.nameservers, timeout=min(timeout, 3.0))
            result.reports.append(dns)
            wanted = "ok" if endpoint.expected_address else ("ok", "resolves")
            verdict = str(dns.verdict)
            result.checks.append(Check(
                "dns", endpoint.hostname, verdict, verdict in wanted,
                _dns_detail(dns, endpoint.expected_address),
            ))
        if not endpoint.url:
            result.checks.append(Check("probe", "(no HTTPS URL)", "skipped", False,
                                       "the target does not say where it serves HTTPS"))
            return result
        from jupyter_mlssl.probing import probe

        report = probe(endpoint.url, ca_bundle=bundle, resolve=endpoint.resolve,
                       timeout=timeout, redirect_port=None)
        result.reports.append(report)
        probed = report.results[0]
        ok = probed.verdict == "ok"
        detail = probed.error or (
            f"{probed.protocol}, {probed.days_left} days left" if ok else "")
        result.checks.append(Check("probe", endpoint.url, probed.verdict, ok, detail or ""))
        expected = status.certificate_fingerprint
        if ok and expected and probed.leaf_fingerprint:
            same = _hex(expected) == _hex(probed.leaf_fingerprint)
            result.checks.append(Check(
                "certificate", endpoint.url, "current" if same else "stale", same,
                "" if same else f"serves {probed.leaf_fingerprint[:23]}, expected "
                                f"{expected[:23]}",
            ))
        return result

    if endpoint.url:
        from jupyter_mlssl.probing import probe

        report = probe(endpoint.url, ca_bundle=bundle, resolve=endpoint.resolve,
                       timeout=timeout, redirect_port=None)
        result.reports.append(report)
        probed = report.results[0]
        off = probed.verdict in NO_TLS_VERDICTS
        result.checks.append(Check(
            "tls off", endpoint.url, probed.verdict, off,
            "" if off else "the HTTPS port still answers TLS",
        ))
    if status.scoring_uri and status.scoring_uri.startswith("http://"):
        result.checks.append(_plain_http_check(status.scoring_uri, timeout))
    return result


def _plain_http_check(url: str, timeout: float) -> Check:
    """Does the plain-HTTP scoring URI still answer? Any HTTP response below 500 does."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, method="GET"), timeout=timeout) as resp:
            code = resp.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (OSError, ValueError) as exc:
        return Check("plain http", url, "no_answer", False, str(exc))
    return Check("plain http", url, "answers" if code < 500 else "error", code < 500,
                 f"HTTP {code}")


def _dns_detail(report: Any, expected: str | None) -> str:
    addresses = getattr(report, "addresses", None) or getattr(report, "answers", None)
    message = getattr(report, "message", None)
    if message:
        return str(message)
    if addresses:
        return f"answers {', '.join(map(str, addresses))}" + (
            f", expected {expected}" if expected else "")
    return ""


def _hex(fingerprint: str) -> str:
    text = fingerprint.lower().removeprefix("sha256:")
    return "".join(ch for ch in text if ch in "0123456789abcdef")


def _merge_bundles(*bundles: str | None) -> str | None:
    """One PEM file trusting every bundle given (the probe takes one file)."""
    given = [b for b in bundles if b]
    if len(given) <= 1:
        return given[0] if given else None
    data = b"".join(Path(b).read_bytes().rstrip(b"\n") + b"\n" for b in given)
    directory = private_dir(state_dir() / "bundles")
    merged = directory / f"{hashlib.sha256(data).hexdigest()[:16]}.pem"
    if not merged.exists():
        merged.write_bytes(data)
    return str(merged)
