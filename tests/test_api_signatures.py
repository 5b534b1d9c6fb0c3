"""The public API shows its real parameters: to ``inspect.signature`` / ``help()``, to jedi (what
IPython's completer uses) and to the functions it calls (no drift)."""

from __future__ import annotations

import inspect

import pytest

import jupyter_mlssl as mlssl
from jupyter_mlssl import api

PUBLIC = ["connect", "inspect_certificate", "check_dns", "probe", "probe_many", "aprobe_many",
          "panel", "renewal_due"]


def _underlying(name: str):
    from jupyter_mlssl import certificates, dns, probing
    from jupyter_mlssl.acme.renewal import renewal_due
    from jupyter_mlssl.change.targets import open_for_change
    from jupyter_mlssl.widgets import Panel

    return {"connect": open_for_change, "inspect_certificate": certificates.inspect,
            "check_dns": dns.check_dns, "probe": probing.probe,
            "probe_many": probing.probe_many, "aprobe_many": probing.aprobe_many,
            "panel": Panel.__init__, "renewal_due": renewal_due}[name]


@pytest.mark.parametrize("name", PUBLIC)
def test_named_parameters_no_kwargs(name):
    function = getattr(mlssl, name)
    assert function is getattr(api, name)  # the root re-exports the API, nothing else
    params = inspect.signature(function).parameters.values()
    kinds = {p.kind for p in params}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert inspect.Parameter.VAR_POSITIONAL not in kinds
    assert len(params) >= 2


def test_the_parameters_people_reach_for_are_there():
    assert list(inspect.signature(mlssl.probe).parameters) == [
        "url", "ca_bundle", "resolve", "timeout", "now", "redirect_port"]
    assert list(inspect.signature(mlssl.check_dns).parameters) == [
        "name", "expect", "nameservers", "timeout"]
    assert list(inspect.signature(mlssl.connect).parameters) == [
        "target", "credential", "arm_endpoint"]
    assert {"cert", "key", "cname", "password", "ca_bundle"} <= set(
        inspect.signature(mlssl.inspect_certificate).parameters)


@pytest.mark.parametrize("name", PUBLIC)
def test_same_parameters_and_defaults_as_the_function_called(name):
    ours = inspect.signature(getattr(api, name)).parameters
    theirs = {k: p for k, p in inspect.signature(_underlying(name)).parameters.items()
              if k != "self" and not k.startswith("_")}
    assert list(ours) == list(theirs)
    assert {k: p.default for k, p in ours.items()} == {k: p.default for k, p in theirs.items()}


def test_jedi_completes_the_keywords():
    jedi = pytest.importorskip("jedi")
    source = "mlssl.probe('https://x/', tim"
    completions = jedi.Interpreter(source, [{"mlssl": mlssl}]).complete()
    assert "timeout=" in {c.name_with_symbols for c in completions}
    signatures = jedi.Interpreter("mlssl.check_dns(", [{"mlssl": mlssl}]).get_signatures()
    assert [p.name for p in signatures[0].params] == ["name", "expect", "nameservers",
                                                     "timeout"]


def test_ipython_completer_offers_the_keywords(ip):
    ip.run_cell("import jupyter_mlssl as mlssl")
    text = "mlssl.check_dns('a.example', expe"
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        found = {c.text for c in ip.Completer.completions(text, len(text))}
    assert "expect=" in found


def test_the_package_is_typed():
    from pathlib import Path

    assert (Path(api.__file__).parent / "py.typed").is_file()
