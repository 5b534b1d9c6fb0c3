"""Hostile ``%%mlssl apply`` bodies and ``--file`` settings: never a traceback, never unbounded.

Property-based (hypothesis, derandomised so a run is reproducible): random text, valid
settings with characters inserted, control characters and lone surrogates, deep nesting,
alias bombs, huge integers, unknown keys. Each goes through the real IPython magic and
through ``mlssl apply local://x --file F`` in-process; the only allowed failure is the
one-line UsageError (magic) or a non-zero exit with one short stderr line (CLI), and every
answer comes within 2 s.
"""

from __future__ import annotations

import itertools
import os
import socket
import string
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from IPython.core.error import UsageError

from jupyter_mlssl.change.settings_yaml import MAX_BYTES, parse
from jupyter_mlssl.cli import main
from tests.fuzzing import fuzz

LIMIT_S = 2.0
MAX_MESSAGE = 300

FUZZ = fuzz(200, LIMIT_S)

GOOD = ("status: enabled\ncname: api.example.test\ncert: c.pem\nkey: k.pem\n"
        "password_env: KEY_PW\nrenew: false\n")
KEYS = ["status", "cname", "cert", "key", "leaf_domain_label", "overwrite_existing_domain",
        "renew", "password_env", "sttaus", "Status", "x" * 200, "", "? [a]", "<<"]
NASTY = ["\x00", "\x1b", "\x7f", "\ud800", "\udfff", "\ufeff", "\u2028", "\x85", "\t", "\r",
         "&a", "*a", "!!python/object:os.system", "!!binary", "{", "[", "]", "}", ":", "- ",
         "'", '"', "\\", "#", "%YAML 1.1\n", "---\n", "...\n", "<<: *a", "\"\\e\"", "\"\\0\""]


def _bomb(levels: int, fan: int) -> str:
    names = [f"l{i}" for i in range(levels + 1)]
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * fan)}]"]
    for prev, cur in itertools.pairwise(names):
        lines.append(f"{cur}: &{cur} [{', '.join([f'*{prev}'] * fan)}]")
    return "\n".join(lines) + "\n"


def _nest(depth: int, flow: bool) -> str:
    if flow:
        return "cname: " + "[" * depth + "x" + "]" * depth + "\n"
    return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = GOOD
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut:]
    return text


@st.composite
def structured(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(st.sampled_from(KEYS))
        value = draw(st.one_of(
            st.sampled_from(["enabled", "disabled", "auto", "true", "~", "[]", "{}", "0x1F",
                             "1:2:3", "2001-12-14", ".inf", "-.nan", "!!str x", "&a x", "*a"]),
            st.sampled_from([1, 40, 41, 300, 4300, 4301, 5000]).map(lambda n: "9" * n),
            st.integers(-10 ** 30, 10 ** 30).map(str),
            st.text(alphabet=string.printable, max_size=40),
            st.text(max_size=20).map(lambda t: '"' + t.replace('"', "") + '"'),
        ))
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


BODIES = st.one_of(
    st.text(max_size=400),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    mutated(),
    structured(),
    st.builds(_bomb, st.integers(1, 12), st.integers(2, 12)),
    st.builds(_nest, st.integers(1, 3000), st.booleans()),
    st.integers(1, 3).map(lambda n: "cname: " + "x" * (MAX_BYTES * n // 2) + "\n"),
)


def _check_message(message: str, extra: int = 0) -> None:
    assert "\n" not in message.strip(), message[:400]
    assert len(message) <= MAX_MESSAGE + extra, (len(message), message[:400])
    assert "Traceback" not in message


@FUZZ
@given(body=BODIES)
def test_magic_apply_answers_hostile_bodies_in_one_short_line(ip, capfd, body):
    started = time.perf_counter()
    result = ip.run_cell("%%mlssl apply local://x\n" + body)
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_S, (elapsed, body[:200])
    error = result.error_in_exec
    if body.strip():
        assert error is not None  # nothing in these bodies is a complete, applicable change
    assert error is None or type(error) is UsageError, (type(error), body[:200])
    if error is not None:
        _check_message(str(error))
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert len(out) + len(err) < 4 * MAX_MESSAGE, (out[:300], err[:300])


@FUZZ
@given(body=BODIES)
def test_cli_apply_file_answers_hostile_files_in_one_short_line(tmp_path, capsys, body):
    path = tmp_path / "tls.yaml"
    path.write_bytes(body.encode("utf-8", "surrogatepass"))
    started = time.perf_counter()
    status = main(["apply", "local://x", "--file", str(path)])
    elapsed = time.perf_counter() - started
    assert elapsed < LIMIT_S, (elapsed, body[:200])
    assert status in (1, 2), status
    out, err = capsys.readouterr()
    assert err.startswith("mlssl"), err[:300]
    _check_message(err, extra=len(str(path)))
    assert "Traceback" not in out + err


def test_parse_refuses_the_alias_bomb_that_made_a_39_mb_message():
    body = _bomb(9, 9)  # ~ 9**9 'lol's once constructed
    assert len(body) < 700
    with pytest.raises(Exception) as caught:
        parse(body, source="%%mlssl cell", first_line=2)
    message = str(caught.value)
    assert message == ("%%mlssl cell, line 3: aliases (*name) are not accepted: settings need "
                       "none; write each value out")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("status: \x00\n", "U+0000"),
        ("cname: \x1b[31mred\n", "U+001B"),
        ("cname: \ud800\n", "U+D800"),
        ("cname: " + "[" * 5000 + "\n", "nested more than"),
        ("cname: " + "1" * 5000 + "\n", "a number of 5000 characters"),
        ("cname: \"\\e[2J\"\n", "control character"),
        ("x" * (MAX_BYTES + 1), f"at most {MAX_BYTES}"),
        ("cname: [a, b]\n", "got a list"),
    ],
)
def test_each_bound_has_its_own_line(body, words):
    with pytest.raises(Exception) as caught:
        parse(body, source="F")
    assert type(caught.value).__name__ == "InputError"
    assert words in str(caught.value)
    _check_message(str(caught.value))


def _run_cli_file(path: str, capsys) -> tuple[int, str, float]:
    started = time.perf_counter()
    status = main(["apply", "local://x", "--file", path])
    return status, capsys.readouterr().err, time.perf_counter() - started


def test_file_that_is_a_fifo_is_refused_without_waiting(tmp_path, capsys):
    fifo = tmp_path / "settings.fifo"
    os.mkfifo(fifo)
    status, err, elapsed = _run_cli_file(str(fifo), capsys)
    assert (status, elapsed < LIMIT_S) == (2, True)
    assert "is a pipe; give a YAML settings file" in err


def test_file_that_is_dev_zero_a_directory_or_a_socket_is_refused(tmp_path, capsys):
    assert _run_cli_file("/dev/zero", capsys)[:2] == (
        2, "mlssl: /dev/zero: is a device; give a YAML settings file\n")
    assert "is a directory" in _run_cli_file(str(tmp_path), capsys)[1]
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.sock"))
        status, err, _ = _run_cli_file(str(tmp_path / "s.sock"), capsys)
    assert status == 2 and ("is a socket" in err or "cannot read" in err), err


def test_file_too_large_is_refused_after_reading_only_the_bound(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)  # a sparse gigabyte: reading it whole would show
    status, err, elapsed = _run_cli_file(str(big), capsys)
    assert status == 2 and elapsed < LIMIT_S
    assert f"larger than {MAX_BYTES} bytes" in err
