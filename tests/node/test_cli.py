"""``python -m node``: every start-up mistake is one clear line on stderr and exit code 2.

Most cases call the real entry point (``node.__main__.main``) in-process, which is the same
code without the interpreter start-up; a few run ``python -m node`` as a process to prove that
nothing escapes as a traceback from the real thing.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import plyvel
import pytest

from certificate.keys import SigningKey, write_key_file
from node.__main__ import main as node_main
from node.config import load_config
from node.daemon import Node
from tests.node.helpers import ROOT, ChainFiles, write_chain

pytestmark = pytest.mark.timeout(120)


def run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = node_main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture
def chain(tmp_path: Path) -> ChainFiles:
    return write_chain(tmp_path / "c", ("jpk", "mampu"))


def _cfg(chain: ChainFiles) -> Path:
    return chain.configs["jpk"]


def _edit_config(chain: ChainFiles, old: str, new: str) -> Path:
    p = _cfg(chain)
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new))
    return p


def _edit_genesis(chain: ChainFiles, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    doc = json.loads(chain.genesis.read_text())
    change(doc)
    chain.genesis.write_text(json.dumps(doc))


def _init_data(chain: ChainFiles) -> Path:
    """Create jpk's data directory the way a first start does."""
    node = Node(load_config(_cfg(chain)))
    node.store.close()
    return chain.dir / "jpk" / "data"


CASES: dict[str, tuple[Callable[[ChainFiles], object], tuple[str, ...]]] = {
    "config file missing": (lambda ch: _cfg(ch).unlink(), ("does not exist",)),
    "config not TOML": (lambda ch: _cfg(ch).write_text("node_id = \n[[["), ("not valid TOML",)),
    "config unknown setting": (lambda ch: _cfg(ch).write_text(_cfg(ch).read_text() + 'colour = "blue"\n'),
                               ("unknown setting", "colour")),
    "config bad address": (lambda ch: _edit_config(ch, "p2p_listen = \"127.0.0.1:", "p2p_listen = \"nowhere\" #"),
                           ("p2p_listen",)),
    "config missing node_id": (lambda ch: _edit_config(ch, 'node_id = "jpk"', ""), ("node_id",)),
    "config bad log level": (lambda ch: _edit_config(ch, 'log_level = "warning"', 'log_level = "loud"'),
                             ("log_level",)),
    "config bad portal option": (lambda ch: _cfg(ch).write_text(_cfg(ch).read_text()
                                                               + "[portal]\nlookup_rate_per_minute = -1\n"),
                                 ("lookup_rate_per_minute",)),
    "config quoted boolean": (lambda ch: _cfg(ch).write_text(_cfg(ch).read_text()
                                                            + '[portal]\ntrust_forwarded_for = "false"\n'),
                              ("trust_forwarded_for",)),
    "config secret file not text": (lambda ch: _cfg(ch).write_text(_cfg(ch).read_text()
                                                                  + "[portal]\nsession_secret_file = 7\n"),
                                    ("session_secret_file",)),
    "config portal not a table": (lambda ch: _cfg(ch).write_text('portal = 3\n' + _cfg(ch).read_text()),
                                  ("[portal]",)),
    "key file missing": (lambda ch: (ch.dir / "keys" / "jpk.key").unlink(), ("key file", "does not exist")),
    "key file not a key": (lambda ch: (ch.dir / "keys" / "jpk.key").write_text("hello"), ("not a key file",)),
    "key file is another key": (
        lambda ch: ((ch.dir / "keys" / "jpk.key").unlink(),
                    write_key_file(ch.dir / "keys" / "jpk.key", SigningKey.generate())),
        ("is not the key the genesis file lists",)),
    "node not in genesis": (lambda ch: _edit_config(ch, 'node_id = "jpk"', 'node_id = "stranger"'),
                            ("not a member",)),
    "genesis missing": (lambda ch: ch.genesis.unlink(), ("genesis file", "does not exist")),
    "genesis not JSON": (lambda ch: ch.genesis.write_text("{"), ("not valid JSON",)),
    "genesis issuers not objects": (lambda ch: _edit_genesis(ch, lambda d: d.update(issuers=["abc"])),
                                    ("issuers[0]",)),
    "genesis issuers not a list": (lambda ch: _edit_genesis(ch, lambda d: d.update(issuers={"a": 1})),
                                   ("issuers",)),
    "genesis admin keys not objects": (lambda ch: _edit_genesis(ch, lambda d: d["admins"].update(keys=[1, 2])),
                                       ("admins",)),
    "genesis admin key not hex": (
        lambda ch: _edit_genesis(ch, lambda d: d["admins"]["keys"][0].update(public_key="zz")), ("public_key",)),
    "genesis threshold too high": (lambda ch: _edit_genesis(ch, lambda d: d["admins"].update(threshold=9)),
                                   ("threshold",)),
    "genesis member without key": (lambda ch: _edit_genesis(ch, lambda d: d["members"][1].pop("public_key")),
                                   ("members[1]",)),
    "genesis unknown parameter": (lambda ch: _edit_genesis(ch, lambda d: d["params"].update(speed=3)),
                                  ("speed",)),
    "genesis block too big for a frame": (
        lambda ch: _edit_genesis(ch, lambda d: d["params"].update(block_max_bytes=7 << 20)), ("block_max_bytes",)),
    "genesis duplicate issuer": (lambda ch: _edit_genesis(ch, lambda d: d["issuers"].append(d["issuers"][0])),
                                 ("issuers", "twice")),
    "genesis duplicate admin": (lambda ch: _edit_genesis(ch, lambda d: d["admins"]["keys"].append(
        d["admins"]["keys"][0])), ("admins", "twice")),
    "data dir is a file": (lambda ch: (ch.dir / "jpk" / "data").write_text("x"), ("data directory",)),
    "data dir of another chain": (
        lambda ch: (_init_data(ch), _edit_genesis(ch, lambda d: d.update(chain_id=d["chain_id"] + "-2"))),
        ("another chain",)),
    "data dir with a damaged value": (lambda ch: _damage_head(_init_data(ch)), ("checksum",)),
    "data dir not a LevelDB": (lambda ch: _scramble_leveldb(_init_data(ch)), ("data directory",)),
}


