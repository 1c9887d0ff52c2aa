"""HTTP benchmark: `prepdeck serve` on loopback under wrk (32 connections), each route as a
ratio to a baseline route that does no work (/livez), measured in the same run.

Usage: python bench/http [--seconds 10] [--workers 1] [--connections 32] [--only TEXT]
                         [--profile]
Needs Debian's `wrk` (apt-get install wrk). Uses a temporary data folder. With --profile, each
route is loaded once more while py-spy (pip install py-spy) samples the server, and where the
time went is printed under it.
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

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for bench.*
from bench.profile import summarize

PASSWORD = "correct horse battery"
USERS = 64
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


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wrk(url: str, seconds: int, connections: int, extra: list[str]) -> tuple[float, float]:
    """Run wrk and return (requests per second, p99 latency in ms)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers from {url}", file=sys.stderr)
    return rate, p99


def main() -> None:
    """Start the server, seed a user, and measure each route."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--profile", action="store_true", help="sample the server with py-spy under each route"
    )
    parser.add_argument(
        "--only", default="", help="measure only the routes whose name holds this (and baseline)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if args.profile and not Path(spy).exists():
        sys.exit("py-spy is missing: pip install py-spy (or run without --profile)")
    if args.workers != 1 and args.profile:
        sys.exit("--profile samples one server process: use it with --workers 1")
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "PREPDECK_DATA_DIR": folder,
            "PREPDECK_LOG_LEVEL": "warning",  # no access log lines: measure the app
            "PREPDECK_WARM_DEMOS": "false",  # no background drawing during the runs
            "PREPDECK_SIGNUPS_PER_HOUR": "0",  # every benchmark user signs up from loopback
        }
        log = (Path(folder) / "server.log").open("wb")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(300):
                try:
                    if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.1)
            with httpx2.Client(base_url=base, timeout=30) as client:
                # Many users, so that concurrent reviews rarely grade one user's same card.
                tokens = []
                for index in range(USERS):
                    credentials = {"username": f"bench{index}", "password": PASSWORD}
                    client.post("/api/v1/auth/register", json=credentials)
                    tokens.append(
                        client.post("/api/v1/auth/login", json=credentials).json()["token"]
                    )
                token = tokens[0]
                cards = [
                    c["id"]
                    for c in client.get("/api/v1/decks/regularization/cards").json()["cards"]
                ]
                demo = "/api/v1/demos/l1-vs-l2.png?alpha=0.3&n=60&noise=0.5&seed=0&theme=light"
                client.get(demo)  # cached from now on
            script = Path(folder) / "review.lua"
            script.write_text(
                REVIEW_SCRIPT
                % {
                    "cards": ", ".join(f'"{c}"' for c in cards),
                    "tokens": ", ".join(f'"{t}"' for t in tokens),
                },
                encoding="utf-8",
            )
            auth = ["-H", f"Authorization: Bearer {token}"]
            routes = [
                ("baseline /livez", "/livez", [], None),
                ("deck page", "/decks/regularization", [], None),
                ("card page", "/decks/regularization/cards/dropout", [], 0.5),
                ("cached demo PNG", demo, [], 0.7),
                ("study/next (logged in)", "/api/v1/study/next", auth, 0.4),
                ("POST /reviews", "/api/v1/reviews", ["-s", str(script)], 0.25),
            ]
            print(
                f"wrk -t1 -c{args.connections} -d{args.seconds}s, prepdeck serve --workers "
                f"{args.workers}"
            )
            print(f"{'route':26} {'req/s':>9} {'ratio':>6} {'aim':>6} {'p99 ms':>8}")
            baseline = 0.0
            for name, path, extra, aim in routes:
                if baseline and args.only not in name:
                    continue
                wrk(base + path, 2, args.connections, extra)  # warm-up, not counted
                rate, p99 = wrk(base + path, args.seconds, args.connections, extra)
                baseline = baseline or rate
                ratio = rate / baseline
                target = f">={aim}" if aim else ""
                verdict = "" if aim is None else ("met" if ratio >= aim else "MISSED")
                print(f"{name:26} {rate:9.0f} {ratio:6.2f} {target:>6} {p99:8.1f} {verdict}")
                if args.profile and path != "/livez":
                    samples = Path(folder) / "profile.txt"
                    recorder = subprocess.Popen(
                        [
                            spy,
                            "record",
                            "--pid",
                            str(server.pid),
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
                    wrk(base + path, args.seconds + 1, args.connections, extra)
                    recorder.wait(timeout=60)
                    print(summarize(samples))
        finally:
            server.terminate()
            server.wait(timeout=40)
            log.close()


if __name__ == "__main__":
    main()
