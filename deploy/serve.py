"""Several app processes behind one address: `python deploy/serve.py --replicas R --port P`.

Starts R `streamlit run app.py` processes on loopback ports and HAProxy (Debian's package, installed when missing)
in front of them on port P, with cookie-based session affinity (Streamlit keeps a session, its uploads and media in
the process that served its page) and health checks (GET /_stcore/health each second; a replica that stops
answering is taken out within about 2 s, and its students' browsers reconnect to a live one, which rebuilds each
page from its URL). The replicas share one state folder (gconv.machine.state_dir()): the device lock, so only one
timing or training runs on the machine at a time, and the on-disk cache of GDC trainings. A replica that dies is
started again. Ctrl-C or SIGTERM stops everything this started.

    python deploy/serve.py --replicas 2 --port 8600                  # this machine
    python deploy/serve.py --replicas 0 --port 80 --backend hostA:8600 --backend hostB:8600   # in front of hosts
    python deploy/serve.py --replicas 2 --port 8600 -- --server.maxUploadSize 64   # options for every replica
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_REPLICAS = 32
START_TIMEOUT = 120.0  # seconds a replica may take to answer its health check


class ServeError(Exception):
    """What went wrong, and what would be valid: printed as one message. Exit status 2 for a request that cannot
    be served (a busy port, no HAProxy), 1 for a replica or HAProxy that failed while running."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def _count(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_REPLICAS:
        raise argparse.ArgumentTypeError(f"--replicas {text!r}; valid: a whole number from 0 to {MAX_REPLICAS} "
                                         "(0 only with --backend)")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"--port {text!r}; valid: a whole number from 1 to 65535, such as 8600")
    return int(text)


def _backend(text: str) -> str:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"--backend {text!r}; valid: HOST:PORT of a running replica, such as "
                                         "10.0.0.2:8600")
    return text


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python deploy/serve.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=_count, default=2, help="app processes on this machine (default 2)")
    parser.add_argument("--port", type=_port, default=8600, help="the one address's port (default 8600)")
    parser.add_argument("--host", default="0.0.0.0", help="the address HAProxy listens on (default all)")
    parser.add_argument("--backend", type=_backend, action="append", default=[],
                        help="a replica on another host (HOST:PORT), served behind the same address")
    parser.add_argument("--first-port", type=_port, default=None,
                        help="the replicas' loopback ports start here (default: free ports)")
    parser.add_argument("--logs", type=Path, default=None, help="folder for the replicas' and HAProxy's logs")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.streamlit = extra
    if args.replicas == 0 and not args.backend:
        parser.error("--replicas 0; valid: at least 1 replica here, or --backend HOST:PORT of replicas elsewhere")
    return args


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, first: int | None) -> list[int]:
    """count loopback ports nobody listens on: from first on, or any the kernel hands out."""
    ports = []
    candidate = first
    while len(ports) < count:
        if candidate is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        else:
            port, candidate = candidate, candidate + 1
            if port > 65535:
                raise ServeError(f"no {count} free ports from --first-port {first}; valid: a lower --first-port")
        if port_free("127.0.0.1", port) and port not in ports:
            ports.append(port)
    return ports


def _find_haproxy() -> str | None:
    wanted = os.environ.get("GCONV_HAPROXY")  # a binary of one's own; when set, the only one looked for
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else None
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None)


