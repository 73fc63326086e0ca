"""HTTP load for the benchmarks: transaction submitters, read load (wrk or a Python fallback),
and a bare aiohttp hello-world server as the baseline of what aiohttp itself can serve here.

    python scripts/bench_http.py hello --port P        # the baseline server (own process)
    python scripts/bench_http.py load SPEC.json         # the Python read-load generator (own process)

Read load uses Debian's ``wrk`` when it is installed (C, so the generator costs the shared CPU
as little as possible) and otherwise the Python generator in a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_common import PY, ROOT, pct


# --- transaction submitters ----------------------------------------------------------------------
async def post_txs(urls: list[str], txs: list[bytes], inflight: int, *, path: str = "/api/v1/tx") -> dict[str, Any]:
    """POST each transaction alone (``{"tx": base64}``), ``inflight`` requests outstanding at
    once, spread round-robin over ``urls``; a 201 (applied on that node) counts as committed."""
    import aiohttp

    it = iter(enumerate(txs))
    lat: list[float] = []
    failed: dict[int, int] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        for i, raw in it:
            t0 = time.perf_counter()
            try:
                async with session.post(urls[i % len(urls)] + path, json={"tx": base64.b64encode(raw).decode()}) as r:
                    await r.read()
                    status = r.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            if status == 201:
                lat.append(time.perf_counter() - t0)
            else:
                failed[status] = failed.get(status, 0) + 1

    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=120)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(min(inflight, len(txs)))))
        elapsed = time.perf_counter() - t0
    return {"txs": len(txs), "inflight": inflight, "committed": len(lat), "failed": failed, "seconds": elapsed,
            "per_second": len(lat) / elapsed, "latency_p50_ms": 1000 * pct(lat, 50),
            "latency_p99_ms": 1000 * pct(lat, 99)}


async def post_batches(urls: list[str], txs: list[bytes], clients: int, batch: int) -> dict[str, Any]:
    """``clients`` clients, each on its own node in turn, POSTing ``batch`` transactions per
    request to /api/v1/txs and waiting for them to commit."""
    import aiohttp

    chunks = [txs[i : i + batch] for i in range(0, len(txs), batch)]
    it = iter(chunks)
    lat: list[float] = []
    committed = 0

    async def client(n: int, session: aiohttp.ClientSession) -> None:
        nonlocal committed
        url = urls[n % len(urls)] + "/api/v1/txs"
        for chunk in it:
            t0 = time.perf_counter()
            async with session.post(url, json={"txs": [base64.b64encode(t).decode() for t in chunk]}) as r:
                body = await r.json() if r.status == 200 else {}
            lat.append(time.perf_counter() - t0)
            committed += sum(1 for x in body.get("results", []) if x["status"] in (200, 201))

    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=300)) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(i, session) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    return {"txs": len(txs), "clients": clients, "batch": batch, "committed": committed, "seconds": elapsed,
            "per_second": committed / elapsed, "batch_latency_p50_ms": 1000 * pct(lat, 50),
            "batch_latency_p99_ms": 1000 * pct(lat, 99)}


# --- read load ---------------------------------------------------------------------------------
LUA = r"""
local items = {}
for line in io.lines(os.getenv("BENCH_ITEMS")) do items[#items + 1] = line end
local method = os.getenv("BENCH_METHOD")
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local ctype = os.getenv("BENCH_CTYPE")
local cookie = os.getenv("BENCH_COOKIE")
math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16) % 100000)
request = function()
  local item = items[math.random(#items)]
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if body ~= "" then
    headers["Content-Type"] = ctype
    return wrk.format(method, string.gsub(path, "{item}", item), headers, (string.gsub(body, "{item}", item)))
  end
  return wrk.format(method, (string.gsub(path, "{item}", item)), headers, nil)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\nBENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": %d, "non_2xx": %d}\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def read_load(base_url: str, *, path: str, items: list[str], connections: int, seconds: float,
              method: str = "GET", body: str = "", content_type: str = "", cookie: str = "",
              use_wrk: bool | None = None) -> dict[str, Any]:
    """Requests/s and latency of ``method base_url+path`` (``{item}`` replaced by a random item)
    with ``connections`` open connections for ``seconds``; only 2xx answers count."""
    use_wrk = have_wrk() if use_wrk is None else use_wrk
    with tempfile.TemporaryDirectory() as d:
        items_file = Path(d) / "items.txt"
        items_file.write_text("\n".join(items) + "\n")
        if use_wrk:
            script = Path(d) / "load.lua"
            script.write_text(LUA)
            env = {"BENCH_ITEMS": str(items_file), "BENCH_METHOD": method, "BENCH_PATH": path, "BENCH_BODY": body,
                   "BENCH_CTYPE": content_type, "BENCH_COOKIE": cookie, "PATH": "/usr/bin:/bin"}
            out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
                                  "--timeout", "10s", "-s", str(script), base_url], env=env, capture_output=True,
                                 text=True, check=True).stdout
            line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
            r = json.loads(line[len("BENCH_JSON "):])
            secs = r["duration_us"] / 1e6
            ok = r["requests"] - r["non_2xx"]
            return {"tool": "wrk", "connections": connections, "seconds": secs, "requests": r["requests"],
                    "ok": ok, "errors": r["errors"], "non_2xx": r["non_2xx"], "per_second": ok / secs,
                    "latency_p50_ms": r["p50_us"] / 1000, "latency_p99_ms": r["p99_us"] / 1000}
        spec = {"base_url": base_url, "path": path, "items_file": str(items_file), "connections": connections,
                "seconds": seconds, "method": method, "body": body, "content_type": content_type, "cookie": cookie}
        spec_file = Path(d) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        out = subprocess.run([PY, str(ROOT / "scripts" / "bench_http.py"), "load", str(spec_file)],
                             capture_output=True, text=True, check=True).stdout
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


