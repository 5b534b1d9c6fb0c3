"""Desired TLS settings written as YAML (the ``%%mlssl apply`` cell body, or ``--file``).

    status: enabled            # enabled | disabled | auto
    cname: api.contoso.com
    cert: fullchain.pem        # file paths: key material never goes in a notebook cell
    key: key.pem
    password_env: KEY_PASSWORD # the variable holding the key's password, not the password

The text is checked against a small schema before anything else happens, and every error
names the line it is about. PyYAML's composed node tree carries those marks; building
values from the nodes (rather than ``safe_load`` then re-finding keys) keeps each value
tied to its line and lets duplicate keys be refused instead of silently overwritten.
Values are never echoed in errors for ``cert``/``key``: a pasted key must not reappear.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jupyter_mlssl.errors import InputError

STATUSES = ("enabled", "disabled", "auto")

#: key -> (python type, description used in errors)
SCHEMA: dict[str, tuple[type, str]] = {
    "status": (str, "one of enabled, disabled, auto"),
    "cname": (str, "a DNS name"),
    "cert": (str, "a certificate file path"),
    "key": (str, "a private key file path"),
    "leaf_domain_label": (str, "a label"),
    "overwrite_existing_domain": (bool, "true or false"),
    "renew": (bool, "true or false"),
    "password_env": (str, "an environment variable name"),
    "acme": (dict, "a mapping: dns or dns_zone, and directory, email, san, eab_kid, "
                   "eab_hmac_env, ca_bundle"),
    # `dns set` in the same plan (change/dns_change.py): the zone to point cname at
    "dns_zone": (str, "an Azure DNS zone id, or local"),
    "dns_record": (str, "A, alias or CNAME"),
    "dns_ttl": (int, "seconds"),
}

#: the keys of ``acme:`` (a free certificate ordered by ACME DNS-01, like ``--acme``)
ACME_KEYS = ("dns", "dns_zone", "directory", "email", "san", "eab_kid", "eab_hmac_env",
             "ca_bundle")

_OWN = ("cert", "key", "cname", "password_env")
_PEM = "-----BEGIN"


@dataclass
class DesiredOptions:
    """The YAML's settings, with the line each came from (for later errors)."""

    status: str | None = None
    cname: str | None = None
    cert: str | None = None
    key: str | None = None
    leaf_domain_label: str | None = None
    overwrite_existing_domain: bool = False
    renew: bool = False
    password_env: str | None = None
    acme: dict[str, Any] | None = None
    dns_zone: str | None = None
    dns_record: str | None = None
    dns_ttl: int = 300
    lines: dict[str, int] = field(default_factory=dict)
    source: str = "YAML"

    @property
    def disable(self) -> bool:
        return self.status == "disabled"

    def where(self, name: str) -> str:
        """``"<source>, line N"`` for key ``name`` (or just the source)."""
        line = self.lines.get(name)
        return f"{self.source}, line {line}" if line else self.source


#: Bounds checked before any YAML work: settings are a dozen short lines, so anything
#: beyond these is a mistake or hostile, and refusing it early keeps every answer small
#: and quick (an alias "billion laughs" of 300 bytes otherwise expands to gigabytes).
MAX_BYTES = 64 * 1024
MAX_DEPTH = 20
MAX_DIGITS = 40
MAX_VALUE = 4096  # PATH_MAX: the longest a file path setting can usefully be
_SHOWN = 80

#: what PyYAML's reader refuses (yaml.reader.Reader.NON_PRINTABLE), found here first so the
#: error names the line and the character instead of failing inside the loader
_NON_PRINTABLE = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _fail(source: str, line: int | None, message: str) -> InputError:
    where = f"{source}, line {line}" if line else source
    return InputError(f"{where}: {message}")