def haproxy() -> str:
    """The haproxy binary ($GCONV_HAPROXY, or on the PATH), installed from Debian's package when missing."""
    found = _find_haproxy()
    if found:
        return found
    apt = shutil.which("apt-get")
    if not apt:
        raise ServeError("HAProxy is missing and there is no apt-get to install it; valid: install the haproxy "
                         "package (Debian: apt-get install haproxy), or set GCONV_HAPROXY to its binary")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("gconv: installing HAProxy (apt-get install haproxy) ...", flush=True)
    install = [apt, "install", "-y", "--no-install-recommends", "haproxy"]
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode:
        subprocess.run([apt, "update"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    found = _find_haproxy()
    if done.returncode or not found:
        why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ServeError(f"HAProxy is missing and could not be installed (apt-get: {why[0]}); valid: install the "
                         "haproxy package as root, or set GCONV_HAPROXY to its binary")
    return found


def config(host: str, port: int, servers: list[tuple[str, str]], cookie: str = "GCONV_REPLICA") -> str:
    """HAProxy's configuration: one frontend, the replicas behind it with a cookie each and a health check
    (cookie: its name; a proxy in front of other hosts' proxies names its own, or each would overwrite the other's)."""
    import resource

    # a proxied connection takes two descriptors: as many as the descriptor limit allows, up to 20,000 students
    maxconn = min(20_000, max(256, (resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 100) // 2))
    lines = [
        "global",
        f"    maxconn {maxconn}",
        "defaults",
        "    mode http",
        "    option redispatch  # a student whose replica died is sent to a live one",
        "    retries 3",
        "    timeout connect 5s",
        "    timeout client 1h",
        "    timeout server 1h",
        "    timeout tunnel 1h  # a page is one long WebSocket",
        # Streamlit's frontend bundle (7 MB in ~100 files with content-hashed names) is every first visit's largest
        # cost in a replica: each file passes Python's whole middleware stack, ~2-3 ms of CPU. HAProxy keeps the
        # files it has served once and hands them out itself, so a replica's CPU goes to sessions and scripts.
        "cache bundle",
        "    total-max-size 64  # MB: the whole bundle fits",
        "    max-object-size 16777216  # bytes: its largest file (plotly) is 4.7 MB",
        "    max-age 86400",
        "    process-vary on  # Streamlit varies on Accept-Encoding",
        "frontend gconv",
        f"    bind {host}:{port}",
        "    default_backend replicas",
        "backend replicas",
        "    balance leastconn",
        f"    cookie {cookie} insert indirect nocache httponly",
        "    option httpchk GET /_stcore/health",
        "    http-check expect status 200",
        "    default-server inter 1s fall 2 rise 2",
        "    http-request set-var(txn.bundle) bool(true) if { path_beg /static/ }",
        "    http-request cache-use bundle if { var(txn.bundle) -m bool }",
        "    http-response cache-store bundle if { var(txn.bundle) -m bool }",
    ]
    lines += [f"    server {name} {address} check cookie {name}" for name, address in servers]
    return "\n".join(lines) + "\n"


class Replica:
    """One `streamlit run app.py` on a loopback port, its output in a log file."""

    def __init__(self, name: str, port: int, logs: Path, secret: str, extra: list[str]):
        self.name, self.port, self.log_path = name, port, logs / f"{name}.log"
        self.command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                        "--server.address", "127.0.0.1", "--server.headless", "true",
                        "--browser.gatherUsageStats", "false", *extra]
        self.env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secret}  # not allowed on the command line
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)  # Ctrl-C reaches serve.py, which stops it in order
        log.close()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_healthy(replicas: list[Replica]) -> None:
    """Until every replica answers its health check; a replica that exits first is reported with its log."""
    deadline = time.monotonic() + START_TIMEOUT
    waiting = list(replicas)
    while waiting:
        for r in list(waiting):
            if r.proc.poll() is not None:
                raise ServeError(f"replica {r.name} (port {r.port}) exited with status {r.proc.returncode} while "
                                 f"starting; its log ({r.log_path}):\n{r.tail()}", status=1)
            if r.healthy():
                waiting.remove(r)
        if time.monotonic() > deadline:
            names = ", ".join(r.name for r in waiting)
            raise ServeError(f"replica {names} did not answer within {START_TIMEOUT:.0f} s; the log of "
                             f"{waiting[0].name} ({waiting[0].log_path}):\n{waiting[0].tail()}", status=1)
        time.sleep(0.3)


def _write_roster(logs: Path, replicas: list["Replica"]) -> None:
    """logs/replicas.json: each replica's name, port and process id (what an operator, or a test, acts on)."""
    import json

    roster = [{"name": r.name, "port": r.port, "pid": r.proc.pid if r.proc else None} for r in replicas]
    tmp = logs / "replicas.json.tmp"
    tmp.write_text(json.dumps(roster))
    tmp.replace(logs / "replicas.json")  # whole or not at all, for a reader polling it


def serve(args: argparse.Namespace) -> int:
    if not port_free(args.host, args.port):
        raise ServeError(f"port {args.port} is already in use on {args.host}; valid: a free port, such as "
                         f"{free_ports(1, None)[0]}")
    binary = haproxy()
    logs = args.logs or Path(tempfile.mkdtemp(prefix="gconv-serve-"))
    logs.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)  # one cookie secret: a session's XSRF token is valid on every replica
    from_state = os.environ.get("GCONV_STATE")
    if not from_state:  # every replica must find the same folder, whatever its environment
        sys.path.insert(0, str(ROOT))
        from gconv.machine import state_dir

        os.environ["GCONV_STATE"] = str(state_dir())
    replicas = [Replica(f"r{i}", p, logs, secret, args.streamlit)
                for i, p in enumerate(free_ports(args.replicas, args.first_port))]
    servers = [(r.name, f"127.0.0.1:{r.port}") for r in replicas]
    servers += [(f"b{i}", b) for i, b in enumerate(args.backend)]
    cfg = logs / "haproxy.cfg"
    cfg.write_text(config(args.host, args.port, servers, "GCONV_HOST" if not replicas else "GCONV_REPLICA"))
    check = subprocess.run([binary, "-c", "-f", str(cfg)], capture_output=True, text=True)
    if check.returncode:
        raise ServeError(f"HAProxy refused its configuration ({cfg}):\n{check.stdout}{check.stderr}")
    stopping = []
    proxy: subprocess.Popen | None = None

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for r in replicas:
            r.start()
        _write_roster(logs, replicas)
        wait_healthy(replicas)
        with open(logs / "haproxy.log", "a") as log:
            proxy = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        time.sleep(0.5)
        if proxy.poll() is not None:
            raise ServeError(f"HAProxy exited with status {proxy.returncode}; its log:\n"
                             f"{(logs / 'haproxy.log').read_text(errors='replace')[-2000:]}", status=1)
        print(f"gconv: {len(replicas)} replica(s){' and ' + str(len(args.backend)) + ' backend(s)' if args.backend else ''}"
              f" behind http://{args.host}:{args.port} (state: {os.environ['GCONV_STATE']}, logs: {logs})",
              flush=True)
        while not stopping:
            if proxy.poll() is not None:
                raise ServeError(f"HAProxy exited with status {proxy.returncode}; its log:\n"
                                 f"{(logs / 'haproxy.log').read_text(errors='replace')[-2000:]}", status=1)
            for r in replicas:
                if r.proc.poll() is not None:  # lost: started again; HAProxy sends its students elsewhere meanwhile
                    print(f"gconv: replica {r.name} exited with status {r.proc.returncode}; starting it again",
                          flush=True)
                    r.start()
                    _write_roster(logs, replicas)
            time.sleep(0.5)
        return 0
    finally:
        if proxy and proxy.poll() is None:
            proxy.terminate()
            try:
                proxy.wait(10)
            except subprocess.TimeoutExpired:
                proxy.kill()
        for r in replicas:
            r.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        return serve(args)
    except ServeError as e:
        print(f"gconv: {e}", file=sys.stderr)
        return e.status


if __name__ == "__main__":
    sys.exit(main())
