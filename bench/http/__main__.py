"""HTTP benchmark: `prepdeck serve` on loopback under wrk (32 connections), each route as a
ratio to a bare FastAPI app (bench/bare_app.py) and to prepdeck's own /livez, all measured in
the same run.

Usage: python bench/http [--seconds 10] [--workers 1] [--connections 32] [--only TEXT]
                         [--profile] [--compare-workers]
Needs Debian's `wrk` (apt-get install wrk). Uses a temporary data folder. With --profile, each
route is loaded once more while py-spy (pip install py-spy) samples the server, and where the
time went is printed under it. With --compare-workers, a second server with --workers 2 is
started on the same data and the card page and study/next are measured on both.
"""

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, NamedTuple

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for bench.*
from bench.profile import summarize

BARE_APP = Path(__file__).resolve().parents[1] / "bare_app.py"
PASSWORD = "correct horse battery"
USERS = 64
P99_AIM = 5.0  # each route's p99 under this many times the bare route's
WORKERS_AIM = 1.6  # --workers 2 over --workers 1
DEMO = "/api/v1/demos/l1-vs-l2.png?alpha=0.3&n=60&noise=0.5&seed=0&theme=light"
REVIEW_SCRIPT = """
math.randomseed(os.time())
local cards = {%(cards)s}
local tokens = {%(tokens)s}
local hex = "0123456789abcdef"
local function uuid()
  local out = {}
  for i = 1, 32 do
    local n = math.random(1, 16)
    out[i] = hex:sub(n, n)
  end
  local s = table.concat(out)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-4" .. s:sub(14, 16) .. "-8" .. s:sub(18, 20) .. "-" .. s:sub(21, 32)
end
request = function()
  local body = '{"card_id": "' .. cards[math.random(1, #cards)] .. '", "rating": ' ..
    math.random(1, 4) .. ', "review_id": "' .. uuid() .. '"}'
  return wrk.format("POST", "/api/v1/reviews", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(1, #tokens)],
  }, body)
end
"""


class Route(NamedTuple):
    """A route to load: its row name, path, wrk arguments and aim (ratio to bare FastAPI)."""

    name: str
    path: str
    extra: list[str]
    aim: float | None


