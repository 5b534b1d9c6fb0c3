"""The one argparse definition behind both ``mlssl ...`` and ``%mlssl ...``.

Each verb stores ``handler``: a ``"module:function"`` string under ``jupyter_mlssl.commands``.
Handlers are imported only when their verb runs, so building the parser (which
``%load_ext`` does) imports nothing heavy. A handler takes the parsed namespace and a
:class:`jupyter_mlssl.commands.Context` and returns a report.

The contract (verbs, flags, meanings) is written down in docs/contracts.md: keep it stable.
"""

from __future__ import annotations

import argparse
import functools
from typing import Any, NoReturn

from jupyter_mlssl.errors import InputError

PROG = "mlssl"


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser that raises :class:`InputError` instead of exiting.

    The CLI turns that into exit status 2; the magic into a one-line ``UsageError``.
    ``--help`` still prints and raises ``SystemExit(0)``, which both faces handle.
    """

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _verb(sub, name: str, handler: str, help: str, **kw) -> ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help, **kw)
    parser.set_defaults(handler=handler)
    return parser


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _change_flags(parser: argparse.ArgumentParser, *, needs_settings: bool) -> None:
    parser.add_argument("target", metavar="TARGET", help="local://NAME or an ARM resource id")
    if needs_settings:
        how = parser.add_argument_group(
            "certificate",
            "either a Microsoft-provided certificate (--leaf-domain-label) "
            "or your own (--cert, --key, --cname)",
        )
        how.add_argument("--leaf-domain-label", metavar="L",
                         help="get a Microsoft-provided certificate for L<6 chars>.<region>...")
        how.add_argument("--overwrite-existing-domain", action="store_true",
                         help="with --leaf-domain-label: draw a new name suffix")
        how.add_argument("--cert", metavar="F", help="certificate file (PEM, DER, PFX or P7B); "
                         "a PFX/P12 bundle carries its key (password: --password-env)")
        how.add_argument("--key", metavar="F", help="private key file (not needed with a PFX "
                         "bundle that holds the key)")
        how.add_argument("--cname", metavar="NAME", help="the DNS name clients use")
        how.add_argument("--password-env", metavar="VAR",
                         help="environment variable holding the key or PFX password")
        parser.add_argument("--renew", action="store_true",
                            help="reissue the certificate (Auto status keeps its name)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--ca-bundle", metavar="FILE",
                        help="trust store for the verification probe")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip DNS and probe verification after the change (no rollback)")
    _json(parser)


@functools.lru_cache(maxsize=4)
def build_parser(prog: str = PROG) -> ArgumentParser:
    """The parser for ``prog``, built once per process (parsing does not mutate it)."""
    parser = ArgumentParser(
        prog=prog,
        description="Secure a deployed machine-learning web service with TLS.",
    )
    from jupyter_mlssl._version import __version__

    parser.add_argument("--version", action="version", version=f"jupyter-mlssl {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=ArgumentParser)
    sub.required = True
    _cert_verbs(sub)
    _check_verbs(sub)
    _target_verbs(sub)
    _local_verbs(sub)
    _acme_verbs(sub)
    _fleet_verbs(sub)
    # panel: notebook only; the CLI says so
    p = _verb(sub, "panel", "panel:show", "show the widget panel (in a notebook)")
    p.add_argument("target", metavar="TARGET", nargs="?")
    return parser


def _cert_verbs(sub: argparse._SubParsersAction[Any]) -> None:
    """``cert inspect | convert | selfsigned | csr``."""
    cert = sub.add_parser("cert", help="inspect, convert or create certificates",
                          description="inspect, convert or create certificates")
    cert_sub = cert.add_subparsers(dest="cert_verb", metavar="ACTION",
                                   parser_class=ArgumentParser)
    cert_sub.required = True

    p = _verb(cert_sub, "inspect", "cert:inspect",
              "check a certificate (and key) before it goes anywhere")
    p.add_argument("cert", metavar="CERT", help="PEM, DER, PKCS#12 (.pfx/.p12) or PKCS#7 (.p7b)")
    p.add_argument("--key", metavar="KEY", help="private key file to match against the leaf")
    p.add_argument("--cname", metavar="NAME", help="the DNS name the certificate must cover")
    p.add_argument("--password-env", metavar="VAR",
                   help="environment variable holding the key or PFX password")
    p.add_argument("--ca-bundle", metavar="FILE",
                   help="trust store (PEM); default: Mozilla's, through certifi")
    _json(p)

    p = _verb(cert_sub, "convert", "cert:convert",
              "write the form Azure wants: PEM full chain, leaf first, unencrypted PEM key")
    p.add_argument("input", metavar="INPUT", help="PEM, DER, PKCS#12 or PKCS#7 input")
    p.add_argument("--out-cert", metavar="FILE", required=True)
    p.add_argument("--out-key", metavar="FILE")
    p.add_argument("--key", metavar="KEY", help="a separate private key file to convert")
    p.add_argument("--password-env", metavar="VAR")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    _json(p)

    p = _verb(cert_sub, "selfsigned", "cert:selfsigned",
              "make a self-signed certificate, for development only")
    p.add_argument("--cname", metavar="NAME", required=True)
    p.add_argument("--out-cert", metavar="FILE", required=True)
    p.add_argument("--out-key", metavar="FILE", required=True)
    p.add_argument("--days", metavar="N", type=int, default=90)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    _json(p)

    p = _verb(cert_sub, "csr", "cert:csr", "make a private key and a certificate signing request")
    p.add_argument("--cname", metavar="NAME", required=True)
    p.add_argument("--san", metavar="NAME", action="append", default=[],
                   help="another DNS name for the certificate (repeatable)")
    p.add_argument("--out-csr", metavar="FILE", required=True)
    p.add_argument("--out-key", metavar="FILE", required=True)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    _json(p)


def _check_verbs(sub: argparse._SubParsersAction[Any]) -> None:
    """``dns`` and ``probe``: the checks that need no target."""
    p = _verb(sub, "dns", "dns:check", "does the name resolve, and to the service?")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--expect", metavar="ADDRESS_OR_NAME",
                   help="an address the name must resolve to, or a name its chain must pass")
    p.add_argument("--nameserver", metavar="IP[:PORT]", action="append", default=[],
                   help="ask this nameserver (repeatable); default: the system resolver")
    p.add_argument("--timeout", metavar="S", type=float, default=3.0)
    _add_dns_set(p)
    _json(p)

    p = _verb(sub, "probe", "probe:probe", "what a client sees: protocol, chain, trust, expiry")
    p.add_argument("urls", metavar="URL", nargs="+")
    p.add_argument("--ca-bundle", metavar="FILE")
    p.add_argument("--resolve", metavar="HOST:PORT:ADDRESS", action="append", default=[],
                   help="connect to ADDRESS for HOST:PORT, like curl (repeatable)")
    p.add_argument("--timeout", metavar="S", type=float, default=5.0)
    p.add_argument("--concurrency", metavar="N", type=int, default=50)
    _json(p)


def _add_dns_set(p: argparse.ArgumentParser) -> None:
    """``dns set TARGET --label L | --zone ZONE [--name N] [--ttl S] [--record T]``: point DNS
    at a target (the article's step 4). ``dns NAME`` stays the check; NAME ``set`` selects
    this form, whose TARGET comes next."""
    p.add_argument("set_target", metavar="TARGET", nargs="?",
                   help="with `dns set`: local://NAME or an ARM resource id")
    g = p.add_argument_group("dns set", "mlssl dns set TARGET --label L | --zone ZONE_ID")
    g.add_argument("--label", metavar="L",
                   help="AKS: the DNS label of the router's public IP (L.<region>.cloudapp."
                        "azure.com)")
    g.add_argument("--clear-label", action="store_true",
                   help="AKS: remove the router IP's DNS label (and its cloudapp name)")
    g.add_argument("--zone", metavar="ZONE_ID",
                   help="an Azure DNS zone's ARM id (or `local` for local targets)")
    g.add_argument("--name", dest="record_name", metavar="NAME",
                   help="the name to point (default: the target's --cname)")
    g.add_argument("--ttl", metavar="S", type=int, default=300)
    g.add_argument("--record", metavar="A|alias|CNAME",
                   help="record kind (default: alias on AKS, A elsewhere)")
    g.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    g.add_argument("--yes", action="store_true", help="replace an existing record unasked")
    g.add_argument("--no-verify", action="store_true",
                   help="skip asking the zone's nameservers afterwards")


def _add_dns_zone(p: argparse.ArgumentParser) -> None:
    """``enable|update ... --cname NAME --dns-zone ZONE_ID``: the record in the same plan."""
    p.add_argument("--dns-zone", metavar="ZONE_ID",
                   help="also point --cname at the service in this Azure DNS zone (`local`"
                        " for local targets): planned, applied, verified, rolled back together")
    p.add_argument("--dns-record", metavar="A|alias|CNAME",
                   help="with --dns-zone: record kind (default: alias on AKS, A elsewhere)")
    p.add_argument("--dns-ttl", metavar="S", type=int, default=300)


def _target_verbs(sub: argparse._SubParsersAction[Any]) -> None:
    """``status``, ``enable | update | disable | apply``, ``history``."""
    p = _verb(sub, "status", "targets:status", "TLS status, name, address and expiry of a target")
    p.add_argument("target", metavar="TARGET")
    _json(p)

    p = _verb(sub, "enable", "targets:enable", "turn TLS on")
    _change_flags(p, needs_settings=True)
    _add_dns_zone(p)
    p = _verb(sub, "update", "targets:update", "change or renew the certificate")
    _change_flags(p, needs_settings=True)
    _add_dns_zone(p)
    p = _verb(sub, "disable", "targets:disable", "turn TLS off (asks for confirmation)")
    _change_flags(p, needs_settings=False)

    p = _verb(sub, "apply", "apply:apply",
              "apply settings given as YAML (the %%%%mlssl cell body, or --file)")
    _change_flags(p, needs_settings=False)
    p.add_argument("--file", metavar="FILE", help="YAML file with the desired settings")

    p = _verb(sub, "history", "targets:history", "every change attempted on a target")
    p.add_argument("target", metavar="TARGET")
    p.add_argument("--limit", metavar="N", type=int, default=50)
    _json(p)


def _local_verbs(sub: argparse._SubParsersAction[Any]) -> None:
    """``local deploy | stop | list``."""
    local = sub.add_parser("local", help="run a model as a local scoring service",
                           description="run a model as a local scoring service")
    local_sub = local.add_subparsers(dest="local_verb", metavar="ACTION",
                                     parser_class=ArgumentParser)
    local_sub.required = True
    p = _verb(local_sub, "deploy", "local:deploy", "start a scoring service for a model")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--model", metavar="FILE", required=True, help="a pickled fitted model")
    p.add_argument("--entry-script", metavar="FILE", help="a score.py with init() and run()")
    _json(p)
    p = _verb(local_sub, "stop", "local:stop", "stop a local scoring service")
    p.add_argument("name", metavar="NAME")
    _json(p)
    p = _verb(local_sub, "list", "local:services", "list local scoring services")
    _json(p)


def _acme_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """How an ACME certificate is ordered (``cert acme``, ``enable|update --acme``)."""
    group = parser.add_argument_group("ACME (free, automatic certificates by DNS-01)")
    if required:
        group.add_argument("--cname", metavar="NAME", required=True)
    group.add_argument("--san", metavar="NAME", action="append", default=[],
                       help="another DNS name for the certificate (repeatable)")
    if "--dns-zone" not in parser._option_string_actions:  # enable|update have it (dns set)
        group.add_argument("--dns-zone", metavar="ZONE_ID",
                           help="publish the TXT records in this Azure DNS zone")
    group.add_argument("--dns", metavar="local://NAME|manual",
                       help="publish in the local target's nameserver, or show them to you")
    group.add_argument("--directory", metavar="URL",
                       help="ACME directory: letsencrypt (default), letsencrypt-staging, "
                       "zerossl, google, or a URL")
    group.add_argument("--eab-kid", metavar="K", help="external account binding key id")
    group.add_argument("--eab-hmac-env", metavar="VAR",
                       help="environment variable holding the EAB HMAC key")
    group.add_argument("--email", metavar="A", help="account contact address")
    group.add_argument("--acme-ca-bundle", metavar="FILE",
                       help="trust store for the ACME server itself (an internal CA)")


def _acme_verbs(sub: argparse._SubParsersAction[Any]) -> None:
    """``cert acme``, ``enable|update --acme``, ``renew``."""
    cert = sub.choices["cert"]
    cert_sub = next(a for a in cert._actions if isinstance(a, argparse._SubParsersAction))
    p = _verb(cert_sub, "acme", "acme:cert_acme",
              "get a free certificate from an ACME CA by DNS-01")
    _acme_options(p, required=True)
    p.add_argument("--out-cert", metavar="FILE", required=True)
    p.add_argument("--out-key", metavar="FILE", required=True)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    _json(p)
    for verb in ("enable", "update"):
        p = sub.choices[verb]
        p.add_argument("--acme", action="store_true",
                       help="order the certificate by ACME and install it, in one plan")
        _acme_options(p, required=False)
    p = _verb(sub, "renew", "acme:renew",
              "renew what the target has (Microsoft-provided or ACME-managed)")
    _change_flags(p, needs_settings=False)
    p.add_argument("--force", action="store_true",
                   help="renew an ACME certificate now, before its renewal time")


def _fleet_verbs(sub: argparse._SubParsersAction[Any]) -> None:
    """``fleet`` (the inventory) and ``watch`` (for cron and CI)."""
    def scope(p: argparse.ArgumentParser) -> None:
        p.add_argument("--subscription", metavar="S", action="append", default=[],
                       help="only this subscription (repeatable); default: every one the"
                            " caller can read, through Azure Resource Graph")
        p.add_argument("--workspace", metavar="ID", action="append", default=[],
                       help="only this workspace's ARM id (repeatable; no Resource Graph)")
        p.add_argument("--local", action="store_true",
                       help="include local targets (alone: local targets only)")
        p.add_argument("--ca-bundle", metavar="FILE", help="trust store for the probes")
        p.add_argument("--concurrency", metavar="N", type=int, default=64,
                       help="at most N requests at once")
        p.add_argument("--timeout", metavar="S", type=float, default=5.0,
                       help="seconds per probe")
        _json(p)

    p = _verb(sub, "fleet", "fleet:fleet",
              "every endpoint's TLS in one table, worst first")
    scope(p)
    p.add_argument("--probe", action="store_true", help="probe each endpoint too")

    p = _verb(sub, "watch", "fleet:watch",
              "for cron and CI: exit 0 nothing due, 1 due / expired / failing, 2 an error")
    p.add_argument("targets", metavar="TARGET", nargs="*",
                   help="targets to watch (default: the fleet, as --subscription etc. say)")
    p.add_argument("--fleet", action="store_true",
                   help="watch the fleet (the default when no TARGET is given)")
    p.add_argument("--renew", action="store_true",
                   help="renew what is due (Microsoft-provided and ACME certificates)")
    scope(p)
