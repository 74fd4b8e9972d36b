"""N replicas of the app behind nginx with session affinity, on this machine (deploy/, docs/deploy.md).

    python -m scripts.deploy_local                        # 2 replicas behind http://127.0.0.1:8080/
    python -m scripts.deploy_local --replicas 3 --port 9000

Each replica is `app.py` in its own process on a free loopback port, with its own GRADIO_TEMP_DIR (as on separate
machines, a replica serves only the files it received or wrote). deploy/nginx.conf.template is rendered into a
temporary prefix directory and nginx (/usr/sbin/nginx, unprivileged) runs from there; its access log (which replica
served each request), its error log and each replica's output (replica-N.log) are in that directory. The script prints the URL and the replicas' ports, and
Ctrl-C stops everything. In code, `with running(replicas=2) as deployment:` gives the same (tests/test_deploy.py).
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from scripts.bench import free_port, start_server, stop_server
from scripts.loopback import require_loopback

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX = "/usr/sbin/nginx"


@dataclass
class Replica:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@dataclass
class Deployment:
    url: str  # the proxy's
    prefix: Path  # nginx's prefix directory: nginx.conf, access.log, error.log
    nginx: subprocess.Popen
    replicas: list[Replica] = field(default_factory=list)

    def kill(self, index: int) -> None:
        """Kill replica `index` at once (SIGKILL), as a machine that dies."""
        replica = self.replicas[index]
        replica.process.kill()
        replica.process.wait(timeout=30)

    def diagnosis(self, lines: int = 15) -> str:
        """Whether each replica still runs, and the last lines of its output and of the proxy's error log: what a
        failed test prints."""
        parts = []
        for index, replica in enumerate(self.replicas):
            code = replica.process.poll()
            parts.append(f"replica {index} (port {replica.port}): {'running' if code is None else f'exited {code}'}")
            parts += tail(self.prefix / f"replica-{index}.log", lines)
        parts.append("nginx error.log:")
        return "\n".join(parts + tail(self.prefix / "error.log", lines))

    def access_log(self) -> list[str]:
        """The proxy's access log so far: one line per request, ending `affinity=KEY upstream=HOST:PORT[, ...]`."""
        path = self.prefix / "access.log"
        return path.read_text().splitlines() if path.exists() else []


def tail(path: Path, lines: int) -> list[str]:
    return ["    " + line for line in path.read_text(errors="replace").splitlines()[-lines:]] if path.exists() else []


def render(listen: str, servers: list[str]) -> str:
    """deploy/nginx.conf.template with its two placeholders filled (nginx's own $variables are left alone)."""
    lines = "\n        ".join(f"server {server} max_fails=3 fail_timeout=10s;" for server in servers)
    return Template(TEMPLATE.read_text()).safe_substitute(GML_LISTEN=listen, GML_SERVERS=lines)


def wait_for(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


@contextlib.contextmanager
def running(replicas: int = 2, port: int | None = None, nginx: str = NGINX):
    """Start `replicas` copies of the app and nginx in front of them on 127.0.0.1:`port` (a free one if None);
    yield the Deployment; stop everything on exit."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    require_loopback(url)
    prefix = Path(tempfile.mkdtemp(prefix="gml-deploy-"))
    started: list[Replica] = []
    proxy = None
    try:
        ports = [free_port() for _ in range(replicas)]

        def start(index: int) -> Replica:
            temp_dir = prefix / f"replica-{index}"
            args = ["-m", "scripts.deploy_local", "--serve-replica", str(ports[index]), "--temp-dir", str(temp_dir)]
            process, _ = start_server(args, ports[index], log=prefix / f"replica-{index}.log")
            return Replica(process, ports[index])

        with ThreadPoolExecutor(replicas) as pool:  # start in parallel; keep those that started, to stop them
            futures = [pool.submit(start, index) for index in range(replicas)]
            errors = []
            for future in futures:
                try:
                    started.append(future.result())
                except Exception as error:
                    errors.append(error)
            if errors:
                raise errors[0]

        (prefix / "nginx.conf").write_text(render(f"127.0.0.1:{port}", [f"127.0.0.1:{p}" for p in ports]))
        command = [nginx, "-p", str(prefix), "-c", "nginx.conf", "-e", "error.log", "-g", "daemon off;"]
        subprocess.run([*command, "-t", "-q"], check=True)  # a broken config fails here, with nginx's message
        proxy = subprocess.Popen(command)
        wait_for(url, proxy)
        yield Deployment(url, prefix, proxy, started)
    finally:
        if proxy is not None:
            stop_server(proxy)
        for replica in started:
            stop_server(replica.process)
        shutil.rmtree(prefix, ignore_errors=True)


def serve_replica(port: int, temp_dir: str) -> None:
    """One replica: the app on 127.0.0.1:`port`, its files under `temp_dir` (read by Gradio at import)."""
    os.environ["GRADIO_TEMP_DIR"] = temp_dir
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import app

    app.main(["--host", "127.0.0.1", "--port", str(port)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="app processes behind the proxy (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port on 127.0.0.1 (default 8080)")
    parser.add_argument("--nginx", default=NGINX, help=f"the nginx binary (default {NGINX})")
    parser.add_argument("--serve-replica", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--temp-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve_replica:  # child process: one replica, until killed
        serve_replica(args.serve_replica, args.temp_dir)
        return
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the replicas on a plain `kill` too
    print(f"Starting {args.replicas} replicas and nginx ...", flush=True)
    with running(args.replicas, args.port, args.nginx) as deployment:
        print(f"Proxy:    {deployment.url}")
        for index, replica in enumerate(deployment.replicas):
            print(f"Replica {index}: {replica.url} (pid {replica.process.pid})")
        print(f"Logs:     {deployment.prefix}/access.log, error.log")
        print("Ctrl-C stops everything.", flush=True)
        gone = set()
        try:
            while deployment.nginx.poll() is None:
                for index, replica in enumerate(deployment.replicas):
                    if index not in gone and replica.process.poll() is not None:
                        gone.add(index)
                        print(f"Replica {index} exited; the proxy sends its sessions to the others.", flush=True)
                time.sleep(1)
            print("nginx exited; stopping the replicas.", file=sys.stderr)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
