"""The one PEM block scanner: linear, strict about armour, lenient about text between."""

from __future__ import annotations

import bisect
import re

_LABEL = re.compile(rb"[A-Z0-9 #]+")
#: Longest label we look for ("ENCRYPTED PRIVATE KEY", "NEW CERTIFICATE REQUEST" are shorter).
MAX_LABEL = 64


def pem_blocks(data: bytes, limit: int | None = None) -> tuple[list[tuple[bytes, bytes]], bool]:
    """``([(label, whole block)], truncated)``; truncated when a BEGIN has no END.

    ``limit``: stop once more than this many blocks are found (the caller refuses the file).

    One forward scan, linear in the input: after a BEGIN line the next armour line must be
    its END line (a BEGIN before it, a different END or none at all is a truncated block,
    and the scan stops there: the file is refused anyway). Text between blocks is skipped,
    as OpenSSL does.
    """
    blocks: list[tuple[bytes, bytes]] = []
    begin_mark, end_mark = b"-----BEGIN ", b"-----END "
    pos = 0
    while True:
        begin = data.find(begin_mark, pos)
        if begin < 0:
            return blocks, False
        label_at = begin + len(begin_mark)
        close = data.find(b"-----", label_at, label_at + MAX_LABEL + 5)
        label = data[label_at:close] if close >= 0 else b""
        if not _LABEL.fullmatch(label):
            pos = label_at  # not an armour line (e.g. "-----BEGIN x-----" in prose)
            continue
        body = close + 5
        end = data.find(end_mark, body)
        stray = data.find(begin_mark, body, end if end >= 0 else len(data))
        footer = end_mark + label + b"-----"
        if end < 0 or stray >= 0 or not data.startswith(footer, end):
            return blocks, True
        pos = end + len(footer)
        blocks.append((label, data[begin:pos]))
        if limit is not None and len(blocks) > limit:
            return blocks, False


# Private-key armour of any flavour (RSA, EC, ENCRYPTED, ...). Built from parts so no
# tracked file carries the literal header.
_KEY_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----")
_KEY_END = re.compile(rb"-----END ([A-Z0-9 ]*)PRIVATE KEY-----\r?\n?")


def split_private_keys(data: bytes) -> tuple[bytes, list[bytes]]:
    """``(data without its private-key blocks, [the key blocks])``.

    A block runs from a BEGIN line to the next END line of the same label (with its line
    break); a BEGIN without one stays in the data. Every END line is indexed once, so this
    is linear in the input whatever it holds: a lazy ``BEGIN(.*?)END`` pattern rescans the
    rest of the input from every unterminated BEGIN (4,000 such lines took 1.8 s).
    """
    ends: dict[bytes, list[tuple[int, int]]] = {}
    for match in _KEY_END.finditer(data):
        ends.setdefault(match.group(1), []).append((match.start(), match.end()))
    kept: list[bytes] = []
    keys: list[bytes] = []
    pos = 0
    for begin in _KEY_BEGIN.finditer(data):
        if begin.start() < pos:
            continue  # inside a block already taken
        candidates = ends.get(begin.group(1), [])
        at = bisect.bisect_left(candidates, (begin.end(), -1))
        if at == len(candidates):
            continue
        stop = candidates[at][1]
        kept.append(data[pos:begin.start()])
        keys.append(data[begin.start():stop])
        pos = stop
    kept.append(data[pos:])
    return b"".join(kept), keys
