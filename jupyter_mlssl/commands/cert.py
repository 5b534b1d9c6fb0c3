"""``mlssl cert inspect | convert | selfsigned | csr``: thin handlers over the toolkit.

Passwords come only from the environment variable named by ``--password-env``
(``Context.password``), never from argv, where ``ps`` and shell history would see them.
"""

from __future__ import annotations

import argparse
import os

from jupyter_mlssl.commands import Context
from jupyter_mlssl.reports import Finding, Report, Severity


def inspect(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.certificates import inspect as inspect_certificate

    return inspect_certificate(
        args.cert,
        key=args.key,
        cname=args.cname,
        password=ctx.password(args.password_env),
        ca_bundle=args.ca_bundle or ctx.defaults.get("ca_bundle"),
    )


def convert(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.certificates.convert import convert as convert_certificate

    return convert_certificate(
        args.input,
        out_cert=args.out_cert,
        out_key=args.out_key,
        key=args.key,
        password=ctx.password(args.password_env),
        force=args.force,
    )


def selfsigned(args: argparse.Namespace, ctx: Context) -> Report:
    from cryptography.hazmat.primitives import hashes

    from jupyter_mlssl.certificates import codes
    from jupyter_mlssl.certificates.report import OutputReport, WrittenFile
    from jupyter_mlssl.pki import minting
    from jupyter_mlssl.pki.facts import san_names

    _distinct(args.out_cert, args.out_key)
    minting.check_writable([args.out_cert, args.out_key], force=args.force)
    cert, key = minting.self_signed(args.cname, days=args.days)
    cert_path = minting.write_public(args.out_cert, minting.cert_pem(cert), force=args.force)
    key_path = minting.write_private(args.out_key, minting.key_pem(key), force=args.force)
    names = san_names(cert)
    return OutputReport(
        action="selfsigned",
        files=[WrittenFile(str(cert_path), "self-signed certificate, PEM", _mode(cert_path)),
               WrittenFile(str(key_path), "private key, PKCS#8 PEM, unencrypted",
                           _mode(key_path))],
        leaf_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string(),
        names=(names[0] + names[1]) if names else [],
        not_after=cert.not_valid_after_utc,
        findings=[Finding(
            codes.SELF_SIGNED, Severity.WARNING,
            f"{cert_path} is self-signed: for development only, no client trusts it. For a "
            f"real service get a CA-issued certificate (mlssl cert csr --cname {args.cname} "
            "...) or use a Microsoft-provided one (--leaf-domain-label)",
        )],
    )


def csr(args: argparse.Namespace, ctx: Context) -> Report:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from jupyter_mlssl.certificates.report import OutputReport, WrittenFile
    from jupyter_mlssl.pki import minting

    _distinct(args.out_csr, args.out_key)
    minting.check_writable([args.out_csr, args.out_key], force=args.force)
    request, key = minting.make_csr(args.cname, args.san)
    csr_path = minting.write_public(args.out_csr, minting.csr_pem(request), force=args.force)
    key_path = minting.write_private(args.out_key, minting.key_pem(key), force=args.force)
    san = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = [str(getattr(n, "value", n)) for n in san]
    spki = request.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return OutputReport(
        action="csr",
        files=[WrittenFile(str(csr_path), "certificate signing request, PEM", _mode(csr_path)),
               WrittenFile(str(key_path), "private key, PKCS#8 PEM, unencrypted",
                           _mode(key_path))],
        leaf_fingerprint=None,
        subject=request.subject.rfc4514_string(),
        names=names,
        next_step=(
            f"send {csr_path} to your CA and keep {key_path} private: the certificate it "
            f"returns works only with this key (public key sha256 {digest.finalize().hex()}). "
            f"Then: mlssl cert inspect CERT --key {key_path} --cname {args.cname}"
        ),
    )


def _distinct(first: str, second: str) -> None:
    from jupyter_mlssl.errors import InputError

    if os.path.abspath(first) == os.path.abspath(second):
        raise InputError(f"{first} is given for both outputs: give two different file names")


def _mode(path: os.PathLike[str] | str) -> str:
    return oct(os.stat(path).st_mode & 0o777)[2:].rjust(4, "0")
