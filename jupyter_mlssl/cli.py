"""The ``mlssl`` command line: parse, run the verb's handler, print its report.

Exit status (docs/contracts.md): 0 all good; 1 a check found a problem or an operation failed;
2 bad usage or unusable input. Expected failures print one line on stderr, no traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.reports.rendering import one_line


def _error_line(text: str) -> None:
    """The one line on stderr that says why (bounded, control characters escaped)."""
    print(one_line(text if text.lstrip().startswith("mlssl") else f"mlssl: {text}"),
          file=sys.stderr)


def _confirm(question: str) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        return False
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")


def _progress(message: str) -> None:
    # Progress lines quote servers and files too: one printable line each.
    print(one_line(message), file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from jupyter_mlssl.commands import Context, run
    from jupyter_mlssl.parser import build_parser

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.handler == "panel:show":
            raise MlsslError("mlssl panel: the panel runs in a notebook: use %mlssl panel")
        interactive = bool(sys.stdin) and sys.stdin.isatty()
        context = Context(confirm=_confirm if interactive else None, progress=_progress)
        report = run(args, context)
    except MlsslError as exc:
        _error_line(str(exc))
        return exc.exit_status
    except KeyboardInterrupt:
        print("mlssl: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)

    if getattr(args, "json", False):
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report)
    status = report.exit_status
    # With --json, stdout holds only JSON; unusable input (2) still says why on stderr, for
    # scripts that log it. A check that found a problem (1) is in the JSON already.
    if status == 2 or (status and not getattr(args, "json", False)):
        _error_line(report.summary())
    return status


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
