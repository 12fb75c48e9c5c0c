"""``python -m tests.servers.oidc_provider FOLDER``: read the RS256 private key (PEM) on standard
input, make the provider's SQLite database in FOLDER, create the users of FOLDER/users.json, bind
127.0.0.1 on a port the kernel picks, print ``{"port": N}`` on standard output and serve
(threaded) until terminated. The caller makes the key while this process imports Django."""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path


def _exit_with_parent(parent: int) -> None:
    """If the test process dies without stopping us (SIGKILL), do not linger."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def main() -> None:
    started = time.monotonic()
    folder = Path(sys.argv[1])
    for module in ("django.db.models", "jwcrypto.jwk", "oauthlib.openid"):
        importlib.import_module(module)  # the slow imports first, while the caller makes the key
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    key = sys.stdin.buffer.read()
    (folder / "oidc-key.pem").write_bytes(key)
    (folder / "oidc-key.pem").chmod(0o600)

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    os.environ["OIDC_PROVIDER_DIR"] = str(folder)
    os.environ["OIDC_PROVIDER_ISSUER"] = f"http://127.0.0.1:{port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.servers.oidc_provider.settings"

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    from tests.servers.oidc_provider.control import user_put

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    for spec in json.loads((folder / "users.json").read_text()):
        user_put(spec)
    httpd.set_app(WSGIHandler())
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    print(json.dumps({"port": port, "seconds": round(time.monotonic() - started, 3)}), flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
