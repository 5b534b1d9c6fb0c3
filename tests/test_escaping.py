"""Hostile text stays text: names, SANs, YAML keys and file names reach the notebook as
escaped HTML and the terminal with control characters written as visible escapes, and a
one-line error stays one bounded line.

Certificates are minted with markup and a title-setting OSC sequence (``ESC ] 0 ; ... BEL``)
in their CN and SAN dNSName; assertions are on what a user would actually get: the HTML of
``_repr_html_()``, the text of ``__repr__``, the CLI's stdout / stderr and the error line.
"""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError

from jupyter_mlssl.cli import main
from jupyter_mlssl.errors import InputError, MlsslError
from jupyter_mlssl.reports.rendering import LINE_LIMIT, one_line, visible
from jupyter_mlssl.widgets import Panel
from tests.ipshell import magic, upload

OSC_TITLE = "\x1b]0;pwned\x07"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BIDI = "\u202e"
#: a name carrying all three; a DNSName must be ASCII, so no bidi character in it
HOSTILE_DNS = f"{SCRIPT}{OSC_TITLE}.example.test"
RAW = ("\x1b", "\x07", "\x9b", BIDI)


def _no_raw_controls(text: str) -> None:
    for char in RAW:
        assert char not in text, f"raw {char!r} in {text[:200]!r}"


@pytest.fixture
def hostile(pki, tmp_path):
    root = pki.root()
    leaf = pki.leaf(root, [HOSTILE_DNS, "api.example.test"], cn=f"{SCRIPT}{OSC_TITLE}")
    path = leaf.write_chain(tmp_path / "hostile.pem", [root])
    return {"path": path, "leaf": leaf, "root": root}


# -- the primitives ------------------------------------------------------------------------


def test_visible_writes_controls_and_bidi_overrides_as_escapes():
    assert visible(f"a{OSC_TITLE}b") == "a\\x1b]0;pwned\\x07b"
    assert visible("x\u202ey\u2066z\x9b\x7f\t\n") == "x\\u202ey\\u2066z\\x9b\\x7f\\x09\\x0a"
    assert visible("Zürich — 日本 ✔") == "Zürich — 日本 ✔"  # printable text untouched


def test_one_line_is_bounded_and_keeps_both_ends():
    line = one_line("unknown key '" + "A" * 5_000_000 + "': use one of status, cname")
    assert len(line) <= LINE_LIMIT
    assert line.startswith("unknown key 'AAA") and line.endswith("use one of status, cname")
    assert "…" in line
    words = " ".join(f"word{i}" for i in range(200))  # long, but no long word
    assert len(one_line(words)) <= LINE_LIMIT and one_line(words).startswith("word0 word1")
    assert one_line("a\n\tb  c") == "a b c"


def test_one_line_shortens_echoed_values_before_the_message_own_words():
    arm_id = ("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg1/"
              "providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/aks1")
    message = (f"enable compute 'aks1': the server said {'Q' * 100_000}; the change may or "
               f"may not have been applied: run `mlssl status {arm_id}` before trying again")
    line = one_line(message)
    assert len(line) <= LINE_LIMIT
    assert "the change may or may not have been applied" in line
    assert f"`mlssl status {arm_id}` before trying again" in line  # the fix, whole
    assert "QQQ…QQQ" in line


def test_error_messages_are_one_printable_bounded_line():
    exc = InputError(f"--cert {OSC_TITLE}{'x' * 5_000_000}.pem: no such file; check the path")
    assert len(str(exc)) <= LINE_LIMIT
    assert "\\x1b]0;pwned\\x07" in str(exc) and str(exc).endswith("check the path")
    _no_raw_controls(str(exc))


# -- certificates: CN and SAN --------------------------------------------------------------


def test_hostile_cn_and_san_are_escaped_in_html(hostile):
    from jupyter_mlssl.certificates import inspect

    report = inspect(hostile["path"])
    # The SAN reaches the report as it is in the certificate; escaping is the renderer's.
    # (The subject may already have its control characters replaced by the loader.)
    assert HOSTILE_DNS in report.certificates[0].sans
    page = report._repr_html_()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    _no_raw_controls(page)
    assert "\\x1b]0;pwned\\x07" in page


def test_hostile_cn_and_san_are_visible_escapes_in_text(hostile):
    from jupyter_mlssl.certificates import inspect

    text = repr(inspect(hostile["path"]))
    _no_raw_controls(text)
    assert "CN=\\<script\\>alert(1)\\</script\\>" in text  # RFC 4514, not HTML
    assert f"{SCRIPT}\\x1b]0;pwned\\x07.example.test" in text