def shorten(value: object, limit: int = _SHOWN) -> str:
    """``repr(value)`` cut to ``limit`` characters: a user's value never fills a message."""
    text = repr(value[: limit + 1] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[:limit] + "..."


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that composes at most ``MAX_DEPTH`` levels and no aliases.

    The composer is recursive (deep nesting ends in RecursionError) and expands aliases by
    sharing nodes (a few bytes of ``&a``/``*a`` become an exponential value once
    constructed); settings need neither, so both are refused while composing, at the
    line where they occur, before any value is built.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(event.start_mark, "aliases (*name) are not accepted: settings "
                           "need none; write each value out")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(self.peek_event().start_mark,
                               f"nested more than {MAX_DEPTH} levels deep; settings are "
                               "flat 'key: value' lines")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _check_bounds(text: str, source: str, offset: int) -> None:
    # characters first: a huge cell is refused without encoding it
    size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise _fail(source, None, f"the settings are {size} bytes; at most {MAX_BYTES} are "
                    "accepted (settings are a few short lines)")
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1 + offset
        raise _fail(source, line, f"character U+{ord(bad.group()):04X} is not allowed in "
                    "YAML (a control character or an unpaired surrogate); remove it")


def _read_mapping(loader: Any, root: yaml.MappingNode, source: str,
                  line_of: Callable[[yaml.Node], int]) -> DesiredOptions:
    """Each ``key: value`` of ``root``, checked against the schema, in order."""
    options = DesiredOptions(source=source)
    for key_node, value_node in root.value:
        line = line_of(key_node)
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(name, str) or name not in SCHEMA:
            shown = shorten(name) if isinstance(name, str) else "(not a plain key)"
            hint = difflib.get_close_matches(str(name)[:_SHOWN], SCHEMA, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else "known keys: " + ", ".join(SCHEMA)
            raise _fail(source, line, f"unknown key {shown}; {fix}")
        if name in options.lines:
            raise _fail(source, line, f"'{name}' given twice (first on line "
                        f"{options.lines[name]})")
        options.lines[name] = line
        value = _construct(loader, name, value_node, source, line_of(value_node))
        setattr(options, name, _check_value(name, value, source, line_of(value_node)))
    return options


def parse(text: str, *, source: str = "YAML", first_line: int = 1,
          base_dir: str | Path | None = None) -> DesiredOptions:
    """Check ``text`` and return its options; raise :class:`InputError` naming the line.

    ``first_line`` is the line number of the text's first line where the user sees it (2 for
    a ``%%mlssl`` cell body, whose first line is the magic). Relative ``cert``/``key`` paths
    are resolved against ``base_dir`` (the YAML file's folder) when given.
    """
    offset = first_line - 1

    def line_of(node: yaml.Node) -> int:
        return node.start_mark.line + 1 + offset

    if not text or not text.strip():
        raise _fail(source, None, "no settings given; write YAML such as 'status: enabled', "
                    "'cname: ...', 'cert: FILE', 'key: FILE'")
    _check_bounds(text, source, offset)
    loader = None
    try:
        loader = _BoundedLoader(text)
        root = loader.get_single_node()
        if root is None:
            raise _fail(source, None, "no settings given (the YAML is empty)")
        if not isinstance(root, yaml.MappingNode):
            raise _fail(source, line_of(root),
                        "expected 'key: value' lines (a mapping), e.g. 'status: enabled'")
        options = _read_mapping(loader, root, source, line_of)
    except _Refused as exc:
        raise _fail(source, exc.mark.line + 1 + offset, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 + offset if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise _fail(source, where, f"not valid YAML: {' '.join(problem.split())[:120]}") from None
    except yaml.YAMLError as exc:
        # ReaderError and friends carry no line mark; their text is short and ours
        raise _fail(source, None, f"not valid YAML: {' '.join(str(exc).split())[:120]}") from None
    except (RecursionError, ValueError, OverflowError) as exc:
        # a backstop: the bounds above should make these unreachable
        raise _fail(source, None, f"not valid settings ({type(exc).__name__})") from None
    finally:
        if loader is not None:
            loader.dispose()

    _check_combination(options)
    if base_dir is not None:
        for name in ("cert", "key"):
            value = getattr(options, name)
            if value and not Path(value).expanduser().is_absolute():
                setattr(options, name, str(Path(base_dir) / value))
    return options


def _construct(loader: yaml.SafeLoader, name: str, node: yaml.Node, source: str,
               line: int) -> Any:
    """The Python value of a setting's node; only scalars are settings (and ``acme:``, a
    mapping of scalars)."""
    if name == "acme":
        return _construct_acme(loader, node, source, line)
    if not isinstance(node, yaml.ScalarNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        raise _fail(source, line, f"{name}: expected {SCHEMA[name][1]}, got {kind}")
    if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
        # int() of thousands of digits is slow, then refused (sys.int_max_str_digits)
        raise _fail(source, line, f"{name}: a number of {len(node.value)} characters; "
                    f"expected {SCHEMA[name][1]}")
    return loader.construct_object(node, deep=True)


def _construct_acme(loader: yaml.SafeLoader, node: yaml.Node, source: str,
                    line: int) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(source, line, f"acme: expected {SCHEMA['acme'][1]}")
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        at = key_node.start_mark.line + (line - node.start_mark.line)
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or key not in ACME_KEYS:
            raise _fail(source, at, f"acme: unknown key {shorten(key)}; known keys: "
                        + ", ".join(ACME_KEYS))
        if key in out:
            raise _fail(source, at, f"acme: '{key}' given twice")
        nodes = value_node.value if (key == "san" and isinstance(
            value_node, yaml.SequenceNode)) else [value_node]
        values = []
        for item in nodes:
            if not isinstance(item, yaml.ScalarNode) or len(item.value) > MAX_VALUE:
                raise _fail(source, at, f"acme: {key}: expected a short text")
            text = str(loader.construct_object(item)).strip()
            if not text or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text):
                raise _fail(source, at, f"acme: {key}: expected a name, a URL or a path")
            if key == "eab_hmac_env" and not text.replace("_", "").isalnum():
                raise _fail(source, at, "acme: eab_hmac_env: give the NAME of an environment "
                            "variable holding the HMAC key, not the key")
            values.append(text)
        out[key] = values if key == "san" else values[0]
    if not (out.get("dns") or out.get("dns_zone")):
        raise _fail(source, line, "acme: say where the TXT records go: dns: local://NAME | "
                    "manual, or dns_zone: ZONE_ID")
    return out


def _check_value(name: str, value: Any, source: str, line: int) -> Any:
    kind, described = SCHEMA[name]
    if name == "acme":
        return value
    if value is None:
        return False if kind is bool else None
    if kind is bool:
        if not isinstance(value, bool):
            raise _fail(source, line, f"{name}: expected {described}, got {shorten(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        shown = type(value).__name__ if name in ("cert", "key") else shorten(value)
        raise _fail(source, line, f"{name}: expected {described}, got {shown}")
    text = str(value).strip()
    if len(text) > MAX_VALUE:
        shown = "" if name in ("cert", "key", "password_env") else f" ({shorten(text)})"
        raise _fail(source, line, f"{name}: a value of {len(text)} characters{shown}; at most "
                    f"{MAX_VALUE} are accepted")
    if name in ("cert", "key") and _PEM in text:
        raise _fail(source, line, f"{name}: give a file path, not the PEM text itself "
                    "(key material must never be written in a notebook)")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text):
        # a double-quoted "\e" or "\0": a terminal escape or a truncated path, never a setting
        raise _fail(source, line, f"{name}: contains a control character; remove it")
    if name == "status":
        lowered = text.lower()
        if lowered not in STATUSES:
            hint = difflib.get_close_matches(lowered, STATUSES, n=1)
            fix = f"; did you mean '{hint[0]}'?" if hint else ""
            raise _fail(source, line, f"status: expected {described}, got "
                        f"{shorten(text)}{fix}")
        return lowered
    if name == "password_env" and not text.replace("_", "").isalnum():
        # Do not echo it: this is where a password typed by mistake would sit.
        raise _fail(source, line, "password_env: give the NAME of an environment variable "
                    "holding the password, not the password")
    if not text:
        raise _fail(source, line, f"{name}: expected {described}, got an empty value")
    if kind is int:
        if not text.isdigit() or not 0 < int(text) < 2**31:
            raise _fail(source, line, f"{name}: expected {described}, got {shorten(text)}")
        return int(text)
    return text


def _check_combination(o: DesiredOptions) -> None:
    own = [n for n in _OWN if getattr(o, n)]
    if o.status is None or (o.status == "enabled" and o.leaf_domain_label):
        # A Microsoft-provided certificate is Azure's status Auto; 'enabled' plus a label
        # is how the classic SDK spelled it (ssl_enabled=True, ssl_leaf_domain_label=...).
        o.status = "auto" if o.leaf_domain_label else "enabled"
    if o.status == "disabled":
        extra = [n for n in (*_OWN, "leaf_domain_label", "renew", "overwrite_existing_domain",
                             "acme") if getattr(o, n)]
        if extra:
            raise _fail(o.source, o.lines.get(extra[0]),
                        f"{extra[0]}: not used with 'status: disabled'; remove it")
        return
    if o.leaf_domain_label and own:
        raise _fail(o.source, o.lines.get(own[0]),
                    f"{own[0]}: a Microsoft-provided certificate (leaf_domain_label) and your "
                    "own certificate exclude each other; keep one")
    if o.status == "auto" and not o.leaf_domain_label:
        raise _fail(o.source, o.lines.get("status"),
                    "status: auto needs leaf_domain_label (the Microsoft-provided name)")
    if o.overwrite_existing_domain and not o.leaf_domain_label:
        raise _fail(o.source, o.lines.get("overwrite_existing_domain"),
                    "overwrite_existing_domain: only used with leaf_domain_label")
    if o.acme is not None:
        given = [n for n in ("cert", "key", "password_env", "leaf_domain_label", "renew")
                 if getattr(o, n)]
        if given:
            raise _fail(o.source, o.lines.get(given[0]),
                        f"{given[0]}: acme orders the certificate; remove {given[0]}")
        if o.status != "enabled" or not o.cname:
            raise _fail(o.source, o.lines.get("acme"),
                        "acme: needs cname (and status: enabled)")
        return
    if o.status == "enabled" and not o.leaf_domain_label:
        missing = [n for n in ("cert", "key", "cname") if not getattr(o, n)
                   # a PKCS#12 bundle carries its key (checked when the file is read)
                   and not (n == "key" and (o.cert or "").lower().endswith((".pfx", ".p12")))]
        if missing:
            raise _fail(o.source, o.lines.get("status"),
                        f"status: enabled with your own certificate needs cert, key and cname; "
                        f"missing: {', '.join(missing)}")
