"""The storage layer: where state lives and how it is written.

``paths``: the state directory; ``files``: atomic, private writes; ``history``: the SQLite
audit log of every change. Standard library only, so every layer may use it.
"""