def test_cli_prints_hostile_names_escaped_and_json_keeps_them_exact(hostile, capsys):
    status = main(["cert", "inspect", str(hostile["path"])])
    out, err = capsys.readouterr()
    assert status == 1  # the test root is not publicly trusted
    _no_raw_controls(out + err)
    assert "\\x1b]0;pwned\\x07" in out
    assert len(err.splitlines()) == 1 and len(err) <= LINE_LIMIT + 1

    main(["cert", "inspect", str(hostile["path"]), "--json"])
    out, _ = capsys.readouterr()
    _no_raw_controls(out)  # json.dumps writes \u001b
    assert HOSTILE_DNS in json.loads(out)["certificates"][0]["sans"]


# -- file names: CLI, magic, panel -----------------------------------------------------------


def test_hostile_file_name_in_the_magic_is_escaped(ip, hostile, tmp_path):
    path = tmp_path / f"{IMG}{BIDI}{OSC_TITLE}.pem"
    path.write_bytes(hostile["path"].read_bytes())
    result = ip.run_cell(f"%mlssl cert inspect '{path}'")
    assert type(result.error_in_exec) is UsageError  # untrusted root: fails after the tables
    report = magic(ip).last_report
    page = report._repr_html_()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    caption = page[page.index("<caption>"):page.index("</caption>")]
    assert "&lt;img" in caption and "\\u202e\\x1b]0;pwned\\x07.pem" in caption
    _no_raw_controls(page + repr(report) + str(result.error_in_exec))


def test_missing_hostile_file_fails_with_one_escaped_line(ip, tmp_path, capsys):
    status = main(["cert", "inspect", str(tmp_path / f"{IMG}{BIDI}{OSC_TITLE}.pem")])
    out, err = capsys.readouterr()
    assert status == 2
    _no_raw_controls(out + err)  # the (empty) report's caption names the file, escaped
    assert err.startswith("mlssl: ") and len(err.splitlines()) == 1
    assert f"{IMG}\\u202e\\x1b]0;pwned\\x07.pem" in err

    name = str(tmp_path / f"{IMG}{OSC_TITLE}{'y' * 300_000}.pem")
    status = main(["cert", "inspect", name])
    out, err = capsys.readouterr()
    assert status == 2
    _no_raw_controls(out + err)
    assert len(err.splitlines()) == 1 and len(err) <= LINE_LIMIT + 1
    assert err.startswith("mlssl: ") and err.rstrip().endswith("check the path")

    result = ip.run_cell(f"%mlssl cert inspect '{name}'")
    message = str(result.error_in_exec)
    assert type(result.error_in_exec) is UsageError
    assert len(message) <= LINE_LIMIT and "\n" not in message
    _no_raw_controls(message)


def test_panel_upload_with_hostile_name_is_escaped(hostile):
    name = f"{IMG}{BIDI}{OSC_TITLE}.pem"
    panel = Panel(ca_bundle=str(hostile["path"]))
    tab = panel.certificate
    upload(tab.cert_upload, name, hostile["path"].read_bytes())
    assert "<img" not in tab.held.value and "&lt;img" in tab.held.value
    assert "<img" not in panel.status.value
    tab.on_inspect()
    page = tab.out.outputs[-1]["data"]["text/html"]
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page and "&lt;script&gt;" in page
    _no_raw_controls(page)


# -- YAML keys ------------------------------------------------------------------------------


def test_yaml_key_with_escape_and_markup_is_escaped_in_the_error_line(ip):
    # YAML's "\e" and "\a" escapes put a real ESC and BEL into the key.
    body = 'status: enabled\n"\\e]0;pwned\\a<b>k</b>": 1\n'
    result = ip.run_cell(f"%%mlssl apply local://iris\n{body}")
    assert type(result.error_in_exec) is UsageError
    message = str(result.error_in_exec)
    assert "unknown key '\\x1b]0;pwned\\x07<b>k</b>'" in message, message
    _no_raw_controls(message)
    assert len(message) <= LINE_LIMIT


def test_yaml_huge_value_is_not_echoed_whole(ip):
    result = ip.run_cell("%%mlssl apply local://iris\nstatus: " + "z" * 5_000_000 + "\n")
    assert type(result.error_in_exec) is UsageError
    assert len(str(result.error_in_exec)) <= LINE_LIMIT