async def _python_load(spec: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    items = Path(spec["items_file"]).read_text().split()
    lat: list[float] = []
    bad = errors = 0
    deadline = time.perf_counter() + spec["seconds"]
    headers = {"Cookie": spec["cookie"]} if spec["cookie"] else {}
    if spec["body"]:
        headers["Content-Type"] = spec["content_type"]

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal bad, errors
        while time.perf_counter() < deadline:
            item = random.choice(items)
            url = spec["base_url"] + spec["path"].replace("{item}", item)
            data = spec["body"].replace("{item}", item) if spec["body"] else None
            t0 = time.perf_counter()
            try:
                async with session.request(spec["method"], url, data=data, headers=headers) as r:
                    await r.read()
                    if 200 <= r.status < 300:
                        lat.append(time.perf_counter() - t0)
                    else:
                        bad += 1
            except (aiohttp.ClientError, TimeoutError):
                errors += 1

    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, cookie_jar=aiohttp.DummyCookieJar()) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(spec["connections"])))
        secs = time.perf_counter() - t0
    return {"tool": "python-aiohttp", "connections": spec["connections"], "seconds": secs,
            "requests": len(lat) + bad + errors, "ok": len(lat), "errors": errors, "non_2xx": bad,
            "per_second": len(lat) / secs, "latency_p50_ms": 1000 * pct(lat, 50),
            "latency_p99_ms": 1000 * pct(lat, 99)}


# --- the baseline server -----------------------------------------------------------------------
def hello_app() -> Any:
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    async def tx(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"tx_id": str(len(body["tx"]))}, status=201)

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/hello/{item}", hello)
    app.router.add_post("/api/v1/tx", tx)
    return app


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hello")
    h.add_argument("--port", type=int, required=True)
    ld = sub.add_parser("load")
    ld.add_argument("spec", type=Path)
    a = p.parse_args()
    if a.cmd == "hello":
        from aiohttp import web

        web.run_app(hello_app(), host="127.0.0.1", port=a.port, access_log=None, print=None)
        return 0
    print(json.dumps(asyncio.run(_python_load(json.loads(a.spec.read_text())))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
