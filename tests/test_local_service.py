"""The local scoring service: a real process on loopback, scoring, TLS on/off and hot swaps."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from jupyter_mlssl import local
from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.store.pids import pid_alive
from jupyter_mlssl.targets import open_target as connect
from jupyter_mlssl.targets.base import SslSettings
from jupyter_mlssl.targets.local.service import build_context
from tests.localtarget import deployed, tiny_model_file

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CNAME = "api.example.test"  # outside the local zone: nothing is published in DNS


def post(url: str, payload: object, context: ssl.SSLContext | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    handlers = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def served_leaf(port: int, server_name: str = CNAME) -> bytes:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=server_name) as tls:
        return tls.getpeercert(binary_form=True)


def custom(pki, tmp_path, name: str = CNAME) -> SslSettings:
    root = pki.root()
    leaf = pki.leaf(root, [name])
    return SslSettings(status="Enabled", cname=name, cert_pem=leaf.pem.decode(),
                       key=leaf.key_pem()), leaf, root


def test_deploy_scores_and_answers_health(local_target):
    uri = local_target.status().scoring_uri
    assert uri.startswith("http://127.0.0.1:")
    code, body = post(uri, {"data": [[0, 0], [3, 3]]})
    assert (code, body) == (200, [0, 1])
    with OPENER.open(uri.replace("/score", "/"), timeout=5) as response:
        assert json.loads(response.read())["status"] == "Healthy"
    code, body = post(uri, {"rows": []})
    assert code == 400 and "data" in body["error"]


def _process_floor(model) -> float:
    """The least a service process can cost here: python importing the service module and
    unpickling the model (scikit-learn's import is most of it), best of three. On a machine
    busy with other work it grows with it."""
    code = ("import pickle, sys, jupyter_mlssl.targets.local.service\n"
            "pickle.loads(open(sys.argv[1], 'rb').read())")
    runs = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", code, str(model)], check=True)
        runs.append(time.monotonic() - started)
    return min(runs)


def test_service_starts_fast_and_binds_loopback_only(tmp_path):
    model = tiny_model_file(tmp_path)
    floor = _process_floor(model)
    started = time.monotonic()
    local.deploy("quick", model=model)
    try:
        elapsed = time.monotonic() - started
        # Under 2 s on an idle 2-core machine (~1 s measured, the floor ~0.8 s); relative
        # to the floor too, so a machine busy with other work slows both sides alike (3.4 s
        # seen with both cores taken by other processes).
        assert elapsed < max(2.0, 3 * floor), f"start-up took {elapsed:.2f} s, floor {floor:.2f} s"
        runtime = json.loads((local_service_dir("quick") / "service.json").read_text())
        with open(f"/proc/{runtime['pid']}/net/tcp") as fh:
            listening = [line.split() for line in fh.readlines()[1:] if line.split()[3] == "0A"]
        ours = {int(row[1].split(":")[1], 16): row[1].split(":")[0] for row in listening}
        for port in (runtime["http_port"], runtime["admin_port"]):
            assert ours[port] == "0100007F"  # 127.0.0.1, little-endian hex
        token = local_service_dir("quick") / "admin.token"
        assert stat.S_IMODE(token.stat().st_mode) == 0o600
    finally:
        local.stop_all()


def local_service_dir(name: str):
    from jupyter_mlssl.targets.local import store

    return store.service_dir(name)


def test_entry_script_runs_init_and_run(tmp_path):
    script = tmp_path / "score.py"
    script.write_text(
        "import json, os\n"
        "def init():\n"
        "    global ready\n"
        "    ready = os.path.exists(os.path.join(os.environ['AZUREML_MODEL_DIR'], 'model.pkl'))\n"
        "def run(raw):\n"
        "    return {'echo': json.loads(raw), 'ready': ready}\n"
    )
    with deployed("scripted", entry_script=script) as target:
        code, body = post(target.status().scoring_uri, {"x": 1})
    assert code == 200 and body == {"echo": {"x": 1}, "ready": True}


def test_bad_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read the model file"):
        local.deploy("nomodel", model=tmp_path / "missing.pkl")
    bad = tmp_path / "score.py"
    bad.write_text("def init():\n    pass\n")
    with pytest.raises(InputError, match="no run"):
        local.deploy("noscript", model=tiny_model_file(tmp_path), entry_script=bad)
    with pytest.raises(InputError, match="no predict"):
        local.deploy("noobject", model=object())
    with pytest.raises(InputError, match="not a valid local service name"):
        local.deploy("Bad Name", model=tiny_model_file(tmp_path))
    with pytest.raises(InputError, match="no such local service"):
        connect("local://ghost")


def test_deploy_twice_is_refused_while_running(local_target, tmp_path):
    with pytest.raises(InputError, match="already running"):
        local.deploy("iris", model=tiny_model_file(tmp_path))


def test_custom_certificate_swaps_in_and_out(local_target, pki, tmp_path):
    desired, leaf, _root = custom(pki, tmp_path)
    status = local_target.apply(local_target.plan(desired)).wait()
    assert status.ssl.status == "Enabled" and status.fqdn == CNAME
    port = local_target._runtime()["https_port"]
    assert served_leaf(port) == leaf.der

    second = pki.leaf(pki.root(), [CNAME])
    again = SslSettings(status="Enabled", cname=CNAME, cert_pem=second.pem.decode(),
                        key=second.key_pem())
    local_target.apply(local_target.plan(again)).wait()
    assert local_target._runtime()["https_port"] == port  # the port survives rotation
    assert served_leaf(port) == second.der

    key_files = list((local_service_dir("iris") / "tls").glob("*-key.pem"))
    assert key_files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in key_files)

    local_target.apply(local_target.plan(SslSettings(status="Disabled"))).wait()
    with pytest.raises(ConnectionRefusedError):
        served_leaf(port)
    code, body = post(local_target.status().scoring_uri, {"data": [[0, 1]]})
    assert (code, body) == (200, [0])


def test_mismatched_key_is_refused_and_the_old_certificate_stays(local_target, pki, tmp_path):
    desired, leaf, _root = custom(pki, tmp_path)
    local_target.apply(local_target.plan(desired)).wait()
    port = local_target._runtime()["https_port"]
    other = pki.leaf(pki.root(), [CNAME])
    broken = SslSettings(status="Enabled", cname=CNAME, cert_pem=other.pem.decode(),
                         key=leaf.key_pem())  # the key of the *old* certificate
    with pytest.raises(OperationError, match="refused the new TLS settings"):
        local_target.apply(local_target.plan(broken))
    assert served_leaf(port) == leaf.der  # still the old one, and handshakes still work
    assert local_target.status().certificate_fingerprint.endswith(
        leaf.cert.fingerprint(__import__("cryptography.hazmat.primitives.hashes",
                                         fromlist=["SHA256"]).SHA256()).hex())


def test_build_context_refuses_a_broken_pair(pki, tmp_path):
    leaf, other = pki.leaf(None, ["a.test"]), pki.leaf(None, ["b.test"])
    cert, key = leaf.write_cert(tmp_path / "c.pem"), other.write_key(tmp_path / "k.pem")
    with pytest.raises(ValueError, match="do not load"):
        build_context(cert, key)
    good, der = build_context(cert, leaf.write_key(tmp_path / "k2.pem"))
    assert der == leaf.der and isinstance(good, ssl.SSLContext)


def test_rotation_under_load_drops_no_request(local_target, pki, tmp_path):
    """Clients keep connecting (a new TLS connection each) while the certificate changes."""
    desired, _leaf, root = custom(pki, tmp_path)
    local_target.apply(local_target.plan(desired)).wait()
    port = local_target._runtime()["https_port"]
    bundle = root.write_cert(tmp_path / "root.pem")
    client = ssl.create_default_context(cafile=str(bundle))
    url = f"https://{CNAME}:{port}/"
    failures: list[str] = []
    done = threading.Event()
    count = [0]

    def hammer() -> None:
        while not done.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                        client.wrap_socket(raw, server_hostname=CNAME) as tls:
                    tls.sendall(f"GET / HTTP/1.1\r\nHost: {CNAME}\r\nConnection: close\r\n\r\n"
                                .encode())
                    if not tls.recv(64).startswith(b"HTTP/1.1 200"):
                        failures.append("bad status")
                count[0] += 1
            except (OSError, ssl.SSLError) as exc:
                failures.append(repr(exc))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(5):
            leaf = pki.leaf(root, [CNAME])
            local_target.apply(local_target.plan(SslSettings(
                status="Enabled", cname=CNAME, cert_pem=leaf.pem.decode(),
                key=leaf.key_pem()))).wait()
            time.sleep(0.1)
    finally:
        done.set()
        for thread in threads:
            thread.join(10)
    assert url and count[0] > 20
    assert failures == []
    assert served_leaf(port) == leaf.der


def test_stop_ends_the_process_group(tmp_path):
    local.deploy("short", model=tiny_model_file(tmp_path))
    pid = json.loads((local_service_dir("short") / "service.json").read_text())["pid"]
    assert pid_alive(pid)
    report = local.stop("short")
    assert "stopped" in report.summary()
    assert not pid_alive(pid)
    assert not local_service_dir("short").exists()
    assert local.services().services == []
    from jupyter_mlssl.targets.local.processes import group_alive

    assert not group_alive(pid)
    with pytest.raises(ChildProcessError):  # and reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)


def test_local_verbs_through_the_cli(tmp_path, capsys):
    from jupyter_mlssl.cli import main

    model = tiny_model_file(tmp_path)
    try:
        assert main(["local", "deploy", "cli-model", "--model", str(model), "--json"]) == 0
        deployed_row = json.loads(capsys.readouterr().out)["services"][0]
        assert deployed_row["target"] == "local://cli-model" and deployed_row["tls"] == "Disabled"
        assert main(["local", "list", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)["services"]
        assert [(r["name"], r["state"]) for r in rows] == [("cli-model", "running")]
        code, body = post(rows[0]["scoring_uri"], {"data": [[3, 3]]})
        assert (code, body) == (200, [1])
        assert main(["local", "stop", "cli-model"]) == 0
        assert "local://cli-model stopped" in capsys.readouterr().out
        assert main(["local", "stop", "cli-model"]) == 2
        assert "no such local service" in capsys.readouterr().err
    finally:
        local.stop_all()


def test_stop_is_prompt_with_an_idle_keep_alive_connection_open(tmp_path, pki):
    from jupyter_mlssl.targets.local.processes import group_alive

    local.deploy("idle", model=tiny_model_file(tmp_path))
    target = connect("local://idle")
    desired, _leaf, _root = custom(pki, tmp_path)
    target.apply(target.plan(desired)).wait()
    runtime = target._runtime()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    idle = context.wrap_socket(socket.create_connection(("127.0.0.1", runtime["https_port"])),
                               server_hostname=CNAME)
    idle.sendall(f"GET / HTTP/1.1\r\nHost: {CNAME}\r\n\r\n".encode())
    assert idle.recv(64).startswith(b"HTTP/1.1 200")  # the connection stays open (keep-alive)
    started = time.monotonic()
    try:
        local.stop("idle")
    finally:
        idle.close()
        local.stop_all()
    assert time.monotonic() - started < 2.5
    assert not group_alive(runtime["pid"])


def _raw_post(port: int, head: str, body: bytes = b"", *, wait: float = 5.0) -> bytes:
    """Send ``head`` (request line and headers) and ``body`` on a raw socket; return what the
    service answers before it closes the connection (bounded by ``wait``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        answer = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break  # closed by the service: the point of every case below
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("headers", "code", "words"),
    [
        ("Content-Length: -1\r\n", 400, b"bad Content-Length"),
        ("Content-Length: -99999999\r\n", 400, b"bad Content-Length"),
        ("Content-Length: lots\r\n", 400, b"bad Content-Length"),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", 400, b"bad Content-Length"),
        ("", 411, b"Content-Length required"),
        ("Transfer-Encoding: chunked\r\n", 411, b"chunked"),
        ("Content-Length: 10485761\r\n", 413, b"over 10485760 bytes"),
        ("Content-Length: 99999999999999999999999\r\n", 400, b"bad Content-Length"),
    ],
)
def test_score_body_length_is_bounded_before_reading(local_target, headers, code, words):
    port = local_target._runtime()["http_port"]
    started = time.monotonic()
    # The body that follows is endless as far as a read-to-EOF would go: the socket stays
    # open, so only a service that refuses without reading answers (and closes) in time.
    answer = _raw_post(port, f"POST /score HTTP/1.1\r\nHost: x\r\n{headers}", b"[" * 4096)
    assert time.monotonic() - started < 4.0
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == str(code).encode(), answer[:200]
    head, _, body = rest.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    assert words in json.loads(body)["error"].encode()
    assert len(answer) < 1000


def test_score_reads_exactly_content_length_and_keeps_the_connection(local_target):
    port = local_target._runtime()["http_port"]
    payload = json.dumps({"data": [[3, 3]]}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for _ in range(2):  # two requests on one connection: the first read no more than its own
            sock.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
            answer = b""
            while not answer.endswith(b"[1]"):
                chunk = sock.recv(4096)
                assert chunk, answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200")
