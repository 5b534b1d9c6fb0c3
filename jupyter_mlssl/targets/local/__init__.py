"""The local target: a real scoring service on this machine, secured like an AKS compute.

``LocalTarget.from_id("local://NAME")`` is what ``jupyter_mlssl.connect`` returns for local
ids. This package imports only the standard library at module level, because the scoring
service process (``service.py``) starts through it and must start fast.
"""

from __future__ import annotations

from jupyter_mlssl.targets.local.apply import WithApply

__all__ = ["LocalTarget"]


class LocalTarget(WithApply):
    """A local scoring service, as a :class:`~jupyter_mlssl.targets.base.Target`.

    Built in layers, one module each: ``target.py`` (name, state, lock, admin channel,
    process), ``status.py``, ``plan.py``, ``apply.py`` (apply and rollback).
    """