def _damage_head(data: Path) -> None:
    db = plyvel.DB(str(data))
    raw = db.get(b"S:head")
    assert raw is not None
    db.put(b"S:head", raw[:-1] + bytes([raw[-1] ^ 1]), sync=True)
    db.close()


def _scramble_leveldb(data: Path) -> None:
    (data / "CURRENT").write_text("MANIFEST-999999\n")


@pytest.fixture(autouse=True)
def never_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs must fail before the node starts; a case that starts it fails fast."""

    async def refuse(self: Node) -> None:
        self.store.close()
        raise AssertionError("the node started although its configuration is wrong")

    monkeypatch.setattr(Node, "start", refuse)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_start_up_mistakes_are_one_line_and_exit_2(chain: ChainFiles, case: str) -> None:
    spoil, words = CASES[case]
    spoil(chain)
    code, _out, err = run_main("--config", str(_cfg(chain)))
    assert_one_line_error(code, err, *words)


@pytest.mark.parametrize("case", ["config not TOML", "key file missing", "genesis issuers not objects",
                                  "data dir of another chain"])
def test_verify_chain_refuses_the_same_mistakes_with_exit_2(chain: ChainFiles, case: str) -> None:
    spoil, words = CASES[case]
    spoil(chain)
    code, _out, err = run_main("verify-chain", "--config", str(_cfg(chain)))
    assert_one_line_error(code, err, *words)


def test_verify_chain_of_a_node_that_never_ran_says_so_and_creates_nothing(chain: ChainFiles) -> None:
    data = chain.dir / "jpk" / "data"
    code, _out, err = run_main("verify-chain", "--config", str(_cfg(chain)))
    assert_one_line_error(code, err, "does not exist")
    assert not data.exists()


def test_verify_chain_of_a_fresh_node_passes(chain: ChainFiles) -> None:
    _init_data(chain)
    code, out, err = run_main("verify-chain", "--config", str(_cfg(chain)))
    assert code == 0, err
    assert "chain ok: 0 blocks" in out


def test_keygen_writes_a_private_key_file_and_never_overwrites(tmp_path: Path) -> None:
    out_file = tmp_path / "k.key"
    code, out, err = run_main("keygen", "--out", str(out_file))
    assert code == 0, err
    assert len(out.strip()) == 64 and (out_file.stat().st_mode & 0o777) == 0o600
    code, _out, err = run_main("keygen", "--out", str(out_file))
    assert_one_line_error(code, err, "already exists")


def _listening_socket() -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_real_processes_exit_2_with_one_line(tmp_path: Path) -> None:
    """As an operator sees it: ``python -m node`` processes, several mistakes at once."""
    procs = {}
    busy = _listening_socket()
    try:
        port = busy.getsockname()[1]
        runs: dict[str, tuple[ChainFiles, tuple[str, ...]]] = {}
        for name in ("bad genesis", "corrupt data", "p2p port taken", "http port taken"):
            runs[name] = (write_chain(tmp_path / name.replace(" ", "-"), ("jpk", "mampu")), ())
        ch = runs["bad genesis"][0]
        _edit_genesis(ch, lambda d: d.update(issuers=["abc"]))
        _damage_head(_init_data(runs["corrupt data"][0]))
        for name, where in (("p2p port taken", "p2p_listen"), ("http port taken", "http_listen")):
            cfg = _cfg(runs[name][0])
            lines = [f'{where} = "127.0.0.1:{port}"' if ln.startswith(where) else ln
                     for ln in cfg.read_text().splitlines()]
            cfg.write_text("\n".join(lines) + "\n")
        expected = {"bad genesis": "issuers[0]",
                    "corrupt data": "checksum", "p2p port taken": "cannot listen for peers",
                    "http port taken": "cannot serve HTTP"}
        for name, (ch, _) in runs.items():
            procs[name] = subprocess.Popen([sys.executable, "-m", "node", "--config", str(_cfg(ch))],
                                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           stdin=subprocess.DEVNULL, text=True)
        for name, p in procs.items():
            _out, err = p.communicate(timeout=60)
            assert_one_line_error(p.returncode, err, expected[name])
    finally:
        busy.close()
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def test_genesis_summary_prints_the_hash_every_agency_compares(chain: ChainFiles) -> None:
    from node.genesis import load_genesis

    code, out, err = run_main("genesis", "--file", str(chain.genesis))
    assert code == 0, err
    assert load_genesis(chain.genesis).hash.hex() in out
    assert "2 of 3 must sign" in out and "jpk" in out and "mampu" in out
    # the hash is of the content, not of the layout: re-indenting the file keeps it
    chain.genesis.write_text(json.dumps(json.loads(chain.genesis.read_text()), indent=8, sort_keys=True))
    assert run_main("genesis", "--file", str(chain.genesis))[1] == out
    _edit_genesis(chain, lambda d: d.update(issuers=["abc"]))
    code, _out, err = run_main("genesis", "--file", str(chain.genesis))
    assert_one_line_error(code, err, "issuers[0]")
