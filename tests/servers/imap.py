"""A real IMAP server on loopback: Debian's Dovecot (``dovecot-imapd``) with a private
configuration in a temporary folder.

Plain IMAP (no SSL) on 127.0.0.1 and a free port, one user from a passwd-file, Maildir storage in
the folder, logs in ``dovecot.log`` there. Dovecot never runs mail processes as root ("userdb
returned 0 as uid") and its login processes refuse root too: as root the mail processes run as
``nobody`` and the login and internal processes as the package's ``dovenull`` and ``dovecot``
users; as anyone else everything runs as that user. The system's own Dovecot (port 143,
/etc/dovecot) is neither used nor needed. Usable outside pytest (``with ImapServer(folder)``).
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Self

from tests.servers._support import (
    LOOPBACK,
    Process,
    ProcessServer,
    ServerUnavailable,
    free_port,
    parse_message,
    require_binary,
    runs_in,
    stale_dirs,
    wait_until,
)

DOVECOT = os.environ.get("CASEBRIDGE_DOVECOT", "/usr/sbin/dovecot")
IMAP_BINARY = "/usr/lib/dovecot/imap"  # what dovecot-imapd adds to dovecot-core
APT_PACKAGE = "dovecot-imapd"
DIR_PREFIX = "cb-imap-"  # private_dir(DIR_PREFIX) holds one instance


@dataclass(frozen=True)
class ImapMessage:
    uid: int
    flags: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """Parsed, with ``\\n`` line ends (``raw`` is as stored, CRLF)."""
        return parse_message(self.raw)


def _version() -> tuple[int, int]:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=True)
    major, minor = re.match(r"(\d+)\.(\d+)", out.stdout).groups()  # type: ignore[union-attr]
    return int(major), int(minor)


def _reap_stale() -> None:
    """Stop the Dovecot of a test process that was killed hard, and remove its folder."""
    for folder in stale_dirs(DIR_PREFIX):
        with contextlib.suppress(OSError, ValueError):
            pid = int((folder / "run" / "master.pid").read_text().split()[0])
            if runs_in(pid, folder):
                os.kill(pid, signal.SIGTERM)
        shutil.rmtree(folder, ignore_errors=True)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapServer(ProcessServer):
    def __init__(self, folder: Path, *, user: str = "support", password: str | None = None):
        self.folder = folder
        self.host = LOOPBACK
        self.port = 0
        self.user = user
        self.password = password or secrets.token_urlsafe(12)
        self._process: Process | None = None
        self._greeting = f"casebridge-test-imap-{secrets.token_hex(4)}"

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        require_binary(DOVECOT, APT_PACKAGE)
        if not Path(IMAP_BINARY).exists():
            raise ServerUnavailable(f"{IMAP_BINARY} is missing: apt-get install {APT_PACKAGE}")
        _reap_stale()
        version = _version()
        for attempt in range(3):  # another process may take the free port before Dovecot
            self.port = free_port()
            self._write_config(version)
            self._process = Process(
                [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")],
                log=self.folder / "dovecot.stderr",
            )
            try:
                wait_until(self._ready, "Dovecot to greet", timeout=10, detail=self._log)
                return self
            except TimeoutError:
                in_use = "in use" in self._log()
                self._process.stop()
                self._process = None
                if not in_use or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _ready(self) -> bool:
        assert self._process is not None
        if not self._process.alive:
            raise TimeoutError(f"Dovecot exited at start. {self._log()}")
        try:
            imap = imaplib.IMAP4(self.host, self.port, timeout=2)
        except (OSError, imaplib.IMAP4.error):
            return False
        imap.shutdown()
        return self._greeting in imap.welcome.decode(errors="replace")

    def _log(self) -> str:
        texts = []
        for name in ("dovecot.log", "dovecot.stderr"):
            with contextlib.suppress(OSError):
                texts.append((self.folder / name).read_text(errors="replace")[-3000:])
        return "\n".join(texts)

    def _write_config(self, version: tuple[int, int]) -> None:
        folder = self.folder
        home = folder / "home"
        home.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            mail = pwd.getpwnam("nobody")
            login_user, internal_user, internal_group = "dovenull", "dovecot", "dovecot"
            shutil.chown(home, mail.pw_uid, mail.pw_gid)
            uid, gid = mail.pw_uid, mail.pw_gid
        else:
            me = pwd.getpwuid(os.geteuid())
            login_user = internal_user = me.pw_name
            internal_group = grp.getgrgid(me.pw_gid).gr_name
            uid, gid = me.pw_uid, me.pw_gid
        (folder / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (folder / "passwd").chmod(0o644)  # the auth process reads it as default_internal_user
        common = f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = {LOOPBACK}
ssl = no
login_greeting = {self._greeting}
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
first_valid_gid = 1
mail_fsync = never
auth_failure_delay = 0
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        if version >= (2, 4):  # written from the 2.3-to-2.4 upgrade notes
            config = f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
{common}
auth_allow_cleartext = yes
mail_driver = maildir
mail_path = ~/Maildir
passdb passwd-file {{
  passwd_file_path = {folder}/passwd
}}
userdb static {{
  fields {{
    uid = {uid}
    gid = {gid}
    home = {home}/%{{user}}
  }}
}}
"""
        else:
            config = f"""{common}
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
"""
        (folder / "dovecot.conf").write_text(config)

    # -- what tests use -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``imap://user:password@127.0.0.1:port`` (no TLS)."""
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}"

    @contextlib.contextmanager
    def connect(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in ``imaplib.IMAP4``, logged out at the end."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            imap.login(self.user, self.password)
            yield imap
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                imap.logout()

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        *,
        flags: tuple[str, ...] = (),
        when: float | None = None,
    ) -> int:
        """APPEND one RFC 5322 message; return its UID."""
        with self.connect() as imap:
            typ, data = imap.append(
                _quote(folder),
                f"({' '.join(flags)})" if flags else None,
                imaplib.Time2Internaldate(time.time() if when is None else when),
                raw,
            )
            if typ != "OK":
                raise imaplib.IMAP4.error(f"APPEND to {folder} failed: {data!r}")
            match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            assert match, data
            return int(match.group(1))

    def create_folder(self, folder: str) -> None:
        with self.connect() as imap:
            typ, data = imap.create(_quote(folder))
            if typ != "OK":
                raise imaplib.IMAP4.error(f"CREATE {folder} failed: {data!r}")
            imap.subscribe(_quote(folder))

    def folders(self) -> list[str]:
        with self.connect() as imap:
            _, data = imap.list()
        names = []
        for line in data:
            if not isinstance(line, bytes):
                continue
            match = re.search(rb' "?[^ ]+"? "?([^"]*)"?$', line)
            if match:
                names.append(match.group(1).decode())
        return sorted(names)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.connect() as imap:
            _, data = imap.status(_quote(folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
        assert match, data
        return int(match.group(1))

    def messages(self, folder: str = "INBOX") -> list[ImapMessage]:
        """Every message of ``folder`` in UID order, read without setting ``\\Seen``."""
        with self.connect() as imap:
            typ, data = imap.select(_quote(folder), readonly=True)
            if typ != "OK":
                raise imaplib.IMAP4.error(f"SELECT {folder} failed: {data!r}")
            if int(data[0] or 0) == 0:
                return []
            _, data = imap.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
        found: list[ImapMessage] = []
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            # FLAGS may come before the literal or in the line after it
            after = data[index + 1] if index + 1 < len(data) else b""
            head = item[0] + (after if isinstance(after, bytes) else b"")
            uid = re.search(rb"UID (\d+)", head)
            flags = re.search(rb"FLAGS \(([^)]*)\)", head)
            assert uid, head
            names = tuple(flags.group(1).decode().split()) if flags else ()
            found.append(ImapMessage(uid=int(uid.group(1)), flags=names, raw=item[1]))
        return sorted(found, key=lambda message: message.uid)
