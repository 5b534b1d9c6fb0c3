"""The one PEM block scanner: linear, strict about armour, lenient about text between."""

from __future__ import annotations

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
