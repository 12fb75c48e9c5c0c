"""What every server fixture shares: free ports, private temporary folders, child processes that
never outlive their fixture, waiting with a deadline, and the missing-binary rule (skip on a
workstation with the apt package to install, fail under CI where ``.ci/run`` installs it)."""

from __future__ import annotations

import contextlib
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import IO, Any, NoReturn, Self

import pytest

LOOPBACK = "127.0.0.1"


class ServerUnavailable(RuntimeError):
    """A server cannot run on this machine (binary missing, cluster not set up for it)."""


def unavailable(message: str) -> NoReturn:
    """Under CI a server that cannot run is a failure (CI must run it); elsewhere a skip."""
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_binary(path: str, apt_package: str) -> str:
    if not Path(path).exists() or shutil.which(path) is None:
        raise ServerUnavailable(f"{path} is missing: apt-get install {apt_package}")
    return path


def free_port() -> int:
    """A port nobody listens on now. Another process may take it before the caller binds it:
    callers that cannot bind port 0 themselves retry on a bind failure."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def wait_until[T](
    check: Callable[[], T | None],
    what: str,
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    detail: Callable[[], str] = lambda: "",
) -> T:
    """Call ``check`` until it returns something truthy; raise with ``detail()`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}. {detail()}")
        time.sleep(interval)


@contextlib.contextmanager
def private_dir(prefix: str, owner: str | None = None) -> Iterator[Path]:
    """A short folder under /tmp (Unix socket paths are limited to 107 bytes, pytest's tmp_path
    can be longer), readable by other users (servers drop privileges), removed at the end."""
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir="/tmp"))
    path.chmod(0o755)
    if owner is not None:
        shutil.chown(path, owner, owner)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Server:
    """A server started by ``start()`` (returning itself) and stopped by ``stop()``; a context
    manager."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_or_unavailable[S: Server](server: S) -> S:
    """Start ``server``; if it cannot run here, skip (workstation) or fail (CI)."""
    try:
        return server.start()
    except ServerUnavailable as error:
        unavailable(str(error))


class Process:
    """A child process in its own process group, with its output in a log file.

    ``stop()`` signals the whole group (servers such as Dovecot fork helpers), waits, then kills
    what is left, so nothing outlives the fixture even when a test fails."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdout: int | IO[Any] | None = None,
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
    ) -> None:
        self.args = list(args)
        self.log_path = log
        self._log = log.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            stdout=stdout if stdout is not None else self._log,
            stderr=self._log,
            stdin=stdin,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, timeout: float = 5.0, sig: int = signal.SIGTERM) -> None:
        group = self.popen.pid  # start_new_session: the group id is the leader's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._log.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_message(raw: bytes) -> EmailMessage:
    """An ``EmailMessage`` (modern API: ``get_body``, ``get_content``) with ``\\n`` line ends;
    the wire bytes stay in ``raw``."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
    assert isinstance(parsed, EmailMessage)
    return parsed


class ProcessServer(Server):
    """A server that is one child process (group), stopped with it."""

    _process: Process | None = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None


def runs_in(pid: int, path: Path) -> bool:
    """Whether process ``pid`` is one we started on ``path`` (its command line names it): a pid
    read from a stale pid file may belong to someone else by now."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return str(path).encode() in command


def stale_dirs(prefix: str) -> Iterator[Path]:
    """Folders made by ``private_dir(prefix)`` of processes that are gone (killed hard)."""
    for folder in Path("/tmp").glob(f"{prefix}*"):
        match = re.match(rf"{re.escape(prefix)}(\d+)-", folder.name)
        if match is not None and not pid_alive(int(match.group(1))):
            yield folder
