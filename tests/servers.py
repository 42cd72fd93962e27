"""Loopback servers the scale-out tests start and stop: an S3 endpoint (moto), PostgreSQL, Redis."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers_http(url: str, timeout: float = 15) -> bool:
    """Whether an HTTP server answers at url (any status counts) within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


@contextlib.contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """moto's S3 in server mode on 127.0.0.1; yields the AWS_* variables that reach it."""
    import s3fs
    from moto.server import ThreadedMotoServer

    for _ in range(3):  # a server that does not answer is replaced, not waited on forever
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        if _answers_http(f"http://{host}:{port}/"):
            break
        server.stop()
    else:
        raise RuntimeError("moto's S3 server did not answer on 127.0.0.1 after 3 starts")
    # fsspec caches S3FileSystem instances per process: one made against an earlier test's server
    # would still point at that server's (closed) port.
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        yield {**S3_CREDENTIALS, "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


def _debian_binary(name: str) -> str:
    """A PostgreSQL server binary: on PATH, or where Debian's postgresql package puts it."""
    found = shutil.which(name) or sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (scripts/install.sh does in test mode)")
    return str(found[-1]) if isinstance(found, list) else found


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (initdb in a temp folder); yields its URL.

    PostgreSQL refuses to run as root, so as root the cluster belongs to `nobody`.
    """

    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="wildchat-pg-"))
    data = folder / "data"
    prefix = ["runuser", "-u", "nobody", "--"] if as_root else []
    if as_root:
        os.chown(folder, 65534, 65534)
    port = free_port()
    subprocess.run([*prefix, _debian_binary("initdb"), "-D", str(data), "-U", "dagster", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    server = subprocess.Popen(
        [*prefix, _debian_binary("postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(folder),
         "-c", "fsync=off", "-c", "max_connections=100"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server, "postgres")
        url = f"postgresql+psycopg2://dagster@127.0.0.1:{port}/postgres"
        yield url
    finally:
        _stop(server)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Debian's redis-server on 127.0.0.1, nothing persisted; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server not found: install Debian's redis-server (scripts/install.sh does in test mode)"
        )
    port = free_port()
    server = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, server, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(server)
