"""The verifier's refusals in plain words: a sentence, a fix and the certificate concerned.

cryptography's ``VerificationError`` messages are free text (docs/tls-notes.md, "From
verifier errors to findings"); :func:`explain` maps them to what a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jupyter_mlssl.pki.facts import extension, is_ca, may_have_issued
from jupyter_mlssl.pki.trust import TrustStore

if TYPE_CHECKING:
    from cryptography import x509


# -- the verifier's reasons, in plain words ------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """Why the verifier refused a path: ``reason`` and ``fix`` are sentences for the user;
    ``certificate`` is the one it concerns when that can be told; ``code`` is the finding
    code that already says it (then no second finding is needed), else None."""

    reason: str
    fix: str
    certificate: x509.Certificate | None = None
    code: str | None = None


_REISSUE = "ask the CA for a certificate (and chain) that follows the web PKI profile"
_CHAIN = "use the chain your CA publishes for this certificate, or reissue from a current CA"
#: (substring of cryptography's VerificationError text, plain reason, fix, code that says it)
_REASONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("path length constraint violated",
     "a CA's path length limit (basicConstraints pathLenConstraint) is exceeded by the "
     "intermediates below it", _CHAIN, None),
    ("basicConstraints.cA must not be asserted in an EE",
     "the leaf is a CA certificate", "give the server certificate, leaf first",
     "ca_certificate_as_leaf"),
    ("basicConstraints.cA must be asserted", "an issuing certificate is not marked as a CA "
     "(basicConstraints cA is false)", _CHAIN, None),
    ("has no basicConstraints", "an issuing certificate has no basicConstraints extension",
     _CHAIN, None),
    ("keyUsage.keyCertSign must be asserted", "an issuing certificate's keyUsage does not "
     "allow signing certificates (keyCertSign)", _CHAIN, None),
    ("must not assert keyCertSign", "the leaf's keyUsage allows signing certificates "
     "(keyCertSign), which a server certificate must not", _REISSUE, None),
    ("name constraint", "a CA's name constraints do not allow the leaf's names "
     "(or cannot be checked)", "get the certificate from a CA allowed to issue for these "
     "names", None),
    ("Forbidden signature algorithm", "a certificate is signed with an algorithm clients "
     "refuse (SHA-1, MD5)", _CHAIN, "weak_signature"),
    ("Forbidden public key algorithm", "a certificate has a key type or curve clients "
     "refuse (DSA, P-192, explicit curve parameters)", _CHAIN, None),
    ("key is too weak", "a certificate has an RSA key under 2048 bits", _CHAIN, None),
    ("malformed public key", "an issuing certificate's public key cannot be read", _CHAIN,
     None),
    ("required EKU not found", "the leaf's extendedKeyUsage does not allow TLS server "
     "authentication (serverAuth)", "reissue it with the serverAuth extended key usage",
     None),
    ("no subjectAltName", "the leaf has no subjectAltName", "reissue it with the service's "
     "DNS name as a SAN", "no_san"),
    ("invalid domain name", "the leaf's subjectAltName holds a name that is not a valid "
     "host name (a wildcard not alone in the left-most label, an underscore...)",
     "reissue it with plain DNS names", None),
    ("subjectAltName MUST", "the leaf's subjectAltName criticality breaks RFC 5280 "
     "(critical exactly when the subject is empty)", _REISSUE, None),
    ("serial between 1 and 20 octets", "a certificate's serial number is not 1 to 20 "
     "octets (RFC 5280 4.1.2.2)", _REISSUE, None),
    ("non-empty Issuer", "a certificate has an empty issuer name", _REISSUE, None),
    ("mismatch between signatureAlgorithm and SPKI", "a certificate's signature "
     "algorithm does not match its issuer's key type", _REISSUE, None),
    ("authorityKeyIdentifier", "a certificate's Authority Key Identifier breaks the "
     "profile", _REISSUE, None),
    ("invalid extension", "a certificate has an extension the profile forbids, lacks a "
     "required one (such as the Authority Key Identifier) or marks one with the wrong "
     "criticality", _REISSUE, None),
    ("signature does not match", "a certificate's signature does not verify with the key "
     "of the certificate named as its issuer (a wrong or re-keyed issuer certificate)",
     _CHAIN, None),
    ("maximum name constraint check limit", "the chain needs more name-constraint checks "
     "than a client allows (a pathological chain)", _CHAIN, None),
)


def _named_certificate(detail: str,
                       candidates: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate "(encountered processing <Certificate(subject=<Name(...)>" names."""
    mark = "encountered processing <Certificate(subject=<Name("
    at = detail.find(mark)
    if at < 0:
        return None
    subject = detail[at + len(mark):].split(")>, ...)>", 1)[0]
    return next((c for c in candidates if c.subject.rfc4514_string() == subject), None)


