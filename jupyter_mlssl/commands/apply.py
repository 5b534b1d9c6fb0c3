"""``%%mlssl apply TARGET`` / ``mlssl apply TARGET --file FILE``: desired settings as YAML.

The YAML is checked first (``settings_yaml``: every error names its line), then the files
it names are read, then the shared workflow runs: plan shown -> apply -> verify -> record,
exactly as ``enable``/``update``/``disable`` do. Whether this is an enable, an update, a
renewal or a disable follows from the target's current state and the YAML's ``status``;
disabling needs ``--yes`` in a notebook, which has no prompt.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.commands import Context
from jupyter_mlssl.errors import InputError

if TYPE_CHECKING:
    from jupyter_mlssl.change.settings_yaml import DesiredOptions


def read_options(args: argparse.Namespace, ctx: Context) -> DesiredOptions:
    """The checked YAML from the cell body or ``--file`` (exactly one of them)."""
    from jupyter_mlssl.change import settings_yaml

    cell = ctx.cell if ctx.cell is not None and ctx.cell.strip() else None
    if cell is not None and args.file:
        raise InputError("apply: give the settings either in the cell body or with --file, "
                         "not both")
    if cell is not None:
        return settings_yaml.parse(cell, source="%%mlssl cell", first_line=2)
    if not args.file:
        raise InputError("apply: no settings; write YAML in the %%mlssl cell body "
                         "(or pass --file FILE), e.g. 'status: enabled' / 'cname: ...'")
    path = Path(args.file).expanduser()
    text = read_settings_file(path, str(args.file))
    return settings_yaml.parse(text, source=str(args.file), base_dir=path.parent)


def read_settings_file(path: Path, shown: str) -> str:
    """The text of a settings file: a regular file of at most ``MAX_BYTES``.

    Opened non-blocking so a FIFO does not hang the command waiting for a writer, checked
    with ``fstat`` on the open descriptor (no race with a rename), and read only up to the
    bound plus one byte: ``/dev/zero`` or a huge file is refused without reading it all.
    """
    import os
    import stat

    from jupyter_mlssl.change.settings_yaml import MAX_BYTES

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or "not a valid path"
        raise InputError(f"{shown}: cannot read the settings file ({reason}); "
                         "check the path") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "a device"
                    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
            raise InputError(f"{shown}: is {kind}; give a YAML settings file")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read the settings file ({exc.strerror}); "
                         "check the path") from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise InputError(f"{shown}: larger than {MAX_BYTES} bytes; a settings file is a few "
                         "short lines")
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not UTF-8 text (byte {exc.start}); give a YAML "
                         "settings file") from None


def _check_files(options: DesiredOptions) -> None:
    """A missing cert/key file is reported at its YAML line, before anything is planned."""
    for name in ("cert", "key"):
        value = getattr(options, name)
        if value and not Path(value).expanduser().is_file():
            raise InputError(f"{options.where(name)}: {name}: {value}: no such file; "
                             "give the path of the file (relative to the notebook's folder)")


#: the CLI's flags, as the YAML spells them (the shared validation speaks in flags)
FLAG_KEYS = {
    "--leaf-domain-label": "leaf_domain_label",
    "--overwrite-existing-domain": "overwrite_existing_domain",
    "--password-env": "password_env",
    "--renew": "renew",
    "--cname": "cname",
    "--cert": "cert",
    "--key": "key",
}


def yaml_error(exc: InputError, options: DesiredOptions) -> InputError:
    """``exc`` reworded for a YAML author: keys instead of flags, and the line it is about
    (the first key it names, or whose value it quotes)."""
    text = str(exc)
    about = None
    for flag, key in FLAG_KEYS.items():
        if flag in text:
            about = about or key
            text = text.replace(flag, key)
    if about is None:
        for key in ("key", "cert", "cname", "leaf_domain_label"):
            value = getattr(options, key)
            if value and str(value) in text:
                about = key
                break
    where = options.where(about) if about and about in options.lines else options.source
    return InputError(f"{where}: {text}", code=exc.code)


def apply(args: argparse.Namespace, ctx: Context) -> Any:
    options = read_options(args, ctx)
    _check_files(options)
    password = ctx.password(options.password_env)

    from jupyter_mlssl.change.settings import settings_from_options
    from jupyter_mlssl.change.workflow import change, plan_change

    target = ctx.target(args.target)
    if options.acme is not None:  # a free certificate: ordered, then the same workflow
        return _apply_acme(args, ctx, target, options)
    current = target.status().ssl
    try:
        desired = settings_from_options(
            leaf_domain_label=options.leaf_domain_label,
            overwrite_existing_domain=options.overwrite_existing_domain,
            cert=options.cert,
            key=options.key,
            cname=options.cname,
            password=password,
            renew=options.renew,
            disable=options.disable,
            current=current,
        )
    except InputError as exc:
        raise yaml_error(exc, options) from None
    # The plan, line by line, before anything happens: a notebook cell shows these lines
    # as they come, and the change below can take minutes on Azure.
    preview = plan_change(target, desired, ca_bundle=args.ca_bundle)
    ctx.progress(preview.summary())
    for item in preview.changes:
        ctx.progress(f"  {item.field}: {item.before or '-'} -> {item.after or '-'}")
    if options.dns_zone:  # `dns_zone:` in the YAML: the record in the same plan
        from jupyter_mlssl.change.dns_change import change_with_dns

        return change_with_dns(
            target, desired, zone=options.dns_zone, record=options.dns_record,
            ttl=options.dns_ttl or 300, dry_run=args.dry_run, yes=args.yes, confirm=ctx.confirm,
            verify=not args.no_verify, ca_bundle=args.ca_bundle, progress=ctx.progress)
    return change(
        target,
        desired,
        action=None,  # the target's plan names it: enable, update, renew or disable
        dry_run=args.dry_run,
        yes=args.yes,
        confirm=ctx.confirm,
        verify=not args.no_verify,
        ca_bundle=args.ca_bundle,
        progress=ctx.progress,
    )


def _apply_acme(args: argparse.Namespace, ctx: Context, target: Any,
                options: DesiredOptions) -> Any:
    """``acme:`` in the YAML: the order of ``enable|update --acme``."""
    from jupyter_mlssl.acme.directories import directory_url
    from jupyter_mlssl.acme.renewal import enable_with_acme
    from jupyter_mlssl.commands.acme import _ask_in_terminal

    acme = options.acme or {}
    order = {
        "names": [options.cname, *acme.get("san", [])],
        "dns": acme.get("dns"), "dns_zone": acme.get("dns_zone"),
        "directory": directory_url(acme.get("directory")), "email": acme.get("email"),
        "eab_kid": acme.get("eab_kid"), "eab_hmac_env": acme.get("eab_hmac_env"),
        "acme_ca_bundle": acme.get("ca_bundle"),
    }
    action = "update" if target.status().ssl.tls_on else "enable"
    return enable_with_acme(target, order, action=action, yes=args.yes, confirm=ctx.confirm,
                            dry_run=args.dry_run, ca_bundle=args.ca_bundle,
                            verify=not args.no_verify, environ=ctx.environ,
                            progress=ctx.progress, ask=_ask_in_terminal(ctx),
                            credential=ctx.credential(),
                            arm_endpoint=ctx.defaults.get("arm_endpoint"))
