#!/usr/bin/env bash
# Checks the tools the tests run besides Node.js, before jest starts: python3 with the
# packages of requirements-test.txt (moto serves the AWS APIs the switch handlers call), and
# PostgreSQL's server binaries (the app server's writer check runs against a real primary and
# standby). A missing tool stops `npm test` with one line saying how to install it; CI runs
# the same check, so a missing tool fails there instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null; then
  echo "python3 not found: install Python 3.11 or later (Debian: apt-get install -y python3 python3-pip)" >&2
  exit 1
fi
if ! python3 - requirements-test.txt <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version

wanted = [line.split("==") for line in open(sys.argv[1]) if line.strip() and not line.startswith("#")]
wrong = []
for name, pinned in wanted:
    try:
        found = version(name)
    except PackageNotFoundError:
        found = "missing"
    if found != pinned.strip():
        wrong.append(f"{name} {found} (want {pinned.strip()})")
if wrong:
    print(f"python3 packages: {', '.join(wrong)}: run python3 -m pip install -r requirements-test.txt", file=sys.stderr)
    sys.exit(1)
PY
then
  exit 1
fi
bindir=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r) "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"; do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/pg_basebackup" ] && [ -x "$dir/postgres" ]; then bindir=$dir; break; fi
done
if [ -z "$bindir" ] || ! command -v psql >/dev/null; then
  echo "PostgreSQL server and client not found: install them (Debian: apt-get install -y postgresql)" >&2
  exit 1
fi
