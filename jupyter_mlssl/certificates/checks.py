"""The checks cryptography's verifier does not do, and the hostname check against --cname.

The verifier (docs/tls-notes.md, "The verifier") accepts an RSA-1024 leaf, a 900-day leaf
and a CN missing from the SANs, and it reports expiry, hostname and signature problems as
one free-text error. Each check here returns findings with a stable code and a message with
the fix. The verifier gives the trust verdict and the path
(:mod:`jupyter_mlssl.certificates.chain`): the per-certificate checks judge that path, trust
anchor included, and a refusal the checks do not already explain becomes ``chain_invalid``
with the verifier's reason in plain words.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import TYPE_CHECKING

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.certificates.chain import PathVerdict
from jupyter_mlssl.certificates.refusals import explain
from jupyter_mlssl.pki.facts import (
    STRONG_KEY_FIX,
    WEAK_HASHES,
    describe,
    is_ca,
    key_weakness,
    name_text,
    printable,
    renewal_point,
    same_public_key,
    san_names,
    self_issued,
    signature_hash,
    subject_common_name,
)
from jupyter_mlssl.pki.trust import TrustStore
from jupyter_mlssl.reports import Finding, Severity

if TYPE_CHECKING:
    from cryptography import x509

    from jupyter_mlssl.certificates.loading import LoadedCertificate

ERROR, WARNING = Severity.ERROR, Severity.WARNING

#: CA/B Forum BR 6.3.2 maximum subscriber validity, by issue date (SC-081 from 2026-03-15).
VALIDITY_LIMITS: tuple[tuple[dt.datetime, int], ...] = (
    (dt.datetime(2029, 3, 15, tzinfo=dt.timezone.utc), 47),
    (dt.datetime(2027, 3, 15, tzinfo=dt.timezone.utc), 100),
    (dt.datetime(2026, 3, 15, tzinfo=dt.timezone.utc), 200),
    (dt.datetime(2020, 9, 1, tzinfo=dt.timezone.utc), 398),
    (dt.datetime(2018, 3, 1, tzinfo=dt.timezone.utc), 825),
)
#: Warn once the renewal point is passed (a third of the lifetime left, pki.facts) and less
#: than this many days are left: a yearly certificate is not "expiring" four months out.
RENEW_DAYS = 30


def max_validity_days(not_before: dt.datetime) -> int | None:
    for since, days in VALIDITY_LIMITS:
        if not_before >= since:
            return days
    return None


def validity_days(cert: x509.Certificate) -> float:
    """Inclusive validity, as the BRs count it: notAfter - notBefore + 1 s."""
    span = cert.not_valid_after_utc - cert.not_valid_before_utc + dt.timedelta(seconds=1)
    return span.total_seconds() / 86400


def normalize_host(name: str) -> str:
    """Lower case, no trailing dot, IDNA A-labels: how SANs are written."""
    host = name.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def hostname_matches(name: str, dns_names: list[str], ips: list[str]) -> bool:
    """RFC 6125 as browsers do it: case-insensitive, a wildcard covers one left-most label."""
    host = normalize_host(name)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in ips)
    for pattern in dns_names:
        pattern = pattern.rstrip(".").lower()
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host:
            first, rest = host.split(".", 1)
            if first and rest == pattern[2:]:
                return True
    return False


def _days(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 86400)


# -- the checks ----------------------------------------------------------------------------
def check_key(loaded: LoadedCertificate) -> list[Finding]:
    leaf = loaded.leaf
    if leaf is None or loaded.key is None or same_public_key(leaf, loaded.key):
        return []
    return [Finding(
        codes.KEY_MISMATCH, ERROR,
        f"the private key in {loaded.key_source} does not belong to the leaf certificate "
        f"{describe(leaf)} in {loaded.source}: give the key that was generated with its CSR",
    )]


def _path(loaded: LoadedCertificate,
          path: list[x509.Certificate] | None) -> list[x509.Certificate]:
    """The certificates the per-certificate checks judge: the path the verifier built (trust
    anchor included) when there is one, else the presented leaf's path."""
    return path or loaded.certificates[: loaded.path_length]


