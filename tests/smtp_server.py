"""A tiny real SMTP server on loopback that keeps what it receives (for notification tests)."""
from __future__ import annotations

import socketserver
import threading
from contextlib import contextmanager
from email import message_from_bytes


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self._send("220 test SMTP ready")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self._send("250 test")
            elif command.startswith(("MAIL FROM", "RCPT TO", "RSET", "NOOP")):
                self._send("250 OK")
            elif command == "DATA":
                self._send("354 end with <CRLF>.<CRLF>")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.server.messages.append(message_from_bytes(body))
                self._send("250 queued")
            elif command == "QUIT":
                self._send("221 bye")
                return
            else:
                self._send("502 not implemented")

    def _send(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def smtp_server():
    """Yields (port, messages)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.messages
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
