"""The same scenarios driven by wrk (Debian's `wrk`), when it is installed: `--client wrk`.

wrk is written in C and costs the machine less per request than any Python client; its Lua
hooks rotate through the scenario's requests, put a fresh idempotency key in each, and count
a response as an error on the same rule as bench/loadgen.py. A warm-up run comes first.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.loadgen import IDEMPOTENCY_PLACEHOLDER, encode_request, process_cpu_seconds
from bench.scenarios import Scenario
from bench.server import Server

_SCRIPT = r"""
local reqs = { %(requests)s }
local fresh = { %(fresh)s }
local expect = %(expect)s
local counter = 0
local threads = {}
local next_id = 0
errors = 0
samples = ""

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
  counter = thread_id * 97
end

local function key()
  return string.format("%%08x%%08x%%08x%%08x", math.random(0, 2147483646),
    math.random(0, 2147483646), math.random(0, 2147483646), math.random(0, 2147483646))
end

function request()
  counter = counter + 1
  local i = (counter %% #reqs) + 1
  if fresh[i] then
    return (string.gsub(reqs[i], "@@IDEMPOTENCY%%-KEY%%-PLACEHOLDER@@@", key()))
  end
  return reqs[i]
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors":[{', 1, true)
      or not string.find(body, expect, 1, true) then
    errors = errors + 1
    if string.len(samples) < 400 then
      samples = samples .. status .. ": " .. string.sub(body, 1, 200) .. " | "
    end
  end
end

function done(summary, latency, requests)
  local errs = 0
  local sample = ""
  for _, t in ipairs(threads) do
    errs = errs + (t:get("errors") or 0)
    sample = sample .. (t:get("samples") or "")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"bad_responses":%%d,"socket_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errs,
    e.connect + e.read + e.write + e.timeout))
  io.write("WRKSAMPLE " .. sample .. "\n")
end
"""


def _lua_string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    )
    return f'"{escaped}"'


def script(host: str, port: int, scenario: Scenario) -> str:
    raw = [encode_request(host, port, t).decode() for t in scenario.templates]
    return _SCRIPT % {
        "requests": ", ".join(_lua_string(r) for r in raw),
        "fresh": ", ".join("true" if IDEMPOTENCY_PLACEHOLDER in r else "false" for r in raw),
        "expect": _lua_string(scenario.expect),
    }


def _wrk(path: Path, server: Server, seconds: float, args: argparse.Namespace) -> str:
    threads = min(2, args.concurrency)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{args.concurrency}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(path),
        f"http://{server.host}:{server.port}/",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    return done.stdout


def run(server: Server, scenario: Scenario, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(server.host, server.port, scenario))
        path = Path(f.name)
    try:
        if args.warmup > 0:
            _wrk(path, server, args.warmup, args)
        cpu0 = process_cpu_seconds(server.pid)
        out = _wrk(path, server, args.duration, args)
        cpu1 = process_cpu_seconds(server.pid)
    finally:
        path.unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    sample = next((x for x in out.splitlines() if x.startswith("WRKSAMPLE ")), "WRKSAMPLE ")
    w = json.loads(line.removeprefix("WRKJSON "))
    seconds = w["duration_us"] / 1e6
    errors = w["bad_responses"] + w["socket_errors"]
    good = max(0, w["requests"] - w["bad_responses"])
    return {
        "requests": good,
        "errors": errors,
        "duration_s": round(seconds, 3),
        "rps": round(good / seconds, 1),
        "p50_ms": w["p50_us"] / 1000,
        "p90_ms": w["p90_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "max_ms": w["max_us"] / 1000,
        "error_samples": [s for s in sample.removeprefix("WRKSAMPLE ").split(" | ") if s][:5],
        "server_cpu_share": round((cpu1 - cpu0) / seconds, 3),
        "server_cpu_ms_per_request": round((cpu1 - cpu0) * 1000 / good, 3) if good else None,
    }
