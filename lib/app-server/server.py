"""The instances' web server: the application page and the health endpoints.

The boot script (lib/constructs/web-server-user-data.ts) writes this file to /opt/webtier/server.py
and runs it with systemd, whose unit sets every environment variable read below. Python 3.9 standard
library only (Amazon Linux 2023's /usr/bin/python3); it runs the AWS CLI and psql as child processes.

A host is classified by logging in to it, not by opening a TCP connection: a fenced or cut-off old
writer still accepts connections. One query decides:
- writer: not in recovery, and transactions may write;
- read-only: in recovery (a streaming standby, an RDS read replica) or read-only (a fenced writer,
  whose parameter group sets default_transaction_read_only);
- unavailable: anything else (no connection, login refused, timeout, no psql).
"""

import http.server
import json
import os
import subprocess
import sys
import threading
import time

PORT = int(os.environ["PORT"])
REGION = os.environ["REGION"]
# The host comes from this parameter, never from the secret: the secret is replicated unchanged, so its
# "host" names the primary region's writer even in the standby region. The secret supplies the login only.
WRITER_PARAMETER = os.environ["WRITER_PARAMETER"]
DB_SECRET_ARN = os.environ["DB_SECRET_ARN"]
LOCAL_DB_HOST = os.environ["LOCAL_DB_HOST"]
DB_PORT = os.environ["DB_PORT"]
NO_WRITER = os.environ["NO_WRITER"]
CACHE_SECONDS = float(os.environ["WRITER_CACHE_SECONDS"])
# How long one host's answer is reused: Route 53's checkers probe every few seconds from several
# places, and each answer is a login; a few seconds of reuse keeps that to a trickle.
ANSWER_CACHE_SECONDS = float(os.environ["ANSWER_CACHE_SECONDS"])
HEALTH_CHECK_PATH = os.environ["HEALTH_CHECK_PATH"]
WRITER_HEALTH_CHECK_PATH = os.environ["WRITER_HEALTH_CHECK_PATH"]
LIVENESS_CHECK_PATH = os.environ["LIVENESS_CHECK_PATH"]
# RDS refuses connections without TLS (rds.force_ssl=1); a test server without TLS sets "disable".
DB_SSLMODE = os.environ.get("DB_SSLMODE", "require")

WRITER, READ_ONLY, UNAVAILABLE = "writer", "read-only", "unavailable"
QUERY = "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"


class Cached:
    """A value read again at most every CACHE_SECONDS, so a promotion or a new password is seen without a
    reboot. A failed read (None) keeps the last value: an API hiccup must not take a serving region out of DNS."""

    def __init__(self, read):
        self._read = read
        self._lock = threading.Lock()
        self._read_at = None
        self._value = None

    def get(self):
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= CACHE_SECONDS:
                self._read_at = now
                value = self._read()
                if value is not None:
                    self._value = value
            return self._value

    def refresh(self):
        """Reads again now, whatever the value's age; returns whether the value changed."""
        with self._lock:
            before = self._value
            self._read_at = None
        return self.get() != before


def aws(*args):
    """The AWS CLI's text answer, or None when the call fails."""
    try:
        result = subprocess.run(["aws", *args, "--region", REGION, "--output", "text"], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def read_writer_host():
    return aws("ssm", "get-parameter", "--name", WRITER_PARAMETER, "--query", "Parameter.Value")


def read_login():
    try:
        secret = json.loads(aws("secretsmanager", "get-secret-value", "--secret-id", DB_SECRET_ARN, "--query", "SecretString"))
        login = (secret["username"], secret["password"])
    except (TypeError, ValueError, KeyError):
        return None
    return login if all(isinstance(value, str) for value in login) else None


writer_host = Cached(read_writer_host)
login = Cached(read_login)


def login_to(host, credentials):
    """psql's exit status, output and error for the one query, logged in to `host` with `credentials`."""
    # The password goes to psql through its environment only: a command line is visible to every local user.
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    env.update(PGHOST=host, PGPORT=DB_PORT, PGDATABASE="postgres", PGUSER=credentials[0], PGPASSWORD=credentials[1],
               PGSSLMODE=DB_SSLMODE, PGCONNECT_TIMEOUT="3", PGAPPNAME="webtier-health")
    result = subprocess.run(["psql", "--no-psqlrc", "--no-password", "--tuples-only", "--no-align", "--field-separator=|",
                             "--command", QUERY], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=6)
    return result.returncode, result.stdout, result.stderr


def ask(host):
    """writer, read-only or unavailable: what `host` answers when this server logs in to it."""
    credentials = login.get()
    if credentials is None:
        return UNAVAILABLE
    try:
        status, out, err = login_to(host, credentials)
        # A rotation changes the password on the database first: a refused login reads the secret again
        # at once, rather than answering `unavailable` until the cache expires.
        if status != 0 and "password authentication failed" in err and login.refresh():
            status, out, err = login_to(host, login.get())
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"{host}: {error}", file=sys.stderr)
        return UNAVAILABLE
    if status != 0:
        print(f"{host}: {err.strip()}", file=sys.stderr)
        return UNAVAILABLE
    answer = out.strip().split("|")
    if answer == ["f", "off"]:
        return WRITER
    if len(answer) == 2 and (answer[0] == "t" or answer[1] == "on"):
        return READ_ONLY
    return UNAVAILABLE


answers = {}
host_locks = {}
host_locks_lock = threading.Lock()


def classify(host):
    """ask(host), reused for ANSWER_CACHE_SECONDS; requests that arrive together share one login."""
    with host_locks_lock:
        lock = host_locks.setdefault(host, threading.Lock())
    with lock:
        cached = answers.get(host)
        if cached and time.monotonic() - cached[0] < ANSWER_CACHE_SECONDS:
            return cached[1]
        asked_at = time.monotonic()
        role = ask(host)
        answers[host] = (asked_at, role)
        return role


def named_writer():
    """The host the writer parameter names, or None while it names none (or was never read)."""
    host = writer_host.get()
    return None if host in (None, NO_WRITER) else host


def region_health():
    """200 writer where the named writer is one, else 200 read-only while the region's own instance
    answers (writer or read-only), else 503 unavailable."""
    host = named_writer()
    role = classify(host) if host else UNAVAILABLE
    if role == WRITER:
        return 200, WRITER
    if host != LOCAL_DB_HOST:
        role = classify(LOCAL_DB_HOST)
    return (503, UNAVAILABLE) if role == UNAVAILABLE else (200, READ_ONLY)


def writer_health():
    """200 only where the named writer is a writer; otherwise 503 with what it is (or, while no writer is
    named, with what the region's own instance serves)."""
    host = named_writer()
    if host:
        role = classify(host)
        return (200 if role == WRITER else 503), role
    return 503, UNAVAILABLE if classify(LOCAL_DB_HOST) == UNAVAILABLE else READ_ONLY


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == LIVENESS_CHECK_PATH:
            self.reply(200, "live")
        elif self.path == HEALTH_CHECK_PATH:
            self.reply(*region_health())
        elif self.path == WRITER_HEALTH_CHECK_PATH:
            self.reply(*writer_health())
        else:
            self.reply(200, "webtier in " + REGION)

    def reply(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("", PORT), Handler).serve_forever()
