"""The fleet inventory against the fake ARM (Resource Graph, listings, 403, 404, 429, quota)
and real loopback TLS servers; ``watch`` and its exit statuses; the readers on the official
examples' shapes (tests/azure/data/fleet_bodies.json)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from jupyter_mlssl.fleet import fleet
from jupyter_mlssl.fleet.rows import compute_rows, endpoint_rows, extension_rows, service_rows
from jupyter_mlssl.fleet.watch import watch
from tests.azure import fake_listings
from tests.azure.fakearm import RG, SUB
from tests.tlsservers import TLSServer

BODIES = json.loads((Path(__file__).parent / "data" / "fleet_bodies.json").read_text())
NOW = dt.datetime.now(dt.timezone.utc)
OTHER_SUB = "99999999-1111-2222-3333-444444444444"
CLUSTER = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
           "managedClusters/k8sfleet")


# -- the readers, on the official examples' shapes ------------------------------------------
@pytest.mark.parametrize("body", BODIES["online_endpoints"], ids=lambda b: b["name"])
def test_online_endpoint_reader_in_every_state(body):
    from jupyter_mlssl.targets.azure.online_endpoint import read_endpoint

    read = read_endpoint(body)
    expect = body["_expect"]
    assert (read["kind"], read["status"], read["tls"]) == (expect["kind"], expect["status"],
                                                           expect["tls"])
    row = endpoint_rows(body)[0]
    assert row.kind == expect["kind"] and row.state == body["properties"]["provisioningState"]
    if body["properties"].get("scoringUri") is None and expect["kind"].startswith("managed"):
        assert row.tls == "Auto" and row.verdict == "pending"


def test_compute_extension_and_service_readers():
    rows = [r for body in BODIES["computes"] for r in compute_rows(body)]
    assert [(r.name, r.tls, r.state) for r in rows] == [("aks-failed", "Auto", "Failed")]
    assert "cluster unreachable" in rows[0].detail
    ext = [r for body in BODIES["extensions"]["value"] for r in extension_rows(body)]
    assert [(r.kind, r.tls, r.address) for r in ext] == [("k8s-extension", "Enabled",
                                                          "api.contoso.com")]
    ws = BODIES["graph_page"]["data"][0]["id"]
    svcs = [r for body in BODIES["mms_services"]["value"] for r in service_rows(body, ws)]
    assert [(r.name, r.tls, r.state) for r in svcs] == [("aci-tls", "Enabled", "Healthy"),
                                                        ("aci-transitioning", "Disabled",
                                                         "Transitioning")]
    assert svcs[0].target == f"{ws}/services/aci-tls"


def test_target_reads_creating_and_kubernetes_endpoints(fake, connect):
    ws = fake.ws_path()
    creating = dict(BODIES["online_endpoints"][1], id=f"{ws}/onlineEndpoints/ep-new")
    fake.endpoints["ep-new"] = creating
    status = connect(f"{ws}/onlineEndpoints/ep-new").status()
    assert status.ssl.status == "Auto" and status.kind == "managed-online-endpoint"
    assert any("Creating" in n for n in status.notes)
    k8s = dict(BODIES["online_endpoints"][5], id=f"{ws}/onlineEndpoints/ep-k8s")
    fake.endpoints["ep-k8s"] = k8s
    target = connect(f"{ws}/onlineEndpoints/ep-k8s")
    assert target.status().kind == "kubernetes-online-endpoint"


def test_kubernetes_compute_refusal_points_to_the_extension(fake, connect):
    from jupyter_mlssl.errors import InputError

    body = dict(BODIES["computes"][0], id=fake.compute_id("k8s-compute"))
    fake.computes["k8s-compute"] = body
    with pytest.raises(InputError, match="Azure ML extension of its cluster"):
        connect(fake.compute_id("k8s-compute")).status()


# -- the estate ------------------------------------------------------------------------------
@pytest.fixture
def servers(pki, arm_pki):
    """Loopback TLS servers: valid, due (past 2/3 of its life), expired, wrong name."""
    root = arm_pki.root
    made = {
        "ok": pki.leaf(root, ["localhost", "127.0.0.1"], days=200),
        "due": pki.leaf(root, ["localhost", "127.0.0.1"], days=90,
                        not_before=NOW - dt.timedelta(days=70)),
        "expired": pki.leaf(root, ["localhost", "127.0.0.1"], days=30,
                            not_before=NOW - dt.timedelta(days=40)),
        "wrong_name": pki.leaf(root, ["other.example.test"], days=200),
    }
    running = {name: TLSServer([leaf]).start() for name, leaf in made.items()}
    yield running
    for server in running.values():
        server.stop()


@pytest.fixture
def estate(fake, servers):
    est = fake_listings.install(fake)
    est.page = 2  # so every listing pages
    a = est.add_workspace("fleet-a")
    url = {k: f"https://localhost:{s.port}/score" for k, s in servers.items()}
    est.add_endpoint(a, "ep-ok", url["ok"])
    est.add_endpoint(a, "ep-due", url["due"])
    est.add_endpoint(a, "ep-expired", url["expired"])
    est.add_endpoint(a, "ep-wrong-name", url["wrong_name"])
    est.add_endpoint(a, "ep-creating", None, state="Creating")
    compute = est.add_kubernetes(a, "k8s", CLUSTER, {"allowInsecureConnections": "True"})
    est.add_endpoint(a, "ep-k8s-http", "http://127.0.0.1:9/api/v1/endpoint/x/score",
                     compute=compute["id"])
    est.add_aks(a, "aks-auto", {"status": "Auto", "leafDomainLabel": "contoso"})
    est.add_aci(a, "aci-plain", "http://127.0.0.1:9/score", ssl=False)
    b = est.add_workspace("fleet-forbidden")
    b.forbidden = True
    est.add_workspace("fleet-gone", sub=OTHER_SUB)  # ARM: SubscriptionNotFound (404)
    return est


def run_fleet(fake, credential, arm_pki, **kw):
    graph = {"retry_total": 2, "retry_backoff_factor": 0.01}
    if "sleep" in kw:
        graph["sleep"] = kw.pop("sleep")
    opts = dict(credential=credential, arm_endpoint=fake.base,
                connection_verify=arm_pki.ca_file, ca_bundle=arm_pki.ca_file,
                probe_timeout=2.0, retries=1, graph_options=graph)
    opts.update(kw)
    return fleet(**opts)


def by_name(report):
    return {row.name: row for row in report.rows}


def test_fleet_table_for_a_mixed_estate(estate, fake, credential, arm_pki, tmp_path,
                                        monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    estate.graph.page = 2  # the graph pages too
    report = run_fleet(fake, credential, arm_pki, probe=True)
    rows = by_name(report)
    verdicts = {name: row.verdict for name, row in rows.items()}
    assert verdicts == {
        "ep-ok": "ok", "ep-due": "due", "ep-expired": "expired",
        "ep-wrong-name": "failing", "ep-creating": "pending", "ep-k8s-http": "plain_http",
        "azureml": "plain_http", "aks-auto": "unknown", "aci-plain": "plain_http",
        "fleet-forbidden": "error", "fleet-gone": "error",
    }
    assert rows["ep-k8s-http"].kind == "kubernetes-online-endpoint"
    assert rows["ep-ok"].kind == "managed-online-endpoint" and rows["ep-ok"].tls == "Auto"
    assert rows["ep-creating"].tls == "Auto"
    assert rows["azureml"].kind == "k8s-extension"
    assert rows["aks-auto"].cert_kind == "Microsoft"
    assert "403" in rows["fleet-forbidden"].detail and "AuthorizationFailed" in \
        rows["fleet-forbidden"].detail
    assert "404" in rows["fleet-gone"].detail
    assert rows["ep-wrong-name"].probe == "hostname_mismatch"
    # renewal due at one third of the lifetime left
    due = rows["ep-due"]
    assert due.not_before and due.not_after
    expected = due.not_after - (due.not_after - due.not_before) / 3
    assert abs((due.renewal_due - expected).total_seconds()) < 1
    assert rows["ep-ok"].renewal_due > NOW
    # worst first
    order = [row.verdict for row in report.rows]
    assert order[:2] == ["expired", "failing"] and order[-1] == "ok"
    # paging: both the graph and the listings were walked page by page
    assert len(estate.graph.queries) == 2
    assert estate.graph.queries[1]["options"]["$skipToken"]
    assert any("$skip" in r.query for r in fake.calls("GET", "onlineEndpoints"))
    assert report.workspaces == 3
    # the table, the JSON and the cache
    frame = report.to_frame()
    assert list(frame["verdict"])[:2] == ["expired", "failing"]
    assert json.loads(json.dumps(report.to_dict(), default=str))["counts"]["error"] == 2
    assert "Fleet: 11 endpoints in 3 workspaces" in repr(report)
    cache = json.loads((tmp_path / "home" / "fleet-expiries.json").read_text())
    assert cache["expiries"][0]["target"].endswith("ep-expired")


def test_without_probe_nothing_is_probed(estate, fake, credential, arm_pki, servers,
                                         tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    report = run_fleet(fake, credential, arm_pki)
    assert all(s.connections == 0 for s in servers.values())
    assert by_name(report)["ep-ok"].verdict == "unknown"


def test_graph_quota_and_429(estate, fake, credential, arm_pki, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    estate.graph.page = 1
    estate.graph.quota = 2  # the second answer says 0 left: the third page waits the reset
    estate.graph.resets_after = "00:00:03"
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        estate.graph.quota = 15  # the window reset

    fake.inject("POST", "ResourceGraph", status=429, code="RateLimiting",
                headers={"Retry-After": "0"})  # one 429, waited out by the retry policy
    report = run_fleet(fake, credential, arm_pki, sleep=sleep,
                       subscriptions=[SUB, OTHER_SUB])
    assert waits == [3.0]
    assert report.workspaces == 3
    assert any("quota" in n for n in report.notes)
    posts = fake.calls("POST", "ResourceGraph")
    assert len(posts) == 4  # the 429, then three pages
    assert posts[1].json["subscriptions"] == [SUB, OTHER_SUB]


def test_watch_exit_statuses(estate, fake, credential, arm_pki, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    report = run_fleet(fake, credential, arm_pki, probe=True)
    rows = by_name(report)
    assert watch([rows["ep-ok"], rows["ep-creating"]]).exit_status == 0
    assert watch([rows["ep-ok"], rows["ep-k8s-http"]]).exit_status == 0  # plain http: a line
    assert watch([rows["ep-ok"], rows["ep-due"]]).exit_status == 1
    assert watch([rows["ep-expired"]]).exit_status == 1
    assert watch([rows["ep-wrong-name"]]).exit_status == 1
    everything = watch(report.rows)
    assert everything.exit_status == 2
    lines = everything.lines()
    assert lines[0].startswith("expired ") and lines[-1].endswith("exit 2")
    assert any(line.startswith("error ") and "fleet-forbidden" in line for line in lines)


def test_watch_renew_renews_only_what_is_due(estate, fake, credential, arm_pki, tmp_path,
                                             monkeypatch):
    from jupyter_mlssl.change.report import ChangeReport  # noqa: F401  (a real Report type)

    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    report = run_fleet(fake, credential, arm_pki, probe=True)
    renewed: list[str] = []

    class Done:
        exit_status = 0

        def summary(self) -> str:
            return "applied"

    def renew(target: str) -> Done:
        renewed.append(target)
        return Done()

    result = watch(report.rows, renew=renew)
    # Microsoft-provided (managed endpoints): the due and the expired one; nothing else
    assert sorted(t.rsplit("/", 1)[-1] for t in renewed) == ["ep-due", "ep-expired"]
    events = {f.target.rsplit("/", 1)[-1]: f.event for f in result.findings_}
    assert events["ep-due"] == "renewed" and events["ep-wrong-name"] == "failing"
    assert result.exit_status == 2  # the unreadable workspaces still count
    own = by_name(report)["ep-due"]
    own.cert_kind = "own"
    renewed.clear()
    line = watch([own], renew=renew).lines()[0]
    assert renewed == [] and "mlssl update" in line and "--cert" in line


def test_chart_data_and_picture(estate, fake, credential, arm_pki, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    report = run_fleet(fake, credential, arm_pki, probe=True)
    data = report.chart_data(NOW)
    names = [d["endpoint"].split(" ")[0] for d in data]
    assert names == ["ep-expired", "ep-wrong-name", "ep-due", "ep-ok"]  # worst first
    due = next(d for d in data if d["endpoint"].startswith("ep-due"))
    assert due["verdict"] == "due" and due["due"] < NOW.isoformat() < due["end"]
    chart = report.plot(NOW)
    spec = chart.to_dict()
    assert set(chart._repr_mimebundle_()) == {"application/vnd.vegalite.v5+json", "text/plain"}
    layers = spec["layer"]
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in layers]
    assert marks == ["bar", "tick", "rule", "rule"]
    limits = [v["limit"] for v in layers[3]["data"]["values"]]
    assert [lim.split()[1] for lim in limits] == ["200", "100", "47"]
    colours = layers[0]["encoding"]["color"]["scale"]
    assert colours["domain"][0] == "expired"


def test_listing_429_is_waited_out_and_given_workspaces_skip_the_graph(estate, fake, credential,
                                                                        arm_pki, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    fake.inject("GET", "fleet-a/onlineEndpoints$", status=429, code="TooManyRequests",
                headers={"Retry-After": "0"})
    ws = estate.graph.rows[0]["id"]
    report = run_fleet(fake, credential, arm_pki, workspaces=[ws], retries=2)
    assert estate.graph.queries == []  # ids given: no Resource Graph query
    assert report.workspaces == 1 and report.counts().get("error") is None
    assert "ep-ok" in by_name(report)
    listed = fake.calls("GET", "fleet-a/onlineEndpoints")
    assert len(listed) >= 2  # the 429, then the answer


def test_a_slow_workspace_times_out_into_its_own_row(estate, fake, credential, arm_pki,
                                                     tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    fake.inject("GET", "fleet-a/computes$", kind="slow", delay=1.5, times=5)
    report = run_fleet(fake, credential, arm_pki, timeout=0.5, retries=0)
    rows = by_name(report)
    assert rows["fleet-a"].verdict == "error" and "timed out" in rows["fleet-a"].detail
    assert "ep-ok" in rows  # the workspace's other listings still came back


@pytest.mark.parametrize("page", [[1, 2], "value", {"value": "x"}, {"value": [], "nextLink": 5}])
def test_a_listing_that_is_not_an_arm_list_is_its_workspaces_error_row(
        page, estate, fake, credential, arm_pki, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    fake.inject("GET", "fleet-a/computes$", kind="body", status=200, body=page)
    rows = by_name(run_fleet(fake, credential, arm_pki, retries=0))
    assert rows["fleet-a"].verdict == "error"
    assert "not an ARM list" in rows["fleet-a"].detail, rows["fleet-a"].detail
    assert "ep-ok" in rows  # the workspace's other listings still came back


def test_aci_services_are_listed_for_workspaces_given_by_id(estate, fake, credential, arm_pki,
                                                            tmp_path, monkeypatch):
    monkeypatch.setenv("MLSSL_HOME", str(tmp_path / "home"))
    ws = estate.graph.rows[0]["id"]
    report = run_fleet(fake, credential, arm_pki, workspaces=[ws])
    assert by_name(report)["aci-plain"].kind == "aci"
    assert fake.calls("GET", "/modelmanagement/")  # through the workspace's discovery URL
