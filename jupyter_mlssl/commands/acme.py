"""``mlssl cert acme``, ``enable|update TARGET --acme``, ``mlssl renew TARGET``."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlssl.commands import Context
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports import Report


def _ask_in_terminal(ctx: Context) -> Any:
    def ask(action: str, name: str, value: str) -> None:
        verb = "Publish" if action == "add" else "You may now remove"
        line = f'{verb} the DNS record: {name}. 60 IN TXT "{value}"'
        if ctx.confirm is None:
            raise InputError("--dns manual needs a terminal or the panel to show the record")
        if action == "add" and not ctx.confirm(line + "\nPublished (the CA looks next)?"):
            raise InputError("stopped: the TXT record was not published")
        if action != "add":
            ctx.progress(line)
    return ask


def order_from_args(args: argparse.Namespace) -> dict[str, Any]:
    from jupyter_mlssl.acme.directories import directory_url

    if not args.cname:
        raise InputError("--acme needs --cname NAME (and --san NAME for more names)")
    dns, zone = getattr(args, "dns", None), getattr(args, "dns_zone", None)
    point = None
    if getattr(args, "acme", False) and zone:  # enable|update --dns-zone: dns set's zone,
        point = {"zone": zone, "record": getattr(args, "dns_record", None),  # also the TXT's
                 "ttl": getattr(args, "dns_ttl", None)}                   # unless --dns
        if zone == "local":
            dns, zone = dns or f"{args.target}", None
        elif dns:
            zone = None
    return {
        "names": [args.cname, *(getattr(args, "san", None) or [])],
        "point": point,
        "dns": dns,
        "dns_zone": zone,
        "directory": directory_url(getattr(args, "directory", None)),
        "email": getattr(args, "email", None),
        "eab_kid": getattr(args, "eab_kid", None),
        "eab_hmac_env": getattr(args, "eab_hmac_env", None),
        "acme_ca_bundle": getattr(args, "acme_ca_bundle", None),
    }


def cert_acme(args: argparse.Namespace, ctx: Context) -> Report:
    from cryptography import x509

    from jupyter_mlssl.acme.issue import complete
    from jupyter_mlssl.acme.renewal import begin_order, publisher_for
    from jupyter_mlssl.certificates.report import OutputReport, WrittenFile
    from jupyter_mlssl.commands.cert import _distinct, _mode
    from jupyter_mlssl.pki import minting

    _distinct(args.out_cert, args.out_key)
    minting.check_writable([args.out_cert, args.out_key], force=args.force)
    order = order_from_args(args)
    publisher = publisher_for(order["dns"], order["dns_zone"], ask=_ask_in_terminal(ctx),
                              credential=ctx.credential(),
                              arm_endpoint=ctx.defaults.get("arm_endpoint"),
                              names=order["names"])
    issued = complete(begin_order(order, publisher, environ=ctx.environ, progress=ctx.progress),
                      progress=ctx.progress)
    cert_path = minting.write_public(args.out_cert, issued.fullchain_pem, force=args.force)
    key_path = minting.write_private(args.out_key, issued.key, force=args.force)
    leaf = x509.load_pem_x509_certificate(issued.fullchain_pem.encode("ascii"))
    return OutputReport(
        action="acme",
        source=issued.order_url,
        files=[WrittenFile(str(cert_path), "certificate and chain, PEM, leaf first",
                           _mode(cert_path)),
               WrittenFile(str(key_path), "private key, PKCS#8 PEM, unencrypted",
                           _mode(key_path))],
        leaf_fingerprint=issued.fingerprint,
        subject=leaf.subject.rfc4514_string(),
        names=issued.names,
        not_after=issued.not_after,
        next_step=(f"install it: mlssl update TARGET --cert {cert_path} --key {key_path} "
                   f"--cname {issued.names[0]} (or let mlssl do both: enable|update TARGET "
                   "--acme ...)"),
    )


def change_with_acme(args: argparse.Namespace, ctx: Context, action: str) -> Report:
    from jupyter_mlssl.acme.renewal import enable_with_acme

    for flag in ("cert", "key", "leaf_domain_label"):
        if getattr(args, flag, None):
            raise InputError(f"--acme orders the certificate: drop --{flag.replace('_', '-')}")
    target = ctx.target(args.target)
    return enable_with_acme(  # type: ignore[no-any-return]
        target, order_from_args(args), action=action, yes=bool(args.yes),
        confirm=ctx.confirm, dry_run=bool(args.dry_run),
        ca_bundle=getattr(args, "ca_bundle", None) or ctx.defaults.get("ca_bundle"),
        verify=not getattr(args, "no_verify", False), environ=ctx.environ,
        progress=ctx.progress, ask=_ask_in_terminal(ctx),
        credential=ctx.credential(),
        arm_endpoint=ctx.defaults.get("arm_endpoint"))


def renew(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.acme.renewal import renew_target

    target = ctx.target(args.target)
    return renew_target(  # type: ignore[no-any-return]
        target.id, target=target, force=bool(args.force), yes=bool(args.yes), confirm=ctx.confirm,
        dry_run=bool(args.dry_run),
        ca_bundle=getattr(args, "ca_bundle", None) or ctx.defaults.get("ca_bundle"),
        verify=not getattr(args, "no_verify", False), environ=ctx.environ,
        progress=ctx.progress)
