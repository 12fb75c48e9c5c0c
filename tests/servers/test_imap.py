"""The IMAP fixture: Debian's Dovecot on loopback with a private configuration."""

from __future__ import annotations

import imaplib
import os
import re

import pytest

from tests.servers._support import port_open, private_dir, start_or_unavailable, wait_until
from tests.servers.imap import DIR_PREFIX, ImapServer


def _raw(subject: str, body: str = "Hello") -> bytes:
    return (
        f"From: Alice <alice@acme.example>\r\nTo: support@casebridge.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{subject}@acme.example>\r\n\r\n{body}\r\n"
    ).encode()


def test_append_then_fetch_with_imaplib(imap_server: ImapServer) -> None:
    first = imap_server.append(_raw("first"))
    second = imap_server.append(_raw("second", "Again"), flags=("\\Seen",))
    assert second > first

    with imap_server.connect() as imap:  # what a poller does
        typ, data = imap.select("INBOX")
        assert typ == "OK" and data == [b"2"]
        [validity] = imap.response("UIDVALIDITY")[1]
        _, fetched = imap.uid("FETCH", f"{first}:*", "(UID BODY.PEEK[])")
    bodies = [item[1] for item in fetched if isinstance(item, tuple)]
    assert bodies == [_raw("first"), _raw("second", "Again")]
    assert int(validity or 0) == imap_server.uidvalidity()

    messages = imap_server.messages()
    assert [m.uid for m in messages] == [first, second]
    assert messages[0].message["Subject"] == "first"
    assert "\\Seen" in messages[1].flags and "\\Seen" not in messages[0].flags
    assert messages[1].message.get_content().strip() == "Again"


def test_uidvalidity_is_stable_and_uids_only_grow(imap_server: ImapServer) -> None:
    validity = imap_server.uidvalidity()
    uids = [imap_server.append(_raw(f"m{n}")) for n in range(3)]
    with imap_server.connect() as imap:  # expunge the newest: its UID is never reused
        imap.select("INBOX")
        imap.uid("STORE", str(uids[-1]), "+FLAGS", "(\\Deleted)")
        imap.expunge()
    uids.append(imap_server.append(_raw("after-expunge")))
    assert uids == sorted(uids) and len(set(uids)) == 4
    assert [m.uid for m in imap_server.messages()] == [uids[0], uids[1], uids[3]]
    assert imap_server.uidvalidity() == validity


def test_folders_and_moving_a_message(imap_server: ImapServer) -> None:
    imap_server.create_folder("Processed")
    assert "Processed" in imap_server.folders()
    uid = imap_server.append(_raw("to-move"))
    with imap_server.connect() as imap:
        imap.select("INBOX")
        typ, _ = imap.uid("MOVE", str(uid), "Processed")
        assert typ == "OK"
    assert imap_server.messages() == []
    assert [m.message["Subject"] for m in imap_server.messages("Processed")] == ["to-move"]
    direct = imap_server.append(_raw("filed"), folder="Processed")
    assert direct > imap_server.messages("Processed")[0].uid


def test_wrong_password_is_refused(imap_server: ImapServer) -> None:
    imap = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=5)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login(imap_server.user, "not-the-password")
    imap.shutdown()
    assert re.fullmatch(rf"imap://support:.+@127\.0\.0\.1:{imap_server.port}", imap_server.url)


def test_stop_leaves_no_process_and_frees_the_port() -> None:
    with private_dir(DIR_PREFIX) as folder:
        server = start_or_unavailable(ImapServer(folder))
        group = server._process.popen.pid if server._process else 0
        port = server.port
        server.stop()
    wait_until(lambda: _group_gone(group), "Dovecot's processes to exit", timeout=5)
    assert not port_open(port)


def _group_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)  # any process left in Dovecot's process group?
    except ProcessLookupError:
        return True
    return False
