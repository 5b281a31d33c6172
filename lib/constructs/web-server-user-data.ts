import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { NO_WRITER } from './writer-endpoint';

/**
 * The path Route 53 probes for the standby: 200 `writer` or 200 `read-only` while the
 * instance reaches a database, 503 when it reaches none.
 */
export const HEALTH_CHECK_PATH = '/health';

/**
 * The path the load balancer probes and the boot signal waits for: 200 while the server
 * runs. Whether a database is reachable is the region's health (Route 53's checks), not the
 * instance's: were the load balancer to probe the database, a database outage would make
 * Auto Scaling replace every instance in a loop, and no deploy could signal until it ended.
 */
export const LIVENESS_CHECK_PATH = '/health/live';

/**
 * The path Route 53 probes for the primary: 200 only where this region's writer parameter
 * names a reachable writer, so a region without one is not PRIMARY-healthy.
 */
export const WRITER_HEALTH_CHECK_PATH = '/health/writer';

/** Seconds the server keeps the writer parameter's value before reading it again. */
export const WRITER_CACHE_SECONDS = 30;

/** Where the boot script installs the health wait, which it then runs. */
export const SIGNAL_SCRIPT_PATH = '/opt/webtier/signal-when-healthy.sh';

/** Seconds between two probes of the local health endpoint while an instance boots. */
export const HEALTH_WAIT_INTERVAL_SECONDS = 5;

/**
 * Waits for a URL to answer 200 and then signals CloudFormation with cfn-signal
 * (found on PATH): success once it answers, failure after `<attempts>` probes
 * `<interval>` seconds apart. Arguments after the third go to cfn-signal.
 * Usage: signal-when-healthy.sh <url> <attempts> <interval> [cfn-signal options…]
 */
const SIGNAL_WHEN_HEALTHY = [
  '#!/bin/bash',
  'set -uo pipefail',
  'url=$1 attempts=$2 interval=$3',
  'shift 3',
  'for ((attempt = 1; attempt <= attempts; attempt++)); do',
  '  if curl --silent --fail --max-time 2 --output /dev/null "$url"; then',
  '    exec cfn-signal --exit-code 0 "$@"',
  '  fi',
  '  sleep "$interval"',
  'done',
  'echo "$url did not answer 200 within $attempts attempts" >&2',
  'exec cfn-signal --exit-code 1 "$@"',
];

/** The resource whose CreationPolicy and UpdatePolicy wait for the instances' signals. */
export interface ResourceSignalTarget {
  /** The stack's name. */
  readonly stackName: string;
  /** The signalled resource's logical ID, e.g. the Auto Scaling group's. */
  readonly logicalId: string;
  /** The stack's region. */
  readonly region: string;
  /**
   * How long an instance waits for its own health endpoint before it signals failure;
   * shorter than the CloudFormation signal timeout, so a failure is reported rather than timed out.
   */
  readonly healthWait: Duration;
}

/** Where the application finds its database. */
export interface DatabaseSettings {
  /** The SSM parameter naming the region's writer (or `none`). */
  readonly writerParameterName: string;
  /** The credentials secret: the server reads username and password from it, never its `host`. */
  readonly secretArn: string;
  /** The region's own instance, which serves reads while the region has no writer. */
  readonly localHostname: string;
  /** The PostgreSQL port. */
  readonly port: number;
}

/**
 * The web server. The database host comes from the region's writer parameter, never from
 * the credentials secret: the secret is replicated unchanged, so its `host` names the
 * primary region's writer even in the standby region after a promotion.
 */
