"""Several Streamlit workers behind nginx on one port: ``python -m riskmap.serve --workers N``.

One Python process runs every page script of every user it serves; N processes on N cores
serve N pages at once. nginx (Debian's package, installed by ``scripts/install.sh``) listens on
the public port and passes each browser to one worker, chosen by a hash of its session cookie,
so a browser's page, websocket, uploads and downloads reach the same worker (Streamlit keeps a
session, its uploads and its media in the worker's memory). Logins live in the shared accounts
file (``riskmap.accounts``), so a browser sent to another worker — a new login on the same
machine, a worker restarted — stays logged in; workers read the same read-only database
snapshots.

The supervisor starts the workers (logs in ``<data dir>/logs/``), waits until each answers its
health check, starts nginx, restarts a worker that dies, and on SIGTERM or Ctrl-C stops nginx
and every worker it started.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from data import paths
from riskmap.web import COOKIE

#: How long a worker may take to answer its first health check.
START_TIMEOUT_S = 90


def nginx_conf(worker_ports: list[int], address: str, port: int, run_dir: Path, logs_dir: Path) -> str:
    """nginx's configuration: one port in front, websockets passed through, a browser kept on
    one worker by its session cookie, the host and scheme passed on for the login form."""
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""  # else workers run as nobody
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in worker_ports)
    listen = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    temp = "\n".join(f"  {kind}_temp_path {run_dir / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    return f"""# Written by python -m riskmap.serve --workers {len(worker_ports)}; rewritten at every start.
{user}worker_processes 1;
daemon off;
pid {run_dir / 'nginx.pid'};
error_log {logs_dir / 'nginx-error.log'} warn;
events {{ worker_connections 4096; }}
http {{
  log_format riskmap '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_addr';
  access_log {logs_dir / 'nginx-access.log'} riskmap;
{temp}
  client_max_body_size 60m;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  # A browser with a session stays on one worker (its page, websocket, uploads); a request
  # without one (the login form, the password check) goes to any.
  map $cookie_{COOKIE} $riskmap_sticky {{ '' $request_id; default $cookie_{COOKIE}; }}
  upstream riskmap {{
    hash $riskmap_sticky consistent;
{servers}
  }}
  server {{
    listen {listen};
    location / {{
      proxy_pass http://riskmap;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 1d;
      proxy_send_timeout 1d;
      proxy_buffering off;
    }}
  }}
}}
"""


def split_address(args: list[str]) -> tuple[list[str], str, int]:
    """Take ``--server.address`` and ``--server.port`` out of Streamlit's options (they are
    nginx's now); the rest go to every worker."""
    rest, address, port = [], "0.0.0.0", 8501
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=")
        if name in ("--server.address", "--server.port"):
            value = inline if eq else (args[i + 1] if i + 1 < len(args) else "")
            i += 1 if eq else 2
            if name == "--server.address":
                address = value
            else:
                port = int(value)
            continue
        rest.append(arg)
        i += 1
    return rest, address, port


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


#: Set for the workers a supervisor starts (what only the first process does, they skip).
WORKER_ENV = "RISKMAP_WORKER"


class Supervisor:
    """The workers and nginx this process started."""

    def __init__(self, n: int, streamlit_args: list[str], address: str, port: int):
        self.n, self.args, self.address, self.port = n, streamlit_args, address, port
        self.logs = paths.data_dir() / "logs"
        self.run_dir = paths.data_dir() / "run"
        self.ports = _free_ports(n)
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * n
        self.nginx: subprocess.Popen[bytes] | None = None
        self.stopping = False

    def _start_worker(self, i: int) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "riskmap.serve", "--workers", "1", *self.args,
               "--server.port", str(self.ports[i]), "--server.address", "127.0.0.1", "--server.headless", "true"]
        with open(self.logs / f"worker-{i + 1}.log", "ab") as log:  # the child keeps its own copy
            return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, WORKER_ENV: "1"},
                                    cwd=Path(__file__).resolve().parent.parent)

    def start(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.logs.mkdir(parents=True, exist_ok=True)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / kind).mkdir(parents=True, exist_ok=True)
        for i in range(self.n):
            self.workers[i] = self._start_worker(i)
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = set(range(self.n))
        while waiting:
            for i in sorted(waiting):
                proc = self.workers[i]
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"第 {i + 1} 个工作进程启动失败，见 {self.logs / f'worker-{i + 1}.log'}")
                if healthy(self.ports[i]):
                    waiting.discard(i)
            if time.monotonic() > deadline:
                raise RuntimeError(f"工作进程 {sorted(i + 1 for i in waiting)} 在 {START_TIMEOUT_S} 秒内未就绪")
            time.sleep(0.3)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(nginx_conf(self.ports, self.address, self.port, self.run_dir, self.logs), encoding="utf-8")
        self.nginx = subprocess.Popen([nginx, "-e", str(self.logs / "nginx-error.log"), "-p", str(self.run_dir),
                                       "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        if self.nginx.poll() is not None:
            raise RuntimeError(f"nginx 启动失败，见 {self.logs / 'nginx-error.log'}")
        print(f"风险一张图：{self.n} 个工作进程（端口 {', '.join(map(str, self.ports))}）由 nginx 汇于 "
              f"http://{self.address}:{self.port}；日志在 {self.logs}", flush=True)

    def watch(self) -> None:
        """Restart a worker that dies; return when told to stop (or nginx ends)."""
        while not self.stopping:
            if self.nginx is not None and self.nginx.poll() is not None:
                print("nginx 已退出，正在停止全部工作进程", file=sys.stderr, flush=True)
                return
            for i, proc in enumerate(self.workers):
                if proc is not None and proc.poll() is not None and not self.stopping:
                    print(f"第 {i + 1} 个工作进程已退出（{proc.returncode}），重新启动", file=sys.stderr, flush=True)
                    self.workers[i] = self._start_worker(i)
            time.sleep(1)

    def stop(self) -> None:
        """Stop nginx, then every worker (SIGTERM, then SIGKILL after 10 s)."""
        self.stopping = True
        procs = [p for p in (self.nginx, *self.workers) if p is not None]
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        for proc in self.workers:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def serve_workers(n: int, streamlit_args: list[str]) -> int:
    """Run ``n`` workers behind nginx until SIGTERM or Ctrl-C; the exit status."""
    rest, address, port = split_address(streamlit_args)
    supervisor = Supervisor(n, rest, address, port)

    def on_signal(signum: int, frame: object) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.start()
        supervisor.watch()
    except RuntimeError as exc:
        print(f"无法启动：{exc}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop()
    return 0
