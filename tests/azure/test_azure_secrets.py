"""Certificates and keys travel only in request bodies: never in logs, errors or reprs."""

from __future__ import annotations

import base64
import logging

from jupyter_mlssl.targets.base import SslSettings


def _secret_strings(custom_cert):
    key_b64 = base64.b64encode(custom_cert.key_pem.encode()).decode()
    cert_b64 = base64.b64encode(custom_cert.chain_pem.encode()).decode()
    key_body = "".join(custom_cert.key_pem.splitlines()[1:-1])
    return [custom_cert.key_pem, key_b64[:60], cert_b64[:60], key_body[:40],
            custom_cert.chain_pem.splitlines()[1], "PRIVATE KEY"]


def test_debug_http_logging_never_shows_bodies(fake, connect, custom_cert, caplog):
    """azure-core at DEBUG, ``logging_enable=True`` asked for: headers yes, bodies never."""
    caplog.set_level(logging.DEBUG)
    fake.add_service()
    fake.add_extension()
    desired = SslSettings(status="Enabled", cname=custom_cert.cname,
                          cert_pem=custom_cert.chain_pem, key=custom_cert.key)
    targets = [connect(fake.compute_id(), logging_enable=True),
               connect(f"{fake.ws_path()}/services/svc1", logging_enable=True),
               connect(fake.cluster_path(), logging_enable=True)]
    for target in targets:
        plan = target.plan(desired)
        status = target.apply(plan).wait(10)
        for text in (repr(plan), str(plan.to_dict()), repr(status), str(status.to_dict()),
                     repr(target), repr(plan.state)):
            for secret in (custom_cert.key_pem, "PRIVATE KEY"):
                assert secret not in text
    assert len(fake.calls("PUT")) == 1 and len(fake.calls("PATCH")) == 2  # bodies were sent
    assert "Request URL" in caplog.text  # azure-core's HttpLoggingPolicy did log
    assert "Authorization" in caplog.text and "Bearer fake-token" not in caplog.text
    for secret in _secret_strings(custom_cert):
        assert secret not in caplog.text


def test_control_default_azure_core_logging_would_show_the_body(fake, arm_pki, caplog):
    """Why the policy swap matters: azure-core's default trace policy prints bodies."""
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import NetworkTraceLoggingPolicy
    from azure.core.rest import HttpRequest

    caplog.set_level(logging.DEBUG)
    client = PipelineClient(fake.base, policies=[NetworkTraceLoggingPolicy(logging_enable=True)],
                            connection_verify=arm_pki.ca_file)
    client.send_request(HttpRequest("PUT", f"{fake.base}/discovery/x", json={"key": "s3cr3t"}))
    assert "s3cr3t" in caplog.text
