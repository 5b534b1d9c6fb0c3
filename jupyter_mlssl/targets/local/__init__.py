"""The local target: a real scoring service on this machine, secured like an AKS compute.

``LocalTarget.from_id("local://NAME")`` is what ``jupyter_mlssl.connect`` returns for local
ids. This package imports only the standard library at module level, because the scoring
service process (``service.py``) starts through it and must start fast.
"""

from __future__ import annotations

from jupyter_mlssl.targets.local.target import LocalTarget

__all__ = ["LocalTarget"]