const SERVER = [
  'import http.server, os, socket, subprocess, threading, time',
  '# The database host comes from WRITER_PARAMETER, never from the secret at DB_SECRET_ARN: the',
  '# secret is replicated unchanged, so its "host" names the primary region even in the standby.',
  '# The secret supplies the username and password only.',
  `NO_WRITER = "${NO_WRITER}"`,
  `CACHE_SECONDS = ${WRITER_CACHE_SECONDS}`,
  'DB_PORT = int(os.environ["DB_PORT"])',
  'lock = threading.Lock()',
  'cache = {"at": None, "host": None}',
  '',
  'def writer_host():',
  '    # Read again every CACHE_SECONDS, so a promotion is seen without a reboot. A failed read keeps',
  '    # the last value: a Parameter Store hiccup must not take a serving region out of DNS.',
  '    with lock:',
  '        now = time.monotonic()',
  '        if cache["at"] is None or now - cache["at"] >= CACHE_SECONDS:',
  '            cache["at"] = now',
  '            try:',
  '                read = subprocess.run(["aws", "ssm", "get-parameter", "--region", os.environ["REGION"], "--name", os.environ["WRITER_PARAMETER"],',
  '                                       "--query", "Parameter.Value", "--output", "text"], capture_output=True, text=True, timeout=5)',
  '                if read.returncode == 0:',
  '                    cache["host"] = read.stdout.strip()',
  '            except (OSError, subprocess.TimeoutExpired):',
  '                pass',
  '        return cache["host"]',
  '',
  'def reachable(host):',
  '    try:',
  '        socket.create_connection((host, DB_PORT), timeout=2).close()',
  '        return True',
  '    except OSError:',
  '        return False',
  '',
  'def database_role():',
  '    host = writer_host()',
  '    if host and host != NO_WRITER and reachable(host):',
  '        return "writer"',
  '    return "read-only" if reachable(os.environ["LOCAL_DB_HOST"]) else None',
  '',
  'class Handler(http.server.BaseHTTPRequestHandler):',
  '    def do_GET(self):',
  `        if self.path == "${LIVENESS_CHECK_PATH}":`,
  '            self.reply(200, "live\\n")',
  `        elif self.path in ("${HEALTH_CHECK_PATH}", "${WRITER_HEALTH_CHECK_PATH}"):`,
  '            role = database_role()',
  `            healthy = role == "writer" if self.path == "${WRITER_HEALTH_CHECK_PATH}" else role is not None`,
  '            self.reply(200 if healthy else 503, (role or "unavailable") + "\\n")',
  '        else:',
  '            self.reply(200, "webtier in " + os.environ["REGION"] + "\\n")',
  '',
  '    def reply(self, status, text):',
  '        body = text.encode()',
  '        self.send_response(status)',
  '        self.send_header("Content-Type", "text/plain")',
  '        self.send_header("Content-Length", str(len(body)))',
  '        self.end_headers()',
  '        self.wfile.write(body)',
  '',
  'http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Handler).serve_forever()',
];

export interface WebServerUserDataProps {
  /** The port the server listens on. */
  readonly port: number;
  /** Shown on the page, so a person can tell which region answered. */
  readonly region: string;
  /** Where the instance reports that it serves `/health/live`. */
  readonly signal: ResourceSignalTarget;
  /** Where the application finds its database, passed to it as its environment. */
  readonly database: DatabaseSettings;
}

/**
 * Boot script for the instances: a small Python web server (Python 3 ships with
 * Amazon Linux 2023, so nothing is downloaded at boot) run by systemd as an
 * unprivileged user, with the writer parameter, the secret and the region's own
 * instance in its environment. The same process that serves the application answers
 * `/health` (200 while it reaches a database, with whether it may write), `/health/writer`
 * and `/health/live`. The instance signals CloudFormation only once its own `/health/live`
 * answers, so a deploy whose instances do not serve rolls back instead of completing.
 */
export function webServerUserData(props: WebServerUserDataProps): ec2.UserData {
  const { signal, database } = props;
  const attempts = Math.max(1, Math.floor(signal.healthWait.toSeconds() / HEALTH_WAIT_INTERVAL_SECONDS));
  const userData = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
  userData.addCommands(
    'set -euo pipefail',
    'install -d -m 0755 /opt/webtier',
    "cat > /opt/webtier/server.py <<'PY'",
    ...SERVER,
    'PY',
    "cat > /etc/systemd/system/webtier.service <<'UNIT'",
    '[Unit]',
    'Description=webtier application',
    'After=network-online.target',
    '[Service]',
    `Environment=PORT=${props.port} REGION=${props.region}`,
    `Environment=WRITER_PARAMETER=${database.writerParameterName} DB_SECRET_ARN=${database.secretArn}`,
    `Environment=LOCAL_DB_HOST=${database.localHostname} DB_PORT=${database.port}`,
    'ExecStart=/usr/bin/python3 /opt/webtier/server.py',
    'DynamicUser=yes',
    'Restart=always',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now webtier.service',
    `cat > ${SIGNAL_SCRIPT_PATH} <<'SH'`,
    ...SIGNAL_WHEN_HEALTHY,
    'SH',
    `chmod 0755 ${SIGNAL_SCRIPT_PATH}`,
    // The standard AL2023 AMI ships the CloudFormation helper scripts; a trimmed image may not.
    '[ -x /opt/aws/bin/cfn-signal ] || dnf install -y aws-cfn-bootstrap',
    `PATH=/opt/aws/bin:$PATH ${SIGNAL_SCRIPT_PATH} http://127.0.0.1:${props.port}${LIVENESS_CHECK_PATH} ${attempts} ${HEALTH_WAIT_INTERVAL_SECONDS} ` +
      `--stack ${signal.stackName} --resource ${signal.logicalId} --region ${signal.region}`,
  );
  return userData;
}
