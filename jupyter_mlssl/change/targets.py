"""Open a target for the faces and the API: the target layer's ``open_target`` with the probe
lent to it.

Azure targets' ``status`` reads the live certificate, and targets may not import the checks
layer, so the layer above both (this one) passes the probe's ``certificate_facts`` in. Faces
call this rather than the package's ``connect`` so that no face imports the API (which builds
a face itself: ``panel``), and the import graph stays free of cycles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mlssl.targets.base import Target


def open_for_change(target: str, *, credential: Any = None,
                    arm_endpoint: str | None = None) -> Target:
    """The target ``target`` names (``local://NAME`` or an ARM resource id)."""
    from jupyter_mlssl.targets import open_target

    observe: Any = None
    if target.strip().lower().startswith("/subscriptions/"):
        from jupyter_mlssl.probing import certificate_facts

        observe = certificate_facts
    return open_target(target, credential=credential, arm_endpoint=arm_endpoint,
                       observe=observe)
