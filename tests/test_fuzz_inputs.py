"""Hostile input typed by a user: never a traceback, never unbounded, never the network.

Property-based (hypothesis, derandomised so a run is reproducible) over every parser of
what a user types: probe URLs and ``--resolve`` entries, ``--nameserver`` entries and the
names ``dns`` checks, target ids (``local://NAME``, ARM ids, DNS zone ids), the ``dns set``
inputs checked before any call (``--label``, ``--name``, ``--ttl``), and whole ``%mlssl``
lines and ``mlssl`` argument lists. The only allowed failure is an ``InputError`` (exit 2) or
a per-URL verdict, with a message that is one printable line of at most ``LINE_LIMIT``
characters (``reports.rendering.one_line``).

Nothing here reaches the network: probed names are pinned to 127.0.0.1 with ``resolve=``,
nameservers are a refused loopback port, the ARM ids that reach ``open_target`` are ones that
fail to parse (parsing comes before any credential or client), and the whole-line tests run
with the system resolver replaced by one that refuses every name but loopback.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from IPython.core.error import UsageError

from jupyter_mlssl.change.dns_plan import TTL_MAX, check_record_name, check_ttl, plan_dns
from jupyter_mlssl.cli import main
from jupyter_mlssl.dns.check import _norm_name, check_dns, parse_nameserver
from jupyter_mlssl.errors import InputError, MlsslError
from jupyter_mlssl.probing import VERDICTS, probe_many
from jupyter_mlssl.probing.endpoint import DEFAULT_PORTS, parse_resolve, parse_url
from jupyter_mlssl.reports.rendering import LINE_LIMIT, visible
from jupyter_mlssl.targets import open_target
from jupyter_mlssl.targets.azure.dns_zone import parse_zone_id
from jupyter_mlssl.targets.azure.resource_id import parse, segment_ok
from jupyter_mlssl.targets.local import LocalTarget, store
from tests.fuzzing import fuzz
from tests.pki import TestPKI
from tests.tlsservers import TLSServer, refused_port

LIMIT_S = 2.0

FUZZ = fuzz(200, LIMIT_S)
FEW = fuzz(100, LIMIT_S)

NAME = "api.example.test"
#: what a DNS host name is once IDNA-encoded (the probe, dns set and zone ids agree on it)
LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)

NASTY = ["\x00", "\x1b", "\x7f", "\t", "\n", "\r", " ", "\ud800", "\ufeff", "\u200b",
         "\u00ad", "\u2028", "\uff0e", "ü", "ß", "ａ", "\u0663", "@", "u:s3cret@", ":", "::",
         "[", "]", "[::1]", "#", "?", "%", "%00", "%2e%2e", "..", ".", "/", "\\", "'", '"',
         "{", "}", "$", "-", "_", "xn--", "xn--zz", "*", "+", "99999", "-1", "0",
         "1_0", "a" * 64, "a" * 300, "x" * 100_000]


def _check_message(message: str) -> None:
    """One printable line, bounded, no traceback (what every face shows of an error)."""
    assert message.strip(), "empty message"
    assert visible(message) == message, repr(message[:300])  # no control / bidi characters
    message.encode("utf-8")  # no lone surrogate: stdout and the kernel's messages are UTF-8
    assert len(message) <= LINE_LIMIT, (len(message), message[:300])
    assert "Traceback" not in message


def _userinfo(url: str) -> str:
    """The user:password of ``url`` as the probe reads it (a bare host means https)."""
    text = url.strip()
    text = text if "://" in text else "https://" + text
    try:
        return urlsplit(text).netloc.rpartition("@")[0]
    except ValueError:  # urlsplit refuses it, though the netloc may still hold a password
        return re.split(r"[/?#]", text.partition("//")[2], maxsplit=1)[0].rpartition("@")[0]


def _is_dns_name(host: str) -> bool:
    ascii_host = host.encode("idna").decode("ascii").lower()
    return len(ascii_host) <= 253 and all(LABEL.fullmatch(p) for p in ascii_host.split("."))


@st.composite
def mutated(draw: st.DrawFn, good: str, pieces: list[str] = NASTY) -> str:
    """``good`` with a few cuts and hostile pieces put in anywhere."""
    text = good
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(pieces), st.text(max_size=6)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut:]
    return text


# -- 1. probe URLs and --resolve ---------------------------------------------------------------

URLS = st.one_of(
    mutated("https://api.example.test:8443/score?x=1#top"),
    mutated("api.example.test"),
    mutated("http://[::1]:8080/"),
    st.text(max_size=80),
    st.builds(lambda host, port: f"https://{host}:{port}/", st.sampled_from(NASTY),
              st.sampled_from(["0", "1", "443", "65535", "65536", "-1", "99999999999999999999",
                               "+1", "1_0", " 1", "\u0663", "", "0x1f"])),
)


@FUZZ
@given(url=URLS)
def test_parse_url_gives_a_connectable_endpoint_or_one_line(url):
    try:
        endpoint = parse_url(url)
    except InputError as exc:
        _check_message(str(exc))
        if url.count("s3cret") == 1 and "s3cret" in _userinfo(url):
            assert "s3cret" not in str(exc)  # a password in a URL is never echoed
        return
    assert endpoint.scheme in DEFAULT_PORTS
    assert 0 < endpoint.port < 65536
    assert endpoint.target.startswith("/")
    host = endpoint.host
    assert host and "@" not in endpoint.url.partition("#")[0].partition("/")[0]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        assert _is_dns_name(host), host  # what the resolver and ssl's SNI will take
    assert visible(endpoint.host_header) == endpoint.host_header


@FUZZ
@given(entries=st.lists(st.one_of(
    mutated(f"{NAME}:443:127.0.0.1"), mutated(f"{NAME}:8443:[::1]"), st.text(max_size=40),
), min_size=1, max_size=3))
def test_parse_resolve_gives_pins_or_one_line(entries):
    try:
        overrides = parse_resolve(entries)
    except InputError as exc:
        _check_message(str(exc))
        return
    for (host, port), address in overrides.items():
        assert 0 < port < 65536
        ipaddress.ip_address(address)
        assert _is_dns_name(host) or ipaddress.ip_address(host)


@pytest.fixture(scope="module")
def server(pki: TestPKI):
    """A healthy TLS endpoint on 127.0.0.1: what the fuzzed URLs are pinned to."""
    root = pki.root()
    leaf = pki.leaf(pki.intermediate(root), [NAME])
    good = TLSServer([leaf]).start()
    yield good
    good.stop()


#: hosts that are valid, though not as usually written: they must reach the server
ODD_HOSTS = ["bücher.example", "API.EXAMPLE.TEST.", "_x.example.test", "xn--tda.test",
             "127.0.0.1", "a" * 63 + ".test", "ａpi.example.test", "localhost", "[::1]"]


@st.composite
def probed_url(draw: st.DrawFn, port: int) -> str:
    host = draw(st.one_of(st.sampled_from(ODD_HOSTS), mutated(NAME), st.sampled_from(ODD_HOSTS),
                          st.sampled_from(NASTY), st.text(max_size=12)))
    tail = draw(st.one_of(st.just("/"), mutated("/score?x=1#f")))
    user = draw(st.sampled_from(["", "", "", "u:s3cret@", "@"]))
    return f"https://{user}{host}:{port}{tail}"


@FUZZ
@given(data=st.data())
def test_probe_many_answers_each_hostile_url_and_keeps_the_healthy_one(server, data):
    url = data.draw(probed_url(server.port))
    good = server.url(NAME)
    try:
        endpoint = parse_url(url)
    except InputError as exc:
        with pytest.raises(InputError) as caught:  # refused before a single connection
            probe_many([good, url], resolve=[server.resolve(NAME)], timeout=1.0)
        assert str(caught.value) == str(exc)
        return
    if endpoint.port != server.port:
        return  # the mutation moved the port: nothing is pinned there, so do not connect
    event("probed")
    started = time.perf_counter()
    report = probe_many(
        [good, url], resolve=[server.resolve(NAME), f"{endpoint.host}:{endpoint.port}:127.0.0.1"]
        if ":" not in endpoint.host else [server.resolve(NAME)], timeout=1.0,
        redirect_port=None)
    assert time.perf_counter() - started < LIMIT_S
    first, second = report.results
    assert first.url == good and first.verdict in VERDICTS
    assert first.leaf_fingerprint  # the healthy endpoint was read whatever the other did
    assert second.verdict in VERDICTS
    _check_message(report.summary())


def test_a_password_in_the_url_is_refused_without_echoing_it():
    with pytest.raises(InputError) as caught:
        parse_url("https://admin:hunter2@api.example.test/")
    assert "hunter2" not in str(caught.value) and "admin" not in str(caught.value)
    assert "remove the user:password@ part" in str(caught.value)


@pytest.mark.parametrize("url", ["admin:hunter2@:65536", "ftp://admin:hunter2@h/",
                                 "https://admin:hunter2@/", "https://admin:hunter2@h:0/",
                                 "https://admin:hunter2@[::1/", "https://a:b@admin:hunter2@h/"])
def test_no_message_about_a_url_echoes_its_password(url):
    # regression (found by the fuzz above): the scheme, port and "no host" messages did
    with pytest.raises(InputError) as caught:
        parse_url(url)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("url", [
    "https://api example.test/", "https://api\x00.example.test/", "https://a..b/",
    "https://-api.example.test/", "https://" + "a" * 64 + ".test/", "https://h%00/",
    "https://[v1.x]/", "https://api.example.test:0/", "https://\ud800/",
])
def test_hosts_the_resolver_would_be_asked_about_are_refused_first(url):
    # regression: these parsed, and went to the system resolver (or ssl) as host names
    with pytest.raises(InputError):
        parse_url(url)


@pytest.mark.parametrize("entry", ["a.test:+1:127.0.0.1", "a.test:1_0:127.0.0.1",
                                   "a.test: 1:127.0.0.1", "a.test:\u0663:127.0.0.1",
                                   "a b:1:127.0.0.1", "a\x00:1:127.0.0.1"])
def test_resolve_entries_int_would_have_taken_are_refused(entry):
    # regression: int() takes '+1', '1_0', ' 1' and Arabic-Indic digits
    with pytest.raises(InputError):
        parse_resolve([entry])


def test_international_names_still_parse():
    assert parse_url("https://bücher.example/").host == "bücher.example"
    assert parse_url("https://[fe80::1%eth0]:8443/").port == 8443
    assert parse_url("https://_acme.example.test/").host == "_acme.example.test"


# -- 2. nameservers and DNS names ------------------------------------------------------------

NAMESERVERS = st.one_of(
    mutated("127.0.0.1:5353"), mutated("[::1]:53"), mutated("::1"), st.text(max_size=30),
)
DNS_NAMES = st.one_of(
    mutated(NAME), st.sampled_from(NASTY), st.text(max_size=30),
    st.integers(1, 6).map(lambda n: ".".join(["a" * 63] * n)),
    st.integers(60, 70).map(lambda n: "a" * n + ".test"),
)


@FUZZ
@given(entry=NAMESERVERS)
def test_parse_nameserver_gives_an_address_and_port_or_one_line(entry):
    try:
        host, port = parse_nameserver(entry)
    except InputError as exc:
        _check_message(str(exc))
        return
    ipaddress.ip_address(host)
    assert 0 < port < 65536


@pytest.fixture(scope="module")
def dead_nameserver() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@FEW
@given(name=DNS_NAMES)
def test_check_dns_answers_hostile_names_with_a_report_or_one_line(dead_nameserver, name):
    started = time.perf_counter()
    try:
        report = check_dns(name, nameservers=[dead_nameserver], timeout=0.05)
    except InputError as exc:
        event("refused")
        _check_message(str(exc))
        return
    assert time.perf_counter() - started < LIMIT_S
    assert report.verdict == "error" and report.error  # nobody answers on that port
    _check_message(report.summary())
    assert visible(report.name) == report.name and " " not in report.name


@pytest.mark.parametrize("entry", ["[::1", "127.0.0.1:+53", "127.0.0.1:5_3",
                                   "127.0.0.1: 53", "127.0.0.1:\u0665\u0663"])
def test_nameservers_that_only_looked_valid_are_refused(entry):
    # regression: an unclosed '[' was taken as ::1, and int() took these ports
    with pytest.raises(InputError):
        parse_nameserver(entry)


@pytest.mark.parametrize("name", ["\x00", "a b.test", "api.example.test\x1b[2J"])
def test_names_with_spaces_or_control_characters_are_refused(name):
    # regression: dnspython took them as label bytes and a query went out for them
    with pytest.raises(InputError):
        _norm_name(name, "name")


# -- 3. target ids --------------------------------------------------------------------------

COMPUTE = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
           "Microsoft.MachineLearningServices/workspaces/ws/computes/aks1")
EXTENSION = ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/"
             "managedClusters/c/providers/Microsoft.KubernetesConfiguration/extensions/ml")
ZONE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnszones/contoso.com"


@st.composite
def arm_ids(draw: st.DrawFn, good: str) -> str:
    segs = good.split("/")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(1, len(segs) - 1))
        action = draw(st.sampled_from(["replace", "drop", "case", "dup"]))
        if action == "replace":
            segs[i] = draw(st.one_of(st.sampled_from([*NASTY, "", "Microsoft.Web", "sites"]),
                                     st.text(max_size=8)))
        elif action == "drop" and len(segs) > 2:
            del segs[i]
        elif action == "case":
            segs[i] = segs[i].swapcase()
        else:
            segs.insert(i, segs[i])
    return "/".join(segs)


def _ref_segments(ref) -> list[str]:
    paths = [ref.resource_group_path]
    if ref.kind == "k8s-extension":
        paths += [ref.cluster_path, ref.extensions_path]
    else:
        paths.append(ref.workspace_path)
    names = [ref.name] if ref.name is not None else []
    return [s for p in paths for s in p.split("/")[1:]] + names


@FUZZ
@given(target_id=st.one_of(arm_ids(COMPUTE), arm_ids(EXTENSION), mutated(COMPUTE),
                           st.text(max_size=60)))
def test_arm_ids_parse_into_safe_url_segments_or_one_line(target_id):
    try:
        ref = parse(target_id)
    except InputError as exc:
        _check_message(str(exc))
        try:
            open_target(target_id)  # the id fails before any credential or client
        except InputError as again:
            _check_message(str(again))
        else:
            raise AssertionError(f"open_target opened {target_id!r}")
        return
    for segment in _ref_segments(ref):  # each goes into an ARM URL path as is
        assert segment_ok(segment), (segment, target_id)


@FUZZ
@given(zone_id=st.one_of(arm_ids(ZONE), mutated(ZONE), st.text(max_size=40)))
def test_zone_ids_name_a_dns_zone_or_one_line(zone_id):
    try:
        ref = parse_zone_id(zone_id)
    except InputError as exc:
        _check_message(str(exc))
        return
    assert segment_ok(ref.subscription) and segment_ok(ref.resource_group)
    assert ref.zone and all(LABEL.fullmatch(p) for p in ref.zone.split("."))


LOCAL_IDS = st.one_of(
    mutated("local://iris"), st.sampled_from(NASTY).map(lambda n: "local://" + n),
    st.text(max_size=30).map(lambda t: "local://" + t),
    st.sampled_from(["local://../../etc", "local://iris/../x", "local://./", "local://%2e%2e",
                     "local://iris\n", "local://" + "a" * 10_000, "local://IRIS",
                     "local://iris\x00", "local:///iris/"]),
)


@FUZZ
@given(target_id=LOCAL_IDS)
def test_local_names_never_leave_the_state_directory(mlssl_home, target_id):
    try:
        LocalTarget.from_id(target_id)
    except InputError as exc:
        _check_message(str(exc))
    else:
        raise AssertionError(f"{target_id!r} opened a service that was never deployed")
    name = target_id[len("local://"):].strip("/")
    try:
        where = store.service_dir(name)
    except InputError:
        return
    services = (Path(mlssl_home).resolve() / "local" / "services")
    assert where.resolve().parent == services, (name, where)
    assert where.name == name and re.fullmatch(r"[a-z0-9-]{1,63}", name)
    with pytest.raises(InputError):  # through the faces' door too
        open_target(target_id)


def test_a_local_name_with_a_trailing_newline_is_refused():
    # regression: NAME_RE.match() let "iris\n" through ($ matches before a final newline)
    with pytest.raises(InputError):
        store.check_name("iris\n")


@pytest.mark.parametrize("target_id", [
    COMPUTE.replace("/aks1", "/.."),
    COMPUTE.replace("/rg/", "/rg?api-version=1/"),
    COMPUTE.replace("/ws/", "/w%2fs/"),
    COMPUTE.replace("/aks1", "/aks1\x00"),
    COMPUTE.replace("/ws/", "/ w s /"),
])
def test_arm_segments_that_would_address_another_url_are_refused(target_id):
    # regression: '.../computes/..' parsed, and its URL addresses the workspace itself
    with pytest.raises(InputError):
        parse(target_id)


@pytest.mark.parametrize("zone_id", [ZONE.replace("contoso.com", ".."),
                                     ZONE.replace("contoso.com", "."),
                                     ZONE.replace("contoso.com", "a b\x00"),
                                     ZONE.replace("/rg/", "/../")])
def test_zone_ids_without_a_zone_name_are_refused(zone_id):
    # regression: '.../dnszones/..' gave a zone named '' (the dots stripped)
    with pytest.raises(InputError):
        parse_zone_id(zone_id)


@pytest.mark.parametrize("value", [5, 3.5, b"/subscriptions/"])
def test_ids_that_are_not_strings_are_one_line(value):
    # regression: AttributeError ('int' object has no attribute 'strip')
    for parser in (parse, parse_zone_id, open_target):
        with pytest.raises(InputError):
            parser(value)


# -- 5. dns set inputs, checked before any call ----------------------------------------------


class _NoCalls:
    """A target whose every use fails the test: ``plan_dns`` must refuse bad input first."""

    id = "local://x"
    kind = "local"

    def status(self):
        raise AssertionError("plan_dns called the target before checking its input")


@FUZZ
@given(ttl=st.one_of(st.integers(-10, 10), st.integers(TTL_MAX - 2, 2 ** 70),
                     st.floats(allow_nan=True), st.booleans(), st.text(max_size=12),
                     st.sampled_from(["300", " 300 ", "1_0", "+5", "\u0663", "1e3", "inf"])))
def test_ttl_is_whole_seconds_in_range_or_one_line(ttl):
    try:
        seconds = check_ttl(ttl)
    except InputError as exc:
        _check_message(str(exc))
        with pytest.raises(InputError):
            plan_dns(_NoCalls(), zone="local", name=NAME, ttl=ttl)
        return
    assert type(seconds) is int and 1 <= seconds <= TTL_MAX


@FUZZ
@given(name=DNS_NAMES)
def test_record_names_are_dns_names_or_one_line(name):
    try:
        text = check_record_name(name)
    except InputError as exc:
        _check_message(str(exc))
        with pytest.raises(InputError):
            plan_dns(_NoCalls(), zone="local", name=name)
        return
    assert len(text) <= 253 and all(LABEL.fullmatch(p) for p in text.split("."))


@pytest.mark.parametrize("ttl", ["abc", float("inf"), float("nan"), 2.5, True, 0, 2 ** 31])
def test_bad_ttls_are_input_errors_not_value_errors(ttl):
    # regression: int('abc') / int(inf) raised ValueError / OverflowError from plan_dns
    with pytest.raises(InputError, match="--ttl"):
        plan_dns(_NoCalls(), zone="local", name=NAME, ttl=ttl)


def test_label_rules():
    from jupyter_mlssl.targets.azure.public_ip import check_label

    for label in ("", "ab", "1abc", "abc-", "a" * 64, "ab c", "ab\x00c", "ABC", "ab_c"):
        with pytest.raises(InputError):
            check_label(label)
    assert check_label("my-model-1") == "my-model-1"


def test_a_label_with_a_trailing_newline_is_refused():
    from jupyter_mlssl.targets.azure.public_ip import check_label

    with pytest.raises(InputError):
        check_label("my-model\n")


# -- 4. whole lines: the magic and the CLI ----------------------------------------------------


@pytest.fixture
def loopback_only(monkeypatch):
    """The system resolver, for the length of a test, knows loopback and nothing else: a
    fuzzed line that names a host must end as a dns_error verdict, not a query."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in ("localhost", "127.0.0.1", "::1", None):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (test)")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(scope="module")
