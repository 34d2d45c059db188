"""The guide page against the fastest thing this stack serves: a static file from whitenoise.

Both are measured the same way, one after the other in the same run, against the
same server: `concurrency` threads, each holding one keep-alive connection
(http.client) and sending GETs back to back for `seconds`. Requests carry the
headers a browser sends (Accept-Encoding included, so whitenoise may answer
with its precompressed copy, as it would for a patient) and no cookies (a
patient reading the guide before signing in).

    python bench/guide.py http://127.0.0.1:8000
"""

from __future__ import annotations

import http.client
import re
import sys
import threading
import time
from urllib.parse import urlsplit

GUIDE_PATH = "/learn/ketamine-infusion/"
STATIC_FALLBACK = "/static/vendor/bootstrap/bootstrap.min.css"
HEADERS = {
    "User-Agent": "portal-bench/1",
    "Accept": "text/html,text/css,*/*;q=0.8",
    "Accept-Encoding": "gzip, br",
    "Connection": "keep-alive",
}


def _get(host: str, port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path, headers={**HEADERS, "Accept-Encoding": "identity"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _static_path(host: str, port: int) -> str:
    """The stylesheet URL the guide page itself links to (the hashed name in production)."""
    status, body = _get(host, port, GUIDE_PATH)
    if status != 200:
        raise RuntimeError(f"GET {GUIDE_PATH} answered {status}; is the guide loaded (migrate)?")
    match = re.search(rb'href="(/static/vendor/bootstrap/[^"]+\.css)"', body)
    return match.group(1).decode() if match else STATIC_FALLBACK


def _load(host: str, port: int, path: str, *, concurrency: int, seconds: float) -> dict:
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failures = [0] * concurrency
    start_line = threading.Barrier(concurrency + 1)
    deadline_box: list[float] = []

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        mine = latencies[index]
        start_line.wait()
        deadline = deadline_box[0]
        while True:
            began = time.perf_counter()
            if began >= deadline:
                break
            try:
                conn.request("GET", path, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failures[index] += 1
                    continue
            except (OSError, http.client.HTTPException):
                failures[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            mine.append(time.perf_counter() - began)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_box.append(began + seconds)
    start_line.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    all_latencies = sorted(x for per_thread in latencies for x in per_thread)
    if not all_latencies:
        raise RuntimeError(f"GET {path}: no successful response in {seconds} s ({sum(failures)} failures)")
    p99 = all_latencies[min(len(all_latencies) - 1, int(len(all_latencies) * 0.99))]
    if sum(failures):
        print(f"warning: GET {path}: {sum(failures)} failed requests", file=sys.stderr)
    return {"rps": len(all_latencies) / elapsed, "p99_ms": p99 * 1000}


def run(base_url: str, *, concurrency: int = 16, seconds: float = 10) -> dict:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    static_path = _static_path(host, port)
    # Warm both: the guide's cache, whitenoise's file index, the workers' imports.
    warm = max(1.0, seconds / 10)
    _load(host, port, GUIDE_PATH, concurrency=concurrency, seconds=warm)
    _load(host, port, static_path, concurrency=concurrency, seconds=warm)
    guide = _load(host, port, GUIDE_PATH, concurrency=concurrency, seconds=seconds)
    static = _load(host, port, static_path, concurrency=concurrency, seconds=seconds)
    return {
        "guide_rps": guide["rps"],
        "guide_p99_ms": guide["p99_ms"],
        "static_rps": static["rps"],
        "static_p99_ms": static["p99_ms"],
        "ratio": guide["rps"] / static["rps"],
    }


if __name__ == "__main__":
    result = run(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
    for key, value in result.items():
        print(f"{key}: {value:,.2f}")
