"""ARM and MMS bodies, broken or hostile: a row, a status or a one-line error, never a traceback.

Property-based (hypothesis): the recorded bodies (tests/azure/data/fleet_bodies.json, shaped as
the official REST examples, and the fake ARM's own) are mutated key by key: dropped, null,
the wrong type (a list for an object, a number for a string), Unicode, 100,000 characters,
URLs that do not parse. Every reader that turns such a body into a fleet row or a target's
status must answer with rows / a status whose text fields are text, or a ``MlsslError``
with a one-line message; never KeyError, TypeError, AttributeError or ValueError. And the
inventory keeps the other rows of a workspace when one item is garbage.

The fleet readers are pure and called directly; the targets' ``_status_of`` runs on a target
opened against the fake ARM on loopback (what it reads besides the body, the cluster and its
router IP, comes from there), with no certificate observer, so nothing is probed.

Bounded: ``derandomize=True``, ``database=None``, a deadline, a few hundred examples.
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.fleet.inventory import workspace_rows
from jupyter_mlssl.fleet.rows import (
    FleetRow,
    compute_rows,
    endpoint_rows,
    extension_rows,
    kubernetes_clusters,
    service_rows,
)
from jupyter_mlssl.targets.azure.online_endpoint import read_endpoint
from tests.azure.conftest import FAST
from tests.azure.fakearm import aks_compute
from tests.fuzzing import fuzz

BODIES = json.loads((Path(__file__).parent / "data" / "fleet_bodies.json").read_text())
COMPUTES = [*BODIES["computes"], aks_compute(ssl_config={"status": "Enabled",
                                                          "cname": "api.contoso.com"})]
EXTENSIONS = BODIES["extensions"]["value"]
ENDPOINTS = BODIES["online_endpoints"]
SERVICES = BODIES["mms_services"]["value"]
WS = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg/providers/" \
     "Microsoft.MachineLearningServices/workspaces/my-aml-workspace"
MAX_LINE = 300



WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from([
        "", "x" * 100_000, "\x00\n\u202e\ud7ff", "https://[::1", "http://[bad/score",
        "https://host:99999/", "https://exa mple.com/", "//no-scheme", "true", "Enabled",
        [], [None, 1, "a"], [{}], {}, {"error": "text"}, {"message": None}, {"a": [None]},
    ]),
)


def mutate(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """``value`` with some of its parts dropped, nulled, of the wrong type, or mutated."""
    if depth > 6:
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            action = data.draw(st.sampled_from(["keep", "keep", "keep", "deeper", "deeper",
                                                "drop", "wrong"]))
            if action == "drop":
                continue
            out[key] = (data.draw(WRONG) if action == "wrong"
                        else mutate(data, item, depth + 1) if action == "deeper" else item)
        return out
    if isinstance(value, list):
        items = [mutate(data, item, depth + 1) for item in value]
        if data.draw(st.integers(0, 5)) == 0:
            items.append(data.draw(WRONG))
        return items
    return data.draw(WRONG) if data.draw(st.integers(0, 9)) == 0 else value


def body_from(data: st.DataObject, seeds: list[dict]) -> Any:
    seed = copy.deepcopy(data.draw(st.sampled_from(seeds)))
    if data.draw(st.integers(0, 19)) == 0:  # now and then not an object at all
        return data.draw(WRONG)
    return mutate(data, seed)


def check_rows(rows: list[FleetRow]) -> None:
    assert isinstance(rows, list)
    for row in rows:
        assert isinstance(row, FleetRow)
        for name in ("target", "kind", "tls", "name", "detail"):
            assert isinstance(getattr(row, name), str), (name, getattr(row, name))
        for name in ("address", "state", "scoring_uri", "error"):
            value = getattr(row, name)
            assert value is None or isinstance(value, str), (name, value)
        row.to_dict()
        assert row.verdict  # judged without raising


@fuzz(300)
@given(st.data())
def test_compute_rows_and_their_cluster(data):
    body = body_from(data, COMPUTES)
    check_rows(compute_rows(body))
    cluster = kubernetes_clusters(body)
    assert cluster is None or isinstance(cluster, str)


@fuzz(300)
@given(st.data())
def test_extension_rows(data):
    check_rows(extension_rows(body_from(data, EXTENSIONS)))


@fuzz(300)
@given(st.data())
def test_online_endpoint_rows(data):
    body = body_from(data, ENDPOINTS)
    check_rows(endpoint_rows(body))
    read = read_endpoint(body)
    for name in ("scoring_uri", "fqdn", "state"):
        assert read[name] is None or isinstance(read[name], str), (name, read[name])


@fuzz(300)
@given(st.data())
def test_v1_service_rows(data):
    check_rows(service_rows(body_from(data, SERVICES), WS))


def test_regressions_that_raised():
    # each raised AttributeError / TypeError / ValueError before
    aks = copy.deepcopy(COMPUTES[-1])
    aks["properties"]["properties"]["systemServices"] = ["10.0.0.1", None]
    aks["properties"]["provisioningErrors"] = [{"error": "quota exceeded"}, "bare"]
    [row] = compute_rows(aks)
    assert row.detail == "quota exceeded; bare" and row.address == "api.contoso.com"
    assert compute_rows({"properties": ["not", "an", "object"]}) == []
    assert kubernetes_clusters({"properties": {"computeType": "Kubernetes",
                                               "resourceId": 7}}) is None
    assert endpoint_rows({"id": "e", "name": "e", "properties": {
        "scoringUri": "https://[::1/score"}})[0].address is None
    assert service_rows({"computeType": "ACI", "name": "s",
                         "scoringUri": "http://[bad/score"}, WS)[0].address is None
    assert extension_rows({"properties": {"extensionType": "Microsoft.AzureML.Kubernetes",
                                          "configurationSettings": "x"}})[0].tls == "Enabled"
    assert service_rows(["not a body"], WS) == []


def test_one_garbage_item_keeps_the_rest_of_the_workspace():
    class Reader:  # the listings as ArmReader returns them: the items of "value"
        async def get_all(self, path: str, params: dict, what: str) -> list:
            if path.endswith("/computes"):
                return [None, 3, *COMPUTES]
            return [{"properties": []}, "x", *ENDPOINTS]

        async def get(self, *args: Any, **kwargs: Any) -> Any:
            return {}

    async def run() -> list[FleetRow]:
        return await workspace_rows(Reader(), {"id": WS, "discoveryUrl": ""}, {})  # type: ignore[arg-type]

    rows = asyncio.run(run())
    check_rows(rows)
    names = {row.name for row in rows}
    assert {"managed-ok", "aks1"} <= names, names


# -- the targets' own readers, on the fake ARM -------------------------------------------------


@pytest.fixture
def open_target(fake, arm_pki, credential):
    from jupyter_mlssl.targets.azure import open_azure_target

    def _open(target_id: str) -> Any:
        return open_azure_target(target_id, credential=credential, arm_endpoint=fake.base,
                                 **{**FAST, "connection_verify": arm_pki.ca_file,
                                    "observe": None})

    return _open


def check_status(target: Any, body: Any) -> None:
    try:
        status = target._status_of(body)
    except MlsslError as exc:
        line = str(exc)
        assert "\n" not in line and len(line) <= 4 * MAX_LINE, line
        return
    for name in ("fqdn", "address", "scoring_uri", "https_uri"):
        value = getattr(status, name)
        assert value is None or isinstance(value, str), (name, value)
    assert status.ssl.status in ("Enabled", "Disabled", "Auto")
    assert all(isinstance(note, str) for note in status.notes)
    target.endpoint(status)


def test_target_status_readers(fake, open_target):
    fake.add_service("svc1")
    ext = fake.add_extension("azureml")
    targets = {
        "aks": (open_target(fake.compute_id()), [aks_compute(ssl_config={
            "status": "Enabled", "cname": "api.contoso.com"}), *COMPUTES]),
        "aci": (open_target(f"{fake.ws_path()}/services/svc1"), SERVICES),
        "k8s": (open_target(ext["id"]), [ext, *EXTENSIONS]),
        "online": (open_target(f"{fake.ws_path()}/onlineEndpoints/e1"), ENDPOINTS),
    }

    @fuzz(150, seconds=5.0)
    @given(st.sampled_from(sorted(targets)), st.data())
    def readers(which: str, data: st.DataObject) -> None:
        target, seeds = targets[which]
        body = body_from(data, seeds)
        if which == "online":  # _status_of takes the properties
            body = body.get("properties") if isinstance(body, dict) else body
        check_status(target, body if isinstance(body, dict) else {})

    readers()


def test_target_regressions_that_raised(fake, open_target):
    from jupyter_mlssl.targets.azure.public_ip import PublicIp

    fake.add_service("svc1")
    ext = fake.add_extension("azureml")
    aks = open_target(fake.compute_id())
    # each raised AttributeError (a list or a string where an object belongs) or ValueError
    # (a scoring URI urlsplit refuses) before
    assert aks._status_of({"properties": {"properties": []}}).ssl.status == "Disabled"
    aks_body = aks_compute(ssl_config={"status": "Enabled", "cname": 5})
    aks_body["properties"]["properties"]["systemServices"] = ["10.0.0.1"]
    assert aks._status_of(aks_body).ssl.cname is None
    aci = open_target(f"{fake.ws_path()}/services/svc1")
    status = aci._status_of({"scoringUri": "http://[bad/score", "publicFqdn": ["x"]})
    assert status.scoring_uri is None and status.fqdn is None
    k8s = open_target(ext["id"])
    assert k8s._status_of({"properties": {"configurationSettings": "x"}}).ssl.status == "Enabled"
    online = open_target(f"{fake.ws_path()}/onlineEndpoints/e1")
    assert online._status_of({"scoringUri": "https://host:99999/"}).scoring_uri is None
    ip = PublicIp.from_json({"properties": {"dnsSettings": "x"}, "name": 3})
    assert (ip.name, ip.address, ip.label) == ("", None, None)


# -- Retry-After from ARM --------------------------------------------------------------------


@pytest.mark.parametrize("after", ["31536000", "Fri, 31 Dec 9999 23:59:59 GMT", "inf", "soon",
                                   "-5", "nan", "1e308"])
def test_hostile_retry_after_from_arm_is_waited_in_bounded_time(fake, open_target, after):
    import time

    from tests.azure.test_azure_faults import COMPUTE

    fake.inject("GET", COMPUTE, status=429, code="TooManyRequests",
                headers={"Retry-After": after}, times=3)
    target = open_target(fake.compute_id())
    target.clients.options["max_retry_after"] = 0.2
    started = time.monotonic()
    with pytest.raises(MlsslError) as caught:  # azure-core alone slept a year, or raised
        target.status()
    assert time.monotonic() - started < 3.0
    line = str(caught.value)
    assert "throttling requests (429) even after retries" in line and "\n" not in line
    # a wait is echoed only as a plausible number of seconds
    assert line.endswith("retry in a minute"), line
