"""``python -m node``: the composition root, the only module of ``node`` that knows ``portal``.

    python -m node --config node.toml          run a node until SIGTERM/SIGINT
    python -m node keygen --out FILE           write a new Ed25519 key file
    python -m node verify-chain --config FILE  audit a stopped node's data offline
    python -m node genesis --file genesis.json print a genesis file's hash and content, to compare
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from certificate.errors import ValidationError


def _config(path: str):  # type: ignore[no-untyped-def]
    from node.config import load_config

    return load_config(Path(path))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "keygen":
        p = argparse.ArgumentParser(prog="python -m node keygen")
        p.add_argument("--out", required=True, help="new key file (mode 0600; never overwritten)")
        args = p.parse_args(argv[1:])
        from certificate.keys import SigningKey, write_key_file

        key = SigningKey.generate()
        try:
            write_key_file(Path(args.out), key)
        except FileExistsError:
            print(f"error: {args.out} already exists; refusing to overwrite a key", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
            return 2
        except ValidationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(key.public.hex)
        return 0
    if argv and argv[0] == "genesis":
        p = argparse.ArgumentParser(prog="python -m node genesis")
        p.add_argument("--file", required=True, help="genesis.json to check and summarise")
        args = p.parse_args(argv[1:])
        from node.genesis import describe_genesis, load_genesis

        try:
            genesis = load_genesis(Path(args.file))
        except ValidationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(describe_genesis(genesis))
        return 0
    if argv and argv[0] == "verify-chain":
        p = argparse.ArgumentParser(prog="python -m node verify-chain")
        p.add_argument("--config", required=True)
        args = p.parse_args(argv[1:])
        try:
            cfg = _config(args.config)
        except ValidationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        from node.audit import audit

        result = audit(cfg)
        print(result.message if result.ok else f"error: {result.message}",
              file=sys.stdout if result.ok else sys.stderr)
        return result.exit_code
    p = argparse.ArgumentParser(prog="python -m node", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="node.toml")
    args = p.parse_args(argv)
    try:
        cfg = _config(args.config)
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from node.daemon import StartupError, serve
    from node.storage.db import StorageError
    from portal.app import make_app

    try:
        return asyncio.run(serve(cfg, make_app))
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