def explain(detail: str, path: list[x509.Certificate], store: TrustStore) -> Refusal:
    """A plain sentence, a fix and the certificate concerned for a VerificationError text.

    cryptography's messages are free text (docs/tls-notes.md); an interior error under
    "candidates exhausted" concerns an issuer candidate and does not name it, so then the
    certificate is the first issuer of the presented path the reason can apply to.
    """
    from cryptography import x509

    candidates = path + [c for c in store.members if any(_links(c, p) for p in path)]
    named = _named_certificate(detail, candidates)
    text = detail.split("candidates exhausted:", 1)[-1].strip()
    text = text.removeprefix("validation failed:").strip()
    match = next((row for row in _REASONS if row[0] in detail), None)
    if match is None:
        reason, fix, code = f"the verifier says: {text}", _CHAIN, None
    else:
        needle, reason, fix, code = match
        if needle == "invalid extension":
            reason = _extension_reason(text) or reason
    if named is None and "candidates exhausted" in detail:
        issuers = candidates[1:]
        if "path length" in detail:
            # The CA whose pathLenConstraint is smaller than the intermediates below it.
            limits = [(_path_length(c), below, c) for below, c in enumerate(issuers)]
            named = next((c for limit, below, c in limits
                          if limit is not None and limit < below), None)
        elif "basicConstraints" in detail or "keyCertSign" in detail:
            named = next((c for c in issuers if not is_ca(c) or not _can_sign(c)), None)
        elif "name constraint" in detail:
            named = next((c for c in issuers
                          if extension(c, x509.NameConstraints) is not None), None)
        named = named or (issuers[0] if issuers else None)
    elif named is None:
        named = path[0]
    return Refusal(reason, fix, named, code)


def _extension_reason(text: str) -> str | None:
    """'invalid extension: 2.5.29.35: Certificate is missing required extension' in words."""
    from cryptography import x509

    parts = text.split("invalid extension:", 1)[-1].split(":", 1)
    if len(parts) != 2:
        return None
    oid, why = parts[0].strip(), parts[1].split("(encountered", 1)[0].strip()
    try:
        name = getattr(x509.ObjectIdentifier(oid), "_name", oid)
    except ValueError:
        return None
    label = oid if name in (oid, "Unknown OID") else f"{name} ({oid})"
    if "missing required extension" in why:
        return f"a certificate lacks the {label} extension the profile requires"
    return f"a certificate's {label} extension breaks the profile: {why[:1].lower()}{why[1:]}"


def _links(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    try:
        return may_have_issued(issuer, cert)
    except Exception:  # a damaged key identifier: only naming is at stake here
        return False


def _path_length(cert: x509.Certificate) -> int | None:
    from cryptography import x509

    constraints = extension(cert, x509.BasicConstraints)
    return constraints.path_length if constraints is not None else None


def _can_sign(cert: x509.Certificate) -> bool:
    """Not through ``facts.extension``: an absent keyUsage allows signing, a damaged one
    does not, and that accessor answers None for both."""
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign)
    except x509.ExtensionNotFound:
        return True  # no keyUsage: any use is allowed (RFC 5280 4.2.1.3)
    except Exception:  # damaged extensions (reported elsewhere)
        return False
