"""Command-line entry: one subcommand a module, each exposing ``add_parser`` and ``run``.

Every failure a user can cause prints one line to stderr and exits non-zero (2 for bad usage
or input, 1 for "the thing checked is not valid"); no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from certificate.errors import SignatureError, ValidationError

SUBCOMMANDS = ("issue", "revoke", "correct", "render", "verify-pdf", "governance")


class CliError(Exception):
    """A user-facing failure: message printed as one line, then exit with ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m certificate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"certificate.cli.{name.replace('-', '_')}")
        except ModuleNotFoundError as exc:
            if exc.name != f"certificate.cli.{name.replace('-', '_')}":
                raise
            continue
        modules[name] = mod
        mod.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        result: int = modules[args.command].run(args)
        return result
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except (ValidationError, SignatureError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