# -- --password-env and --json ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["hunter2 is my pa55!", "s3cr=t", "9LIVES", "pa-ss"])
def test_password_env_that_is_not_a_name_is_not_echoed(hostile, capsys, value):
    status = main(["cert", "inspect", str(hostile["path"]), "--password-env", value])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert value not in err and "--password-env takes the NAME" in err
    assert len(err.splitlines()) == 1

    with pytest.raises(MlsslError) as caught:
        main_args = ["cert", "inspect", str(hostile["path"]), "--password-env", value]
        from jupyter_mlssl.commands import Context, run
        from jupyter_mlssl.parser import build_parser

        run(build_parser().parse_args(main_args), Context(environ={}))
    assert value not in str(caught.value)


def test_password_env_name_still_named_when_unset(hostile, capsys):
    status = main(["cert", "inspect", str(hostile["path"]), "--password-env", "NO_SUCH_VAR_X"])
    _, err = capsys.readouterr()
    assert status == 2 and "NO_SUCH_VAR_X" in err  # a valid name is safe to repeat


def test_json_with_unusable_input_still_says_why_on_stderr(tmp_path, capsys):
    status = main(["cert", "inspect", str(tmp_path / "missing.pem"), "--json"])
    out, err = capsys.readouterr()
    assert status == 2
    assert json.loads(out)["exit_status"] == 2  # stdout: only the JSON
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlssl: ") and "missing.pem" in lines[0]


def test_json_with_a_found_problem_keeps_stderr_quiet(hostile, capsys):
    status = main(["cert", "inspect", str(hostile["path"]), "--json"])
    out, err = capsys.readouterr()
    assert status == 1 and json.loads(out)["exit_status"] == 1 and err == ""


# -- every report ------------------------------------------------------------------------------


def _hostile_reports() -> list:
    import datetime as dt

    from jupyter_mlssl.certificates.report import OutputReport, WrittenFile
    from jupyter_mlssl.change.workflow import ChangeReport, Check, Verification
    from jupyter_mlssl.dns import DnsRecord, DnsReport
    from jupyter_mlssl.probing.report import ProbeReport, ProbeResult
    from jupyter_mlssl.reports import Finding, Severity
    from jupyter_mlssl.store.history import HistoryReport
    from jupyter_mlssl.targets.base import Change, Plan, SslSettings, TargetStatus
    from jupyter_mlssl.targets.local.verbs import ServicesReport

    bad = f"{SCRIPT}{BIDI}{OSC_TITLE}"
    finding = Finding("x_code", Severity.ERROR, f"server said {bad}")
    probe = ProbeResult(url=f"https://{bad}/", host="a.test", port=443, verdict="not_tls",
                        error=bad, server=bad, hsts=bad,
                        not_after=dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    plan = Plan(target=f"local://{bad}", action="enable", current=SslSettings(),
                desired=SslSettings(status="Enabled", cname=bad),
                changes=[Change("cname", None, bad)], findings=[finding], notes=[bad])
    check = Verification(target=bad, checks=[Check("probe", bad, "not_tls", False, bad)])
    entry = dict(time="2026-01-01T00:00:00", target=bad, action="enable", user=bad,
                 outcome="failed", verification="failed", before_status=bad,
                 before_fingerprint=None, before_not_after=None, after_status=None,
                 after_fingerprint=None, after_not_after=None, message=bad)
    return [
        OutputReport(action="convert", source=bad, files=[WrittenFile(bad, bad, "0600")],
                     subject=bad, names=[bad], next_step=bad, findings=[finding]),
        probe, ProbeReport(results=[probe]),
        DnsReport(name=bad, verdict="no_answer", error=bad, cname_chain=[bad],
                  records=[DnsRecord("CNAME", bad, bad, 60)], notes=[bad]),
        HistoryReport(target=None, entries=[entry]),
        TargetStatus(target=bad, kind="local", ssl=SslSettings(cname=bad), notes=[bad],
                     findings=[finding]),
        plan, check,
        ChangeReport(target=bad, action="enable", plan=plan, outcome="failed", message=bad,
                     verification=check),
        ServicesReport(services=[{"name": bad, "target": bad, "state": "running"}]),
        ServicesReport(message=bad),
    ]


@pytest.mark.parametrize("report", _hostile_reports(), ids=lambda r: type(r).__name__)
def test_every_report_escapes_hostile_text(report):
    text = repr(report)
    _no_raw_controls(text)
    assert "\\u202e\\x1b]0;pwned\\x07" in text
    page = report._repr_html_()
    _no_raw_controls(page)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "\\u202e\\x1b]0;pwned\\x07" in page