def prefixes(dead_nameserver) -> list[str]:
    dead = refused_port()
    return [
        "cert inspect",
        f"probe https://{NAME}:{dead}/ --resolve {NAME}:{dead}:127.0.0.1 --timeout 0.3",
        f"dns {NAME} --nameserver {dead_nameserver} --timeout 0.05",
        "history local://iris",
        "status local://",
        "status",
    ]


TAILS = st.one_of(
    st.text(max_size=40),
    # not --timeout (a user who asks for 99999 s gets them), nor --nameserver (only the
    # refused one is asked: an answer would be compared with the system resolver's)
    st.lists(st.sampled_from([*NASTY, "'", '"', "{x}", "{", "$x", "$", "--json", "-h",
                              "--resolve", "local://a/../b"]),
             max_size=6).map(" ".join),
    st.integers(4096, 6000).map(lambda n: "a" * n),
)


@FUZZ
@given(data=st.data())
def test_magic_lines_end_in_a_result_or_one_usage_line(ip, capfd, loopback_only, prefixes,
                                                       data):
    line = data.draw(st.sampled_from(prefixes)) + " " + data.draw(TAILS)
    line = " ".join(line.splitlines())  # a line magic gets one line (\x0b, \x1c, \u2028 too)
    started = time.perf_counter()
    result = ip.run_cell("%mlssl " + line)
    error = result.error_before_exec or result.error_in_exec
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_S, (elapsed, line[:200])
    assert error is None or type(error) is UsageError, (type(error), line[:200])
    event(line.split()[0] + (" refused" if error is not None else " ran"))
    if error is not None:
        _check_message(str(error))
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, (out[-500:], err[-500:])


@FUZZ
@given(data=st.data())
def test_cli_argv_exits_0_1_or_2_with_one_stderr_line(capsys, loopback_only, prefixes,
                                                      data):
    argv = shlex.split(data.draw(st.sampled_from(prefixes)))
    argv += data.draw(st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)),
                               max_size=5))
    started = time.perf_counter()
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse: a usage error (2) or --help (0)
        status = exc.code
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_S, (elapsed, argv)
    assert status in (0, 1, 2), (status, argv)
    event(f"{argv[0]} exit {status}")
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if status and "usage:" not in err:  # argparse prints its usage above the error line
        lines = err.strip().splitlines()
        assert len(lines) == 1, (argv, err[:600])
        _check_message(lines[0])


def test_mlssl_error_messages_stay_bounded_for_a_100_kb_url():
    with pytest.raises(MlsslError) as caught:
        parse_url("https://" + "a" * 100_000 + "/")
    _check_message(str(caught.value))
