"""A PostgreSQL connection that drops at COMMIT, after the server has committed.

A Unix-socket proxy in front of the test server: it passes everything through until it is armed;
then it forwards the next COMMIT to the server, waits for the server's reply (which comes only
once the transaction is durable), and instead of passing the reply on, closes the desk's socket.
The desk sees a dropped connection for a commit that happened: the uncertain commit an advisor's
retry must not turn into a duplicate. On SQLite, where there is no connection to drop, the same
call commits and then fails (desk_whose_next_commit_is_uncertain).
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from cras_desk.db.engine import Database


class CommitDropProxy:
    def __init__(self, server_url: URL) -> None:
        upstream_dir = Path(str(server_url.query["host"]))
        self.upstream = next(upstream_dir.glob(".s.PGSQL.*"))
        self.dir = Path(tempfile.mkdtemp(prefix="cras-proxy-"))
        self.path = self.dir / self.upstream.name
        self.url = server_url.update_query_dict({"host": str(self.dir)})
        self._armed = threading.Event()
        self.dropped = threading.Event()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def for_database(self, name: str) -> URL:
        return self.url.set(database=name)

    def drop_next_commit(self) -> None:
        self.dropped.clear()
        self._armed.set()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(str(self.upstream))
            swallow = threading.Event()
            threading.Thread(target=self._to_server, args=(client, server, swallow), daemon=True).start()
            threading.Thread(target=self._to_client, args=(server, client, swallow), daemon=True).start()

    def _to_server(self, client: socket.socket, server: socket.socket, swallow: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                # psycopg sends COMMIT as a simple query: 'Q', length, "COMMIT\0".
                if self._armed.is_set() and b"Q\x00\x00\x00\x0bCOMMIT\x00" in data:
                    self._armed.clear()
                    swallow.set()
                server.sendall(data)
        _close(client, server)

    def _to_client(self, server: socket.socket, client: socket.socket, swallow: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if swallow.is_set():
                    self.dropped.set()
                    break  # the server has committed; the desk never hears so
                client.sendall(data)
        _close(client, server)


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()


class LostAnswer(OperationalError):
    def __init__(self) -> None:
        super().__init__("COMMIT", {}, ConnectionResetError("the answer to COMMIT was lost"))


@contextlib.contextmanager
def desk_whose_next_commit_is_uncertain(db: Database) -> Iterator[Database]:
    """A desk on `db` whose next commit happens, and whose caller is told the connection dropped."""
    if db.dialect == "postgresql":
        proxy = CommitDropProxy(db.url)
        desk = Database(proxy.for_database(str(db.url.database)))
        proxy.drop_next_commit()
        try:
            yield desk
        finally:
            desk.dispose()
            proxy.close()
        return

    fired = []

    def after_commit(session: Session) -> None:
        # Fired for a savepoint's release too; only the outermost commit is the one to "lose".
        if not fired and not session.in_nested_transaction():
            fired.append(True)
            raise LostAnswer()

    event.listen(Session, "after_commit", after_commit)
    try:
        yield db
    finally:
        event.remove(Session, "after_commit", after_commit)