def check_validity(loaded: LoadedCertificate, now: dt.datetime,
                   path: list[x509.Certificate] | None = None,
                   store: TrustStore | None = None) -> list[Finding]:
    out = []
    name = loaded.source
    presented = set(loaded.certificates)
    # Validity is encoded to the second; compare at that granularity, as the verifier does
    # (a time 5 ms after notAfter is still inside the notAfter second).
    now = now.replace(microsecond=0)
    for index, cert in enumerate(_path(loaded, path)):
        if index == 0:
            which, where, fix = "the leaf", f"in {name}", "renew it and use the new certificate"
        elif store is not None and cert not in presented and cert in store.members:
            which, where = "the root", f"in {store.name}"
            fix = ("clients refuse a path through it: chain to a current root (ask your CA "
                   "for its current chain), or update the trust store")
        else:
            which, where = "the chain certificate", f"in {name}"
            fix = "renew it and use the new certificate and its current chain"
        if cert.not_valid_after_utc < now:
            ago = _days(now - cert.not_valid_after_utc)
            out.append(Finding(
                codes.EXPIRED, ERROR,
                f"{which} {describe(cert)} {where} expired on "
                f"{cert.not_valid_after_utc:%Y-%m-%d} ({ago} days ago): {fix}",
            ))
        elif cert.not_valid_before_utc > now:
            out.append(Finding(
                codes.NOT_YET_VALID, ERROR,
                f"{which} {describe(cert)} {where} is not valid before "
                f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC: wait until then, or check "
                "this machine's clock",
            ))
    leaf = loaded.leaf
    if leaf is not None and leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        left = leaf.not_valid_after_utc - now
        due = max(renewal_point(leaf.not_valid_before_utc, leaf.not_valid_after_utc),
                  leaf.not_valid_after_utc - dt.timedelta(days=RENEW_DAYS))
        if now > due:
            out.append(Finding(
                codes.EXPIRING_SOON, WARNING,
                f"the leaf {describe(leaf)} in {name} expires on "
                f"{leaf.not_valid_after_utc:%Y-%m-%d} ({_days(left)} days left): renew it "
                "now (mlssl update TARGET --renew, or a new certificate from your CA)",
            ))
    return out


def check_names(loaded: LoadedCertificate, cname: str | None) -> list[Finding]:
    leaf = loaded.leaf
    if leaf is None or is_ca(leaf):
        return []  # a CA in the leaf's place is the problem to report, not its names
    name = loaded.source
    out = []
    names = san_names(leaf)
    dns, ips = names if names is not None else ([], [])
    if not dns and not ips:
        out.append(Finding(
            codes.NO_SAN, ERROR,
            f"the leaf {describe(leaf)} in {name} has no subjectAltName, and clients ignore "
            "the CN: reissue it with the service's DNS name as a SAN",
        ))
        return out
    cn = subject_common_name(leaf)
    listed = {d.rstrip(".").lower() for d in dns} | set(ips)
    # the certificate's own names, fit for one line (a damaged or hostile one may hold a
    # newline or an escape sequence)
    covers = printable(", ".join(dns + ips), limit=240)
    if cn and normalize_host(cn) not in listed and cn not in listed:
        out.append(Finding(
            codes.NO_SAN, WARNING,
            f"the leaf's CN '{printable(cn)}' in {name} is not among its subjectAltNames "
            f"({covers}): reissue it with the CN also listed as a SAN",
        ))
    if cname and not hostname_matches(cname, dns, ips):
        out.append(Finding(
            codes.HOSTNAME_MISMATCH, ERROR,
            f"the leaf in {name} does not cover '{printable(normalize_host(cname))}' (it "
            f"covers {covers}): get a certificate for that name, or use one it covers",
        ))
    return out


def check_leaf_kind(loaded: LoadedCertificate, store: TrustStore | None) -> list[Finding]:
    leaf = loaded.leaf
    if leaf is None:
        return []
    name = loaded.source
    out = []
    if is_ca(leaf):
        if all(is_ca(c) for c in loaded.certificates):
            fix = "it holds only CA certificates: add the server certificate, leaf first"
        else:
            fix = "give the server certificate issued for your name, leaf first"
        out.append(Finding(
            codes.CA_CERTIFICATE_AS_LEAF, ERROR,
            f"the leaf {describe(leaf)} in {name} is a CA certificate, which clients refuse "
            f"as a server certificate: {fix}",
        ))
    elif self_issued(leaf):
        if store is not None and not store.default and leaf in store.members:
            out.append(Finding(
                codes.SELF_SIGNED, WARNING,
                f"the leaf {describe(leaf)} in {name} is self-signed, trusted here only "
                f"because {store.name} holds it: fine for development, use a CA-issued "
                "certificate in production",
            ))
        else:
            out.append(Finding(
                codes.SELF_SIGNED, ERROR,
                f"the leaf {describe(leaf)} in {name} is self-signed, so no client trusts it: "
                "use a certificate from a CA (or, for development only, pass it as "
                "--ca-bundle)",
            ))
    return out


