"""ARM resource ids of the deployments whose TLS this tool changes, as the portal shows them.

Accepted forms (ARM ids are case-insensitive in their fixed words; names keep their case):

* AKS inference cluster (SDK v1 compute):
  ``/subscriptions/S/resourceGroups/RG/providers/Microsoft.MachineLearningServices/workspaces/WS/computes/NAME``
* ACI web service (SDK v1): ``.../workspaces/WS/services/NAME``. v1 web services live in the
  Model Management Service, not in ARM, but ARM knows them under this child type
  (``Microsoft.MachineLearningServices/workspaces/services``) and the studio links them so; we
  use the id only to name the workspace and the service, and read and change the service
  through MMS (docs/azure-notes.md).
* Online endpoint (SDK v2): ``.../workspaces/WS/onlineEndpoints/NAME``.
* Azure ML Kubernetes extension:
  ``/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/C``
  ``/providers/Microsoft.KubernetesConfiguration/extensions/NAME`` (or
  ``Microsoft.Kubernetes/connectedClusters/C`` for Arc), or the cluster id alone, in which case
  the extension of type ``microsoft.azureml.kubernetes`` is looked up.

azure-mgmt-core's ``parse_resource_id`` accepts almost any string (``"garbage"`` parses), so a
small strict walk over the segments is done here instead: it lets the error name the exact
segment that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_mlssl.errors import InputError

ML_NAMESPACE = "Microsoft.MachineLearningServices"
K8S_CONFIG_NAMESPACE = "Microsoft.KubernetesConfiguration"
CLUSTER_TYPES = {
    "microsoft.containerservice/managedclusters": ("Microsoft.ContainerService", "managedClusters"),
    "microsoft.kubernetes/connectedclusters": ("Microsoft.Kubernetes", "connectedClusters"),
}
#: child type under a workspace -> target kind
WORKSPACE_CHILDREN = {
    "computes": "aks",
    "services": "aci",
    "onlineendpoints": "managed-online-endpoint",
}

FORMS = (
    "expected /subscriptions/<sub>/resourceGroups/<rg>/providers/"
    "Microsoft.MachineLearningServices/workspaces/<ws>/{computes|services|onlineEndpoints}/<name> "
    "or /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerService/"
    "managedClusters/<cluster>[/providers/Microsoft.KubernetesConfiguration/extensions/<name>]"
)


@dataclass(frozen=True)
class ResourceRef:
    """The parts of a target id that the Azure calls need, and that error messages name."""

    id: str
    kind: str  # aks | aci | managed-online-endpoint | k8s-extension
    subscription: str
    resource_group: str
    workspace: str | None = None
    name: str | None = None  # compute, service, endpoint or extension name (None: look it up)
    cluster_namespace: str | None = None  # Microsoft.ContainerService | Microsoft.Kubernetes
    cluster_type: str | None = None  # managedClusters | connectedClusters
    cluster_name: str | None = None

    # -- paths --------------------------------------------------------------------------
    @property
    def resource_group_path(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    @property
    def workspace_path(self) -> str:
        return (
            f"{self.resource_group_path}/providers/{ML_NAMESPACE}/workspaces/{self.workspace}"
        )

    @property
    def cluster_path(self) -> str:
        return (
            f"{self.resource_group_path}/providers/{self.cluster_namespace}/"
            f"{self.cluster_type}/{self.cluster_name}"
        )

    @property
    def extensions_path(self) -> str:
        return f"{self.cluster_path}/providers/{K8S_CONFIG_NAMESPACE}/extensions"

    def with_name(self, name: str) -> ResourceRef:
        from dataclasses import replace

        return replace(self, name=name)

    # -- words for messages -------------------------------------------------------------
    def part(self, which: str) -> str:
        """Name one part of the id the way a 404 message should ("resource group 'rg'")."""
        if which == "subscription":
            return f"subscription '{self.subscription}'"
        if which == "resource_group":
            return f"resource group '{self.resource_group}'"
        if which == "workspace":
            return f"workspace '{self.workspace}'"
        if which == "cluster":
            return f"cluster '{self.cluster_name}'"
        return f"{self.thing} '{self.name}'"

    @property
    def thing(self) -> str:
        return {
            "aks": "compute",
            "aci": "web service",
            "managed-online-endpoint": "online endpoint",
            "k8s-extension": "extension",
        }[self.kind]

    @property
    def parent(self) -> str:
        """The part right above the named resource (a workspace or a cluster)."""
        return "cluster" if self.kind == "k8s-extension" else "workspace"


def segment_ok(seg: str) -> bool:
    """Can ``seg`` be one segment of an ARM id? Each becomes a segment of an ARM URL: '..'
    would address another resource than the one named (a PUT on the workspace), '?', '#'
    or '%' another URL."""
    return bool(seg) and seg not in (".", "..") and seg.isprintable() and not any(
        c.isspace() or c in "?#%\\" for c in seg
    )


def parse(target_id: str) -> ResourceRef:
    """Parse a portal ARM id into a :class:`ResourceRef`, or raise a one-line InputError."""
    raw = str(target_id or "").strip()
    text = raw.rstrip("/")
    segs = text.split("/")
    if len(segs) < 2 or segs[0] != "" or segs[1].lower() != "subscriptions":
        raise InputError(f"{raw or '(empty)'}: not an ARM resource id; {FORMS}")
    segs = segs[1:]
    if any(s == "" for s in segs):
        raise InputError(f"{raw}: empty segment ('//') in the ARM id; {FORMS}")
    for seg in segs:
        if not segment_ok(seg):
            raise InputError(f"{raw}: '{seg}' cannot be part of an ARM id (no '.', '..', "
                             f"spaces, control characters or ?#%\\); {FORMS}")

    def expect(i: int, word: str) -> None:
        got = segs[i] if i < len(segs) else None
        if got is None or got.lower() != word.lower():
            raise InputError(
                f"{raw}: expected '{word}' at segment {i + 1}, found '{got or '(end)'}'; {FORMS}"
            )

    def value(i: int, what: str) -> str:
        if i >= len(segs):
            raise InputError(f"{raw}: the id ends before the {what}; {FORMS}")
        return segs[i]

    expect(0, "subscriptions")
    sub = value(1, "subscription id")
    expect(2, "resourceGroups")
    rg = value(3, "resource group name")
    expect(4, "providers")
    namespace = value(5, "provider namespace")
    rtype = value(6, "resource type")
    rname = value(7, "resource name")
    rest = segs[8:]

    if namespace.lower() == ML_NAMESPACE.lower():
        return _workspace_child(raw, sub, rg, namespace, rtype, rname, rest)
    return _cluster_extension(raw, sub, rg, namespace, rtype, rname, rest)


def _workspace_child(raw: str, sub: str, rg: str, namespace: str, rtype: str, rname: str,
                     rest: list[str]) -> ResourceRef:
    """``.../workspaces/<ws>/{computes|services|onlineEndpoints}/<name>``."""
    if rtype.lower() != "workspaces":
        raise InputError(
            f"{raw}: '{namespace}/{rtype}' is not a workspace; {FORMS}"
        )
    if len(rest) != 2:
        raise InputError(
            f"{raw}: a workspace id alone is not a target; add /computes/<name>, "
            f"/services/<name> or /onlineEndpoints/<name>"
        )
    child, name = rest
    kind = WORKSPACE_CHILDREN.get(child.lower())
    if kind is None:
        raise InputError(
            f"{raw}: '{child}' is not a deployment type; use computes (AKS inference "
            "cluster), services (ACI web service) or onlineEndpoints"
        )
    return ResourceRef(raw, kind, sub, rg, workspace=rname, name=name)


def _cluster_extension(raw: str, sub: str, rg: str, namespace: str, rtype: str, rname: str,
                       rest: list[str]) -> ResourceRef:
    """A Kubernetes cluster, optionally ``/providers/Microsoft.KubernetesConfiguration/
    extensions/<name>`` (the Azure ML extension)."""
    cluster = CLUSTER_TYPES.get(f"{namespace}/{rtype}".lower())
    if cluster is None:
        raise InputError(f"{raw}: '{namespace}/{rtype}' is not a deployment target; {FORMS}")
    ext_name: str | None = None
    if rest:
        if (
            len(rest) != 4
            or rest[0].lower() != "providers"
            or rest[1].lower() != K8S_CONFIG_NAMESPACE.lower()
            or rest[2].lower() != "extensions"
        ):
            raise InputError(
                f"{raw}: after the cluster expected /providers/{K8S_CONFIG_NAMESPACE}/"
                "extensions/<name>"
            )
        ext_name = rest[3]
    return ResourceRef(
        raw,
        "k8s-extension",
        sub,
        rg,
        name=ext_name,
        cluster_namespace=cluster[0],
        cluster_type=cluster[1],
        cluster_name=rname,
    )
