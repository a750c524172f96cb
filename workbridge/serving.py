"""``workbridge serve``: one uvicorn process, or several on one port, each with its own socket.

uvicorn's own multiprocess mode binds one listening socket in the parent and shares it: every
worker accepts from it, the one whose event loop wakes first takes whatever connections are
waiting, and a client opening many keep-alive connections at once (an office's browsers, a
load balancer's pool) often finds them all on one worker while the others idle. Here each
worker binds the port itself with ``SO_REUSEPORT``, so the kernel spreads new connections over
the workers' sockets by their address and port.

The parent only supervises: it starts the workers, starts a new one when a worker dies, and on
SIGTERM or SIGINT passes SIGTERM to each and waits. It also gives the workers one folder for
their ``/metrics`` figures (``PROMETHEUS_MULTIPROC_DIR``: the one set, emptied, or a temporary
one), so a scrape answered by any worker counts the requests of all of them, and drops a dead
worker's gauges (``workbridge.metrics``). A worker stops accepting, lets the requests
in flight finish for up to ``WORKBRIDGE_GRACEFUL_SECONDS``, shuts the application down (the
scheduler, the in-app SMS worker, the pool) and exits. A worker that cannot start (the port is
taken, a setting is wrong) stops the whole service rather than being restarted for ever.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import uvicorn

from kernel.log_format import uvicorn_formatters
from kernel.settings import parse_log_level

log = logging.getLogger("uvicorn.error")

APP = "workbridge.app:create_app"
QUICK_DEATH_SECONDS = 10  # a worker that dies this soon after starting did not get going
QUICK_DEATHS_ALLOWED = 3
METRICS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"


def shared_metrics_folder() -> tuple[Path, bool]:
    """The folder the workers write their figures to, emptied of an earlier run's (whose
    processes are gone): ``PROMETHEUS_MULTIPROC_DIR`` if set, else a new temporary folder.
    Set in this process's environment before any worker starts, so each inherits it. Returns
    the folder and whether it is a temporary one to remove at the end."""
    given = os.environ.get(METRICS_FOLDER, "").strip()
    if given:
        folder, temporary = Path(given), False
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    else:
        folder, temporary = Path(tempfile.mkdtemp(prefix="workbridge-metrics-")), True
    os.environ[METRICS_FOLDER] = str(folder)
    return folder, temporary


def forget_worker_figures(pid: int) -> None:
    """A worker has exited: its live gauges (requests in flight, pool use, leadership) no
    longer count; its counters and histograms stay in the totals."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def log_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging, its access log at ``WORKBRIDGE_LOG_LEVEL`` (access lines are INFO:
    at WARNING there are none; starting and stopping are always told), with ID and phone
    numbers masked in every handler (access paths carry them) and the SMS webhooks' secrets
    and texts kept out of the paths."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_ids"] = {"()": "kernel.masking.MaskPersonalDataFilter"}
    # SMS webhook URLs carry a secret token, and Kannel's carry the sender and the text.
    config["filters"]["redact_sms_webhooks"] = {"()": "notifications.logs.RedactWebhookPathsFilter"}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).extend(["mask_ids", "redact_sms_webhooks"])
    config["loggers"]["uvicorn.access"]["level"] = level
    # The service's own loggers (the scheduler, the SMS sender, errors) through the same
    # handler as uvicorn's messages, in the same format.
    config["root"] = {"handlers": ["default"], "level": level}
    uvicorn_formatters(config, log_format)
    return config


def uvicorn_config(
    host: str, port: int, log_config: dict[str, Any], graceful: int, app: str = APP
) -> Any:
    return uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        log_config=log_config,
        timeout_graceful_shutdown=graceful,
    )


def serve(
    host: str,
    port: int,
    workers: int,
    log_config: dict[str, Any],
    graceful: int,
    app: str = APP,
) -> int:
    """Serve ``app`` (an import string of an application factory) until stopped; the exit
    code."""
    if workers == 1:
        uvicorn.Server(uvicorn_config(host, port, log_config, graceful, app)).run()
        return 0
    return Supervisor(host, port, workers, log_config, graceful, app).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left to the kernel: asyncio turns Nagle's algorithm off only on
    # sockets that say they are TCP, and with it on every answer waits ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, log_config: dict[str, Any], graceful: int, app: str) -> None:
    """A worker process: its own socket on the shared port, its own application."""
    config = uvicorn_config(host, port, log_config, graceful, app)
    config.configure_logging()
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        log.error("worker %s could not listen on %s:%s: %s", os.getpid(), host, port, exc)
        raise SystemExit(3) from exc
    with contextlib.suppress(KeyboardInterrupt):  # the terminal's Ctrl-C reached it as well
        uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    def __init__(
        self,
        host: str,
        port: int,
        workers: int,
        log_config: dict[str, Any],
        graceful: int,
        app: str = APP,
    ) -> None:
        self.args = (host, port, log_config, graceful, app)
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.started: dict[int, float] = {}
        self.stopping = False
        self.quick_deaths = 0

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_worker, args=self.args, name="workbridge-worker")
        process.start()
        assert process.pid is not None
        self.started[process.pid] = time.monotonic()
        log.info("started worker process [%s]", process.pid)
        return process

    def _stop(self, *_: Any) -> None:
        if self.stopping:
            return
        self.stopping = True
        for process in self.processes:
            if process.exitcode is None and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    def run(self) -> int:
        log.info("started parent process [%s]", os.getpid())
        folder, temporary = shared_metrics_folder()
        try:
            return self._supervise()
        finally:
            if temporary:
                shutil.rmtree(folder, ignore_errors=True)

    def _supervise(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        self.processes = [self._start() for _ in range(self.count)]
        code = 0
        while not self.stopping:
            time.sleep(0.5)
            for index, process in enumerate(self.processes):
                if process.exitcode is None or self.stopping:
                    continue
                lived = time.monotonic() - self.started.pop(process.pid or 0, 0.0)
                log.warning("worker process [%s] exited with %s", process.pid, process.exitcode)
                forget_worker_figures(process.pid or 0)
                if lived < QUICK_DEATH_SECONDS:
                    self.quick_deaths += 1
                    if self.quick_deaths >= QUICK_DEATHS_ALLOWED:
                        log.error("workers keep failing to start; stopping the service")
                        code = 1
                        self._stop()
                        break
                self.processes[index] = self._start()
        for process in self.processes:
            process.join()
        log.info("stopped parent process [%s]", os.getpid())
        return code


def main(argv: list[str] | None = None) -> int:
    """``python -m workbridge.serving FACTORY --port P [--workers N]``: another application
    factory served exactly as the service is (the benchmarks' floor and comparisons)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m workbridge.serving")
    parser.add_argument("app", help="module:factory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--graceful", type=int, default=30)
    args = parser.parse_args(argv)
    level = parse_log_level("WORKBRIDGE_LOG_LEVEL", os.environ.get("WORKBRIDGE_LOG_LEVEL", "INFO"))
    return serve(args.host, args.port, args.workers, log_config(level), args.graceful, args.app)


if __name__ == "__main__":
    raise SystemExit(main())
