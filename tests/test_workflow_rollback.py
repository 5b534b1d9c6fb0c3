"""When verification fails the previous settings come back; bad input never gets applied."""

from __future__ import annotations

import json

from jupyter_mlssl.change.workflow import change
from jupyter_mlssl.probing import probe
from jupyter_mlssl.store import history
from jupyter_mlssl.targets.base import SslSettings


def custom(pki, name: str, *, cert_names: list[str] | None = None, root=None):
    root = root or pki.root()
    leaf = pki.leaf(root, cert_names or [name])
    return SslSettings(status="Enabled", cname=name, cert_pem=leaf.pem.decode(),
                       key=leaf.key_pem()), root


def serving(target) -> str:
    status = target.status()
    endpoint = target.endpoint(status)
    return probe(endpoint.url, ca_bundle=endpoint.ca_bundle, resolve=endpoint.resolve,
                 redirect_port=None).results[0].verdict


def test_a_name_the_endpoint_does_not_answer_for_is_rolled_back(local_target, pki, tmp_path):
    """A valid certificate for api.example.test: that name is not the endpoint's DNS name
    (nothing points it at the service), so verification fails and Auto comes back."""
    enabled = change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))
    assert enabled.outcome == "applied", enabled.summary()
    before = local_target.status()

    desired, root = custom(pki, "api.example.test")
    bundle = root.write_cert(tmp_path / "root.pem")
    report = change(local_target, desired, action="update", ca_bundle=str(bundle))

    assert report.outcome == "rolled_back", report.summary()
    assert report.exit_status == 1
    failed = {c.check: c for c in report.verification.failures()}
    assert "dns" in failed and failed["dns"].subject == "api.example.test"
    assert report.rollback_verification.passed
    assert "previous settings restored" in report.message
    assert "Verification after rollback" in repr(report)

    after = local_target.status()
    assert (after.ssl.status, after.fqdn, after.certificate_fingerprint) == (
        "Auto", before.fqdn, before.certificate_fingerprint)
    assert serving(local_target) == "ok"  # the endpoint serves again

    row = history.entries("local://iris").entries[0]
    assert (row["action"], row["outcome"]) == ("update", "rolled_back")
    assert row["verification"] == "failed; after rollback passed"
    assert row["after_fingerprint"] == before.certificate_fingerprint


def test_a_certificate_for_another_name_is_blocked_before_anything_changes(local_target, pki):
    change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))
    before = local_target.status()
    desired, _root = custom(pki, before.fqdn, cert_names=["other.example.test"])
    report = change(local_target, desired, action="update")
    assert report.outcome == "blocked" and report.exit_status == 1
    assert "hostname_mismatch" in {f.code for f in report.plan.findings}
    assert report.message.startswith("nothing applied")
    assert local_target.status().certificate_fingerprint == before.certificate_fingerprint
    assert history.entries("local://iris").entries[0]["outcome"] == "blocked"


def test_a_key_that_does_not_match_is_blocked(local_target, pki):
    root = pki.root()
    leaf, other = pki.leaf(root, ["api.mlssl.test"]), pki.leaf(root, ["api.mlssl.test"])
    desired = SslSettings(status="Enabled", cname="api.mlssl.test", cert_pem=leaf.pem.decode(),
                          key=other.key_pem())
    report = change(local_target, desired)
    assert report.outcome == "blocked"
    assert "key_mismatch" in {f.code for f in report.plan.findings}
    assert local_target.status().ssl.status == "Disabled"


def test_dry_run_changes_and_records_nothing(local_target):
    report = change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"),
                    dry_run=True)
    assert report.outcome == "dry_run" and report.exit_status == 0
    assert [c.field for c in report.plan.changes][:1] == ["status"]
    assert "Plan: enable TLS on local://iris" in repr(report)
    assert local_target.status().ssl.status == "Disabled"
    assert [e["action"] for e in history.entries("local://iris").entries] == ["deploy"]
    json.dumps(report.to_dict())  # JSON-ready


def test_renew_needs_auto(local_target):
    report = change(local_target, SslSettings(status="Auto", leaf_domain_label="iris",
                                              renew=True))
    assert report.outcome == "blocked"
    assert report.plan.findings[0].code == "renew_needs_auto"


def test_a_change_made_while_the_user_was_asked_is_not_applied(local_target):
    change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))

    def confirm_after_someone_else_renewed(question: str) -> bool:
        from jupyter_mlssl.targets.local import LocalTarget

        other = LocalTarget.from_id("local://iris")  # another session, same target
        renew = SslSettings(status="Auto", leaf_domain_label="iris", renew=True)
        other.apply(other.plan(renew)).wait()
        return True

    report = change(local_target, SslSettings(status="Disabled"),
                    confirm=confirm_after_someone_else_renewed)
    assert report.outcome == "refused" and "changed while you were asked" in report.message
    assert local_target.status().ssl.status == "Auto"


def test_a_stopped_service_blocks_the_plan(local_target):
    import os
    import signal

    from jupyter_mlssl.store.pids import pid_alive

    pid = local_target._runtime()["pid"]
    os.killpg(pid, signal.SIGKILL)
    for _ in range(200):
        if not pid_alive(pid):
            break
        __import__("time").sleep(0.01)
    report = change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))
    assert report.outcome == "blocked"
    assert report.plan.findings[0].code == "service_down"
    assert "mlssl local deploy iris" in report.message
