"""Every target verb through %mlssl against a real local scoring service.

enable (Microsoft-provided style: the local CA), probe and dns of the new endpoint, update
with our own certificate, disable (refused without --yes: a notebook has no prompt), history,
local list, and %%mlssl apply with good YAML. Reports come back as objects; failures fail
the cell with one line.
"""

from __future__ import annotations

from IPython.core.error import UsageError

from tests.ipshell import magic

ZONE = "mlssl.test"


def run(ip, line):
    result = ip.run_cell(line)
    assert result.success, f"{line}: {result.error_in_exec!r}"
    return result.result


def test_status_enable_probe_dns_disable_history(ip, local_target, capfd):
    status = run(ip, "%mlssl status local://iris")
    assert status.ssl.status == "Disabled"

    # The default target fills in the TARGET a verb leaves out.
    ip.run_cell("%config MlsslMagic.default_target = 'local://iris'")
    report = run(ip, "%mlssl enable --leaf-domain-label iris")
    assert report.outcome == "applied", report.summary()
    printed = capfd.readouterr().out
    assert "planning: local://iris" in printed and "verifying" in printed  # progress lines

    status = local_target.status()
    endpoint = local_target.endpoint(status)
    probe = run(ip, f"%mlssl probe {endpoint.url} --resolve {endpoint.resolve[0]} "
                    f"--ca-bundle {endpoint.ca_bundle}")
    assert probe.exit_status == 0, probe.summary()
    r = run(ip, f"r = %mlssl dns {endpoint.hostname} --expect 127.0.0.1 "
                f"--nameserver {endpoint.nameservers[0]}")
    assert r is None and ip.user_ns["r"].exit_status == 0

    # Disabling needs --yes: the cell fails with one line and nothing changes.
    result = ip.run_cell("%mlssl disable")
    assert type(result.error_in_exec) is UsageError and "--yes" in str(result.error_in_exec)
    assert local_target.status().ssl.status == "Auto"
    report = run(ip, "%mlssl disable --yes")
    assert report.outcome == "applied" and local_target.status().ssl.status == "Disabled"

    history = run(ip, "%mlssl history")
    frame = history.to_frame()
    assert {"enable", "disable"} <= set(frame["action"])
    listing = run(ip, "%mlssl local list --json")
    assert [s["target"] for s in listing["services"]] == ["local://iris"]


def test_enable_then_update_with_own_certificate_and_password_env(
        ip, local_target, pki, tmp_path, monkeypatch, capfd):
    name = f"api.{ZONE}"
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, [name])
    chain = leaf.write_chain(tmp_path / "chain.pem", [inter])
    key = leaf.write_key(tmp_path / "key.pem", password=b"k3y-Pa55!")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root.pem)
    monkeypatch.setenv("MLSSL_KEY_PASSWORD", "k3y-Pa55!")
    assert run(ip, "%mlssl enable local://iris --leaf-domain-label iris").outcome == "applied"
    report = run(ip, f"%mlssl update local://iris --cert {chain} --key {key} --cname {name} "
                     f"--password-env MLSSL_KEY_PASSWORD --ca-bundle {ca}")
    assert report.outcome == "applied", report.summary()
    assert local_target.status().ssl.cname == name
    text = "".join(capfd.readouterr()) + repr(report) + report._repr_html_()
    assert "k3y-Pa55!" not in text and "PRIVATE KEY" not in text


def test_failed_change_fails_the_cell_after_showing_the_report(ip, local_target, pki,
                                                               tmp_path, capfd):
    # A certificate for another name: the plan is blocked, nothing is applied.
    leaf = pki.leaf(None, [f"other.{ZONE}"])
    chain = leaf.write_cert(tmp_path / "c.pem")
    key = leaf.write_key(tmp_path / "k.pem")
    result = ip.run_cell(f"%mlssl enable local://iris --cert {chain} --key {key} "
                         f"--cname api.{ZONE}")
    assert type(result.error_in_exec) is UsageError
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert len([x for x in captured.err.splitlines() if x.strip()]) == 1
    assert "blocked" in str(result.error_in_exec)
    assert magic(ip).last_report.outcome == "blocked"
    assert local_target.status().ssl.status == "Disabled"


def test_apply_cell_with_good_yaml(ip, local_target, capfd):
    report = run(ip, "%%mlssl apply local://iris\n"
                     "status: auto\n"
                     "leaf_domain_label: iris\n")
    assert report.outcome == "applied", report.summary()
    printed = capfd.readouterr().out
    assert "plan: enable TLS on local://iris" in printed  # the plan came first
    assert local_target.status().ssl.status == "Auto"

    dry = run(ip, "%%mlssl apply local://iris --dry-run\nstatus: disabled\n")
    assert dry.outcome == "dry_run" and local_target.status().ssl.status == "Auto"
    result = ip.run_cell("%%mlssl apply local://iris\nstatus: disabled\n")
    assert type(result.error_in_exec) is UsageError and "--yes" in str(result.error_in_exec)
    report = run(ip, "%%mlssl apply local://iris --yes\nstatus: disabled\n")
    assert report.outcome == "applied" and local_target.status().ssl.status == "Disabled"


def test_local_deploy_list_stop_through_the_magic(ip, tmp_path, mlssl_home):
    from jupyter_mlssl import local
    from tests.localtarget import tiny_model_file

    model = tiny_model_file(tmp_path)
    try:
        deployed = run(ip, f"%mlssl local deploy wine --model {model}")
        assert deployed.exit_status == 0, deployed.summary()
        listing = run(ip, "%mlssl local list")
        assert list(listing.to_frame()["target"]) == ["local://wine"]
        run(ip, "%mlssl local stop wine")
        assert run(ip, "%mlssl local list --json")["services"] == []
    finally:
        local.stop_all()


def test_panel_verb_returns_the_panel_with_config(ip, local_target):
    aks = ("/subscriptions/0000/resourceGroups/rg/providers/"
           "Microsoft.MachineLearningServices/workspaces/ws/computes/aks1")
    ip.run_cell(f"%config MlsslMagic.targets = ['{aks}']")
    ip.run_cell("%config MlsslMagic.default_target = 'local://iris'")
    ip.run_cell("%config MlsslMagic.ca_bundle = '/tmp/corp-ca.pem'")
    panel = run(ip, "%mlssl panel")
    assert panel.picker.value == "local://iris"
    assert {"local://iris", aks} <= set(panel.picker.options)
    assert panel.probe.ca_bundle.value == "/tmp/corp-ca.pem"
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()