class Load(NamedTuple):
    """What wrk measured: requests per second and the 99th percentile latency in ms."""

    rate: float
    p99: float


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wrk(url: str, seconds: int, connections: int, extra: list[str]) -> Load:
    """Run wrk and return what it measured."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers from {url}", file=sys.stderr)
    return Load(rate, p99)


def measure(url: str, args: argparse.Namespace, extra: list[str]) -> Load:
    """Warm the route up for 2 s (not counted), then load it for --seconds."""
    wrk(url, 2, args.connections, extra)
    return wrk(url, args.seconds, args.connections, extra)


def start(
    command: list[str], env: dict[str, str], log: IO[bytes], ready: str
) -> subprocess.Popen[bytes]:
    """Start a server and return once ready (a URL) answers 200."""
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            if httpx2.get(ready, timeout=1).status_code == 200:
                return server
        except httpx2.TransportError:
            time.sleep(0.1)
    server.terminate()
    sys.exit(f"{' '.join(command)} did not start: see its log")


def start_prepdeck(
    env: dict[str, str], log: IO[bytes], workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `prepdeck serve` with this many workers; return it and its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)]
    return start(command, env, log, f"{base}/healthz"), base


def seed(base: str, folder: Path) -> tuple[list[str], Path]:
    """Sign up and log in the benchmark users, cache the demo image; return one user's auth
    header arguments for wrk and the review script."""
    with httpx2.Client(base_url=base, timeout=30) as client:
        # Many users, so that concurrent reviews rarely grade one user's same card.
        tokens = []
        for index in range(USERS):
            credentials = {"username": f"bench{index}", "password": PASSWORD}
            client.post("/api/v1/auth/register", json=credentials)
            tokens.append(client.post("/api/v1/auth/login", json=credentials).json()["token"])
        cards = [c["id"] for c in client.get("/api/v1/decks/regularization/cards").json()["cards"]]
        client.get(DEMO)  # cached from now on
    script = folder / "review.lua"
    script.write_text(
        REVIEW_SCRIPT
        % {
            "cards": ", ".join(f'"{c}"' for c in cards),
            "tokens": ", ".join(f'"{t}"' for t in tokens),
        },
        encoding="utf-8",
    )
    return ["-H", f"Authorization: Bearer {tokens[0]}"], script


def routes(auth: list[str], script: Path) -> list[Route]:
    """Return the routes to load, /livez first, with their aims from issue 17."""
    return [
        Route("/livez", "/livez", [], 0.85),
        Route("card page", "/decks/regularization/cards/dropout", [], 0.5),
        Route("cached demo image", DEMO, [], 0.75),
        Route("GET /api/v1/study/next", "/api/v1/study/next", auth, 0.3),
        Route("POST /api/v1/reviews", "/api/v1/reviews", ["-s", str(script)], 0.2),
        Route("deck page", "/decks/regularization", [], None),
    ]


def verdict(value: float, aim: float | None, *, below: bool = False) -> str:
    """Return 'met' or 'MISSED' against aim (blank without one)."""
    if aim is None:
        return ""
    return "met" if (value < aim if below else value >= aim) else "MISSED"


def profile(spy: str, pid: int, url: str, route: Route, args: argparse.Namespace) -> None:
    """Load the route once more while py-spy samples the server, and print where time went."""
    with tempfile.TemporaryDirectory() as folder:
        samples = Path(folder) / "profile.txt"
        recorder = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(args.seconds),
                "--rate",
                "100",
                "--format",
                "raw",
                "--output",
                str(samples),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wrk(url, args.seconds + 1, args.connections, route.extra)
        recorder.wait(timeout=60)
        print(summarize(samples))


def print_table(
    base: str, bare_url: str, table: list[Route], args: argparse.Namespace, spy: str, pid: int
) -> None:
    """Load each route right after the bare app and print it as ratios to the bare app and to
    /livez.

    Each route is measured in a pair with the bare app, so that a change in the machine's load
    between routes does not skew their ratios; the /livez column divides the two ratios.
    """
    print(
        f"{'route':24} {'req/s':>7} {'bare':>7} {'/bare':>6} {'/livez':>6} {'aim':>6} {'':6}"
        f" {'p99 ms':>7} {'bare':>6} {'/bare':>6} {'<5x':>6}"
    )
    livez = 0.0
    for route in table:
        if livez and args.only not in route.name:
            continue  # /livez, the second reference, is always measured
        bare = measure(bare_url, args, [])
        load = measure(base + route.path, args, route.extra)
        ratio = load.rate / bare.rate
        livez = livez or ratio
        p99 = load.p99 / bare.p99
        aim = f">={route.aim}" if route.aim else ""
        print(
            f"{route.name:24} {load.rate:7.0f} {bare.rate:7.0f} {ratio:6.2f} {ratio / livez:6.2f}"
            f" {aim:>6} {verdict(ratio, route.aim):6} {load.p99:7.1f} {bare.p99:6.1f} {p99:6.1f}"
            f" {verdict(p99, P99_AIM, below=True):>6}"
        )
        if args.profile and route.path != "/livez":
            profile(spy, pid, base + route.path, route, args)


def compare_workers(
    base: str, table: list[Route], args: argparse.Namespace, env: dict[str, str], log: IO[bytes]
) -> None:
    """Start a second server with --workers 2 and measure the card page and study/next on both."""
    server, two = start_prepdeck(env, log, 2)
    try:
        print(f"\n{'--workers 2 / 1':24} {'1: req/s':>9} {'2: req/s':>9} {'ratio':>6} {'aim':>6}")
        for route in table:
            if route.name not in ("card page", "GET /api/v1/study/next"):
                continue
            one = measure(base + route.path, args, route.extra)
            both = measure(two + route.path, args, route.extra)
            ratio = both.rate / one.rate
            print(
                f"{route.name:24} {one.rate:9.0f} {both.rate:9.0f} {ratio:6.2f}"
                f" {'>=' + str(WORKERS_AIM):>6} {verdict(ratio, WORKERS_AIM)}"
            )
    finally:
        server.terminate()
        server.wait(timeout=40)


def main() -> None:
    """Start the bare app and the server, seed users, and measure each route."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--profile", action="store_true", help="sample the server with py-spy under each route"
    )
    parser.add_argument(
        "--only", default="", help="measure only the routes whose name holds this (and /livez)"
    )
    parser.add_argument(
        "--compare-workers",
        action="store_true",
        help="also measure the card page and study/next with --workers 2 against --workers 1",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if args.profile and not Path(spy).exists():
        sys.exit("py-spy is missing: pip install py-spy (or run without --profile)")
    if args.workers != 1 and (args.profile or args.compare_workers):
        sys.exit("--profile and --compare-workers need the main server's --workers 1")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = {
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "PREPDECK_DATA_DIR": name,
            "PREPDECK_LOG_LEVEL": "warning",  # no access log lines: measure the app
            "PREPDECK_WARM_DEMOS": "false",  # no background drawing during the runs
            "PREPDECK_SIGNUPS_PER_HOUR": "0",  # every benchmark user signs up from loopback
        }
        with (folder / "server.log").open("wb") as log:
            bare_port = free_port()
            bare_url = f"http://127.0.0.1:{bare_port}/"
            bare_app = start([sys.executable, str(BARE_APP), str(bare_port)], env, log, bare_url)
            server, base = start_prepdeck(env, log, args.workers)
            try:
                auth, script = seed(base, folder)
                table = routes(auth, script)
                print(
                    f"wrk -t1 -c{args.connections} -d{args.seconds}s, prepdeck serve --workers "
                    f"{args.workers}; each route after bare FastAPI (bench/bare_app.py)"
                )
                print_table(base, bare_url, table, args, spy, server.pid)
                if args.compare_workers:
                    compare_workers(base, table, args, env, log)
            finally:
                for process in (server, bare_app):
                    process.terminate()
                    process.wait(timeout=40)


if __name__ == "__main__":
    main()
