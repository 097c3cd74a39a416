"""A real gunicorn on the test database, and a small HTTP client for hammering it."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .conftest import TEST_AUDIT_KEY

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, workers: int = 4, **env_overrides):
    """Start gunicorn on ``database_url``; yields (host, port). Stops it afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-test-" + "k" * 40,
           "TRIPLEDGER_ENV": "development", "TRIPLEDGER_RATELIMIT_ENABLED": "false",
           "TRIPLEDGER_ARGON2_MEMORY_COST": "8192", "TRIPLEDGER_ARGON2_TIME_COST": "1",
           "TRIPLEDGER_ARGON2_PARALLELISM": "1", "TRIPLEDGER_LOG_LEVEL": "WARNING",
           "TRIPLEDGER_TODAY": "2024-10-01",
           # The test apps' audit key: the server appends to the chain the tests verify.
           "AUDIT_HMAC_KEY": TEST_AUDIT_KEY, **env_overrides}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = request("127.0.0.1", port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


def request(host, port, method, path, body=None, headers=None, timeout=60):
    """(status, parsed JSON or text)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=hdrs)
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("Content-Type", "")
        return response.status, (json.loads(raw) if "json" in kind and raw else raw.decode())
    finally:
        conn.close()


class BrowserSession:
    """Cookies and CSRF over plain http.client, enough to drive the organiser's forms."""

    _csrf = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

    def __init__(self, host, port):
        self.host, self.port, self.cookie, self.token = host, port, "", ""

    def _call(self, method, path, form=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            headers = {"Cookie": self.cookie} if self.cookie else {}
            body = None
            if form is not None:
                from urllib.parse import urlencode
                body = urlencode({**form, "csrf_token": self.token})
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            match = self._csrf.search(text)
            if match:
                self.token = match.group(1)
            return response.status, text
        finally:
            conn.close()

    def get(self, path):
        return self._call("GET", path)

    def post(self, path, form):
        return self._call("POST", path, form)

    def log_in(self, email, password):
        self.get("/login")
        status, _ = self.post("/login", {"email": email, "password": password})
        assert status == 302, "login failed"
        self.get("/organiser/outbox")  # a fresh CSRF token for the new session


@contextmanager
def redis_server(folder):
    """A real redis-server on a free loopback port; yields its URL (None: not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
