"""Remote faults: each one becomes a clear one-line message; retries are azure-core's."""

from __future__ import annotations

import time

import pytest

from jupyter_mlssl.errors import InputError, MlsslError, OperationError
from jupyter_mlssl.targets.base import SslSettings
from tests.azure.fakearm import ML, RG, SUB

COMPUTE = "/computes/aks1$"
AUTO = SslSettings(status="Auto", leaf_domain_label="contoso")


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_401_says_sign_in_again(fake, connect):
    fake.inject("GET", COMPUTE, status=401, code="InvalidAuthenticationToken", times=5)
    with pytest.raises(OperationError) as err:
        connect(fake.compute_id()).status()
    text = one_line(err)
    assert "rejected the credential (401 InvalidAuthenticationToken)" in text
    assert SUB in text


def test_missing_token_is_401_from_the_server(fake, arm_pki):
    from azure.core.credentials import AccessToken

    from jupyter_mlssl.targets.azure import open_azure_target as connect

    class WrongToken:
        def get_token(self, *scopes, **kw):
            return AccessToken("stale", int(time.time()) + 3600)

    target = connect(fake.compute_id(), credential=WrongToken(), arm_endpoint=fake.base,
                     connection_verify=arm_pki.ca_file, retry_total=0)
    with pytest.raises(OperationError, match=r"\(401 AuthenticationFailed\)"):
        target.status()


def test_403_on_put_names_the_permission(fake, connect):
    fake.inject("PUT", COMPUTE, status=403, code="AuthorizationFailed",
                message="The client does not have authorization to perform action")
    target = connect(fake.compute_id())
    with pytest.raises(OperationError) as err:
        target.apply(target.plan(AUTO))
    text = one_line(err)
    assert "permission denied (403 AuthorizationFailed)" in text
    assert "'Microsoft.MachineLearningServices/workspaces/computes/write'" in text
    from jupyter_mlssl.errors import RemoteError

    assert isinstance(err.value, RemoteError) and err.value.status == 403
    assert err.value.code == "forbidden" and err.value.operation


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (f"/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/{RG}/providers/{ML}"
         "/workspaces/ws1/computes/aks1",
         "subscription '99999999-0000-0000-0000-000000000000' was not found (404"
         " SubscriptionNotFound)"),
        (f"/subscriptions/{SUB}/resourceGroups/nope/providers/{ML}/workspaces/ws1/computes/aks1",
         "resource group 'nope' was not found (404 ResourceGroupNotFound)"),
        (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ML}/workspaces/wsx/computes/aks1",
         "workspace 'wsx' was not found (404 ParentResourceNotFound)"),
        (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ML}/workspaces/ws1/computes/nope",
         "compute 'nope' was not found (404 ResourceNotFound)"),
        (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
         "managedClusters/aks1/providers/Microsoft.KubernetesConfiguration/extensions/nope",
         "extension 'nope' was not found"),
    ],
)
def test_404_names_the_wrong_part_of_the_id(fake, connect, path, named):
    with pytest.raises(InputError) as err:
        connect(path).status()
    assert named in one_line(err)


def test_409_conflict(fake, connect):
    fake.inject("PUT", COMPUTE, status=409, code="Conflict",
                message="Compute is in state Updating")
    target = connect(fake.compute_id())
    with pytest.raises(OperationError) as err:
        target.apply(target.plan(AUTO))
    text = one_line(err)
    assert "refused with 409 (Conflict: Compute is in state Updating)" in text
    assert "another operation" in text


def test_429_is_retried_after_retry_after(fake, connect):
    fake.inject("GET", COMPUTE, status=429, code="TooManyRequests", headers={"Retry-After": "1"})
    start = time.monotonic()
    connect(fake.compute_id()).status()
    assert time.monotonic() - start >= 0.9  # azure-core slept as told
    assert len(fake.calls("GET", "/computes/aks1")) == 2


def test_429_after_retries_says_when(fake, connect):
    fake.inject("GET", COMPUTE, status=429, code="TooManyRequests",
                headers={"Retry-After": "30"}, times=3)
    with pytest.raises(OperationError) as err:
        connect(fake.compute_id(), retry_total=0).status()
    assert "throttling requests (429) even after retries; retry after 30 s" in one_line(err)


def test_5xx_retried_by_azure_core_then_reported(fake, connect):
    fake.inject("GET", COMPUTE, status=503, code="ServiceUnavailable")
    connect(fake.compute_id()).status()
    assert len(fake.calls("GET", "/computes/aks1")) == 2
    fake.clear()
    fake.inject("PUT", COMPUTE, status=500, code="InternalServerError", message="boom", times=9)
    target = connect(fake.compute_id())
    with pytest.raises(OperationError) as err:
        target.apply(target.plan(AUTO))
    text = one_line(err)
    assert "Azure failed with 500 (InternalServerError: boom) after retries" in text
    assert "may or may not have been applied" in text
    assert len(fake.calls("PUT")) == 3  # 1 + retry_total