def check_strength(loaded: LoadedCertificate,
                   path: list[x509.Certificate] | None = None) -> list[Finding]:
    out = []
    name = loaded.source
    for index, cert in enumerate(_path(loaded, path)):
        which = "the leaf" if index == 0 else "the chain certificate"
        weakness = key_weakness(cert)
        if weakness:
            out.append(Finding(
                codes.WEAK_KEY, ERROR,
                f"{which} {describe(cert)} in {name} has {weakness}: {STRONG_KEY_FIX}",
            ))
        digest = signature_hash(cert)
        # A root's signature on itself is never checked by clients; everyone else's is.
        if digest in WEAK_HASHES and not (index > 0 and self_issued(cert)):
            out.append(Finding(
                codes.WEAK_SIGNATURE, ERROR,
                f"{which} {describe(cert)} in {name} is signed with {digest.upper()}, which "
                "clients refuse: reissue it signed with SHA-256"
                + ("" if index == 0 else ", or use the CA's current intermediate"),
            ))
    return out


def check_lifetime(loaded: LoadedCertificate) -> list[Finding]:
    leaf = loaded.leaf
    if leaf is None or self_issued(leaf) or is_ca(leaf):
        return []  # the CA/B Forum limits are for CA-issued server certificates
    limit = max_validity_days(leaf.not_valid_before_utc)
    days = validity_days(leaf)
    if limit is None or days <= limit:
        return []
    return [Finding(
        codes.VALIDITY_TOO_LONG, WARNING,
        f"the leaf {describe(leaf)} in {loaded.source} is valid for {days:.0f} days; the "
        f"CA/Browser Forum allows {limit} for certificates issued on "
        f"{leaf.not_valid_before_utc:%Y-%m-%d} and browsers may refuse it: reissue it for "
        f"at most {limit} days",
    )]


def check_trust(loaded: LoadedCertificate, verdict: PathVerdict, store: TrustStore,
                found: list[Finding]) -> list[Finding]:
    """Turn the path verdict into chain_incomplete / untrusted_root (self_signed is above)."""
    name = loaded.source
    top = verdict.top
    if verdict.status == "incomplete" and top is not None:
        issuer = name_text(top.issuer)  # printable, and safe on a damaged name
        return [Finding(
            codes.CHAIN_INCOMPLETE, ERROR,
            f"the chain in {name} stops at {describe(top)}, whose issuer '{issuer}' is in "
            f"neither the file nor {store.name}: append the missing intermediate "
            "certificate(s) after the leaf (your CA's 'full chain' file), or, if "
            f"'{issuer}' is your private root, pass it with --ca-bundle",
        )]
    if verdict.status == "untrusted_root" and top is not None:
        why = ""
        if not self_issued(top):
            why = f" (its issuer's name is there but no valid path verifies: {verdict.detail})"
        return [Finding(
            codes.UNTRUSTED_ROOT, ERROR,
            f"the chain in {name} ends at the root {describe(top)}, which {store.name} "
            f"does not hold{why}: use a certificate from a publicly trusted CA, or "
            "pass your private root with --ca-bundle",
        )]
    if verdict.status == "rejected" and verdict.detail:
        refusal = explain(verdict.detail, loaded.certificates[: loaded.path_length], store)
        if refusal.code is not None and any(
                f.code == refusal.code and f.severity == ERROR for f in found):
            return []  # already said, with its own fix
        concerns, fix = "", refusal.fix
        cert = refusal.certificate
        if cert is not None:
            if cert is loaded.leaf:
                concerns = f" (the leaf {describe(cert)})"
            elif cert in store.members and cert not in loaded.certificates:
                concerns = f" (the root {describe(cert)} in {store.name})"
                fix = ("that root cannot anchor a web PKI path: chain to another root (ask "
                       "your CA for its current chain), or fix the trust store")
            else:
                concerns = f" (the certificate {describe(cert)})"
        return [Finding(
            codes.CHAIN_INVALID, ERROR,
            f"clients refuse the chain in {name}: {refusal.reason}{concerns}: {fix}",
        )]
    return []
