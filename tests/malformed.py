"""Certificates that are damaged past their outer framing, minted at test time.

cryptography checks only a certificate's outer DER framing when it loads one and parses the
extensions, names and public key on first use; OpenSSL likewise loads (and a server sends)
such a certificate. Each maker below mints a real certificate with a marker in it and then
rewrites bytes of the same length inside one part, so the DER framing stays valid and only
the lazy parse of that part fails. The signature no longer matches: nothing that reads the
damaged part gets as far as checking it.

    der = malformed(pki, issuer, "duplicate_extension")
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from tests.pki import Issued, TestPKI, new_key, now

#: how each kind is damaged, and which lazy parse then fails
KINDS = {
    "duplicate_extension": "two extensions with the same OID (DuplicateExtension)",
    "bad_utf8_name": "a UTF8String CN that is not UTF-8 (ValueError on the subject)",
    "bad_san_ip": "a 5-byte iPAddress in the subjectAltName (ValueError on the SAN)",
    "bad_basic_constraints": "a basicConstraints value that is not a SEQUENCE",
}

_OID_A = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.7")
_OID_B = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.8")
_CN_MARK = "MALFORMED-CN"


def _encode_oid(dotted: str) -> bytes:
    """The DER TLV of an OID (short form: these test OIDs are well under 128 bytes)."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return bytes([0x06, len(body)]) + bytes(body)


def _mint(pki: TestPKI, issuer: Issued, *, ca: bool, names: list[str], key: Any = None,
          extra: list[x509.ExtensionType] = ()) -> x509.Certificate:  # type: ignore[assignment]
    del pki
    key = key or new_key()
    start = now() - dt.timedelta(hours=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _CN_MARK)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    )
    for ext in extra:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]


def _replace_once(der: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and der.count(old) == 1, (old, der.count(old))
    return der.replace(old, new)


def malformed(pki: TestPKI, issuer: Issued, kind: str, *, ca: bool = True,
              key: Any = None) -> bytes:
    """The DER of a certificate issued by ``issuer`` and damaged as ``KINDS[kind]`` says.

    ``key``: its private key (default: a new one), to serve it as a leaf.
    """
    if kind == "duplicate_extension":
        value = b"\x05\x00"  # NULL: same length for both, so only the OIDs differ
        cert = _mint(pki, issuer, ca=ca, key=key, names=["bad.example.test"], extra=[
            x509.UnrecognizedExtension(_OID_A, value),
            x509.UnrecognizedExtension(_OID_B, value),
        ])
        der = cert.public_bytes(serialization.Encoding.DER)
        return _replace_once(der, _encode_oid(_OID_B.dotted_string),
                             _encode_oid(_OID_A.dotted_string))
    if kind == "bad_utf8_name":
        cert = _mint(pki, issuer, ca=ca, key=key, names=["bad.example.test"])
        der = cert.public_bytes(serialization.Encoding.DER)
        mark = _CN_MARK.encode()
        return _replace_once(der, mark, mark[:-2] + b"\xff\xfe")
    if kind == "bad_san_ip":
        cert = _mint(pki, issuer, ca=ca, key=key, names=["bad.example.test", "abcde"])
        der = cert.public_bytes(serialization.Encoding.DER)
        return _replace_once(der, b"\x82\x05abcde", b"\x87\x05abcde")
    if kind == "bad_basic_constraints":
        cert = _mint(pki, issuer, ca=ca, key=key, names=["bad.example.test"])
        der = cert.public_bytes(serialization.Encoding.DER)
        # BasicConstraints(ca=True) is the OCTET STRING 04 05 30 03 01 01 ff; make the
        # inner SEQUENCE tag a SET.
        inner = b"\x04\x05\x30\x03\x01\x01\xff" if ca else b"\x04\x02\x30\x00"
        return _replace_once(der, inner, inner[:2] + b"\x31" + inner[3:])
    raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")


def pem(der: bytes) -> bytes:
    """PEM armour around ``der`` (cryptography would re-encode, and refuse, a bad one)."""
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()