@pytest.mark.parametrize("outcome", ["Failed", "Canceled"])
def test_lro_failed_or_canceled_shows_service_message(fake, connect, outcome):
    fake.inject("PUT", COMPUTE, "lro", outcome=outcome, code="BadRequest",
                message="Certificate and key do not match")
    target = connect(fake.compute_id())
    op = target.apply(target.plan(AUTO))
    with pytest.raises(OperationError) as err:
        op.wait(10)
    text = one_line(err)
    assert f"ended {outcome}: BadRequest: Certificate and key do not match" in text
    assert "mlssl status" in text
    assert err.value.code == f"lro_{outcome.lower()}"
    assert fake.computes["aks1"]["properties"]["properties"]["sslConfiguration"] == {
        "status": "Disabled"}


def test_wait_timeout_leaves_operation_running(fake, connect):
    fake.lro_polls = 40
    target = connect(fake.compute_id(), polling_interval=0.05)
    op = target.apply(target.plan(AUTO))
    with pytest.raises(OperationError) as err:
        op.wait(0.2)
    assert "still running after 0.2 s" in one_line(err) and err.value.code == "timeout"
    assert not op.done
    assert op.wait(10).ssl.status == "Auto"  # it does finish


def test_read_timeout_is_reported(fake, connect):
    fake.inject("GET", COMPUTE, "slow", delay=0.8)
    with pytest.raises(OperationError) as err:
        connect(fake.compute_id(), read_timeout=0.3, retry_total=0).status()
    text = one_line(err)
    assert "connection to Azure was lost" in text and "timed out" in text


def test_connection_reset_during_put_is_retried(fake, connect):
    fake.inject("PUT", COMPUTE, "reset")
    target = connect(fake.compute_id())
    assert target.apply(target.plan(AUTO)).wait(10).ssl.status == "Auto"
    assert len(fake.calls("PUT")) == 2  # PUT is idempotent: azure-core sent it again


def test_connection_reset_during_put_after_retries_is_reported(fake, connect):
    fake.inject("PUT", COMPUTE, "reset", times=9)
    target = connect(fake.compute_id())
    with pytest.raises(OperationError) as err:
        target.apply(target.plan(AUTO))
    text = one_line(err)
    assert "connection was lost after the request was sent" in text
    assert "may or may not have been applied" in text and err.value.code == "outcome_unknown"
    assert len(fake.calls("PUT")) == 3


def test_connection_reset_during_patch_is_not_retried(fake, connect, custom_cert):
    fake.add_extension()
    fake.inject("PATCH", "/extensions/azureml$", "reset", times=9)
    target = connect(fake.cluster_path())
    plan = target.plan(SslSettings(status="Enabled", cname=custom_cert.cname,
                                   cert_pem=custom_cert.chain_pem, key=custom_cert.key))
    with pytest.raises(OperationError, match="may or may not have been applied"):
        target.apply(plan)
    assert len(fake.calls("PATCH")) == 1  # PATCH is not idempotent: azure-core does not resend


def test_service_echoing_the_key_is_scrubbed(fake, connect, custom_cert):
    fake.inject("PUT", COMPUTE, status=400, code="InvalidKey",
                message=f"bad key {custom_cert.key_pem} rejected")
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Enabled", cname=custom_cert.cname,
                                   cert_pem=custom_cert.chain_pem, key=custom_cert.key))
    with pytest.raises(OperationError) as err:
        target.apply(plan)
    text = one_line(err)
    assert "InvalidKey: bad key [pem redacted] rejected" in text
    assert "PRIVATE" not in text and custom_cert.key_pem[40:80] not in text


def test_credential_failure(fake, arm_pki):
    from azure.core.exceptions import ClientAuthenticationError

    from jupyter_mlssl.targets.azure import open_azure_target as connect

    class NoLogin:
        def get_token(self, *scopes, **kw):
            raise ClientAuthenticationError("Please run 'az login' to set up an account")

    target = connect(fake.compute_id(), credential=NoLogin(), arm_endpoint=fake.base,
                     connection_verify=arm_pki.ca_file)
    with pytest.raises(OperationError, match=r"no Azure token .*az login"):
        target.status()


def test_untrusted_tls_then_requests_ca_bundle(fake, credential, arm_pki, no_ca_env,
                                               monkeypatch):
    from jupyter_mlssl.targets.azure import open_azure_target as connect

    target = connect(fake.compute_id(), credential=credential, arm_endpoint=fake.base,
                     retry_total=0)
    with pytest.raises(MlsslError) as err:
        target.status()
    assert "TLS to Azure failed" in one_line(err) and "REQUESTS_CA_BUNDLE" in str(err.value)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm_pki.ca_file)  # honoured as azure-core does
    target = connect(fake.compute_id(), credential=credential, arm_endpoint=fake.base,
                     retry_total=0, probe_timeout=0.2)
    assert target.status().ssl.status == "Disabled"
