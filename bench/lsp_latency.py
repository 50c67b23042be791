#!/usr/bin/env python3
"""On-save latency of `phiguard lsp` for a 2,000-line file: the time from a `didSave` (with
the text, as clients send it) to the `publishDiagnostics` it causes, over RUNS saves after a
warm-up (the first scan compiles the rules). Synthetic content only: ordinary code lines with
a synthetic SSN every 250 lines.

    bench/lsp_latency.py [PHIGUARD_BINARY] [RUNS]   # default target/release/phiguard, 20
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/phiguard")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
ssn = "-".join(["536", "90", "4399"])  # the test suite's synthetic SSN, built at run time


def text(n=2000):
    lines = []
    for i in range(n):
        if i % 250 == 125:
            lines.append(f'    patient_ssn_{i} = "{ssn}"  # é😀')
        else:
            lines.append(f"    result_{i} = compute(value_{i} * {i % 97}, name='item-{i}')  # step {i}")
    return "\n".join(lines) + "\n"


def send(p, msg):
    body = json.dumps(msg).encode()
    p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    p.stdin.flush()


def read(p):
    length = 0
    while True:
        line = p.stdout.readline()
        if not line:
            raise SystemExit("the server closed its output")
        line = line.strip()
        if not line:
            break
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
    return json.loads(p.stdout.read(length))


def diagnostics(p):
    while True:
        m = read(p)
        if m.get("method") == "textDocument/publishDiagnostics":
            return m["params"]["diagnostics"]


with tempfile.TemporaryDirectory() as root:
    path = os.path.join(root, "patients.py")
    uri = "file://" + path
    body = text()
    p = subprocess.Popen([binary, "lsp"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    send(p, {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"processId": None, "rootUri": "file://" + root, "capabilities": {}}})
    read(p)
    send(p, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    started = time.perf_counter()
    send(p, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": body}}})
    found = diagnostics(p)
    first = (time.perf_counter() - started) * 1000
    times = []
    for i in range(runs):
        started = time.perf_counter()
        send(p, {"jsonrpc": "2.0", "method": "textDocument/didSave",
                 "params": {"textDocument": {"uri": uri}, "text": body}})
        diagnostics(p)
        times.append((time.perf_counter() - started) * 1000)
    send(p, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    read(p)
    send(p, {"jsonrpc": "2.0", "method": "exit", "params": None})
    p.wait(timeout=10)
    print(f"{binary}: {len(body.splitlines())} lines, {len(body)} bytes, {len(found)} diagnostics")
    print(f"open (first scan, rules compiled): {first:.1f} ms")
    print(f"save: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, "
          f"max {max(times):.1f} ms over {runs} saves")
