import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { NO_WRITER } from './writer-endpoint';

/**
 * The path Route 53 probes for the standby: 200 `writer` where the host the writer parameter
 * names is a writer (see {@link WRITER_HEALTH_CHECK_PATH}), else 200 `read-only` while the
 * server can log in to the region's own instance (a writer or read-only), else 503 `unavailable`.
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
 * The path Route 53 probes for the primary: 200 `writer` only where the server, logged in to
 * the host this region's writer parameter names, finds it out of recovery and not read-only.
 * Otherwise 503 with what that host is (`read-only`: a standby or a fenced writer;
 * `unavailable`: no login), or, while the parameter names no writer, with what the region's
 * own instance serves. So a fenced or standalone old writer is not PRIMARY-healthy.
 */
export const WRITER_HEALTH_CHECK_PATH = '/health/writer';

/** Seconds the server keeps the writer parameter's value and the secret's login before reading them again. */
export const WRITER_CACHE_SECONDS = 30;

/**
 * Seconds the server reuses one database host's answer (writer, read-only, unavailable): every
 * health request is a login, and Route 53's checkers ask every few seconds from several places.
 */
export const ANSWER_CACHE_SECONDS = 5;

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

/**
 * Where the application finds its database. The health endpoints log in to these hosts with
 * the secret's login and ask whether they are in recovery and read-only: a host is a `writer`
 * (neither), `read-only` (a standby, or a writer fenced with default_transaction_read_only)
 * or `unavailable` (no login).
 */
export interface DatabaseSettings {
  /** The SSM parameter naming the region's writer (or `none`): the host `/health/writer` vouches for. */
  readonly writerParameterName: string;
  /** The credentials secret: the server reads username and password from it, never its `host`. */
  readonly secretArn: string;
  /** The region's own instance, which keeps `/health` at 200 `read-only` while the region has no writer. */
  readonly localHostname: string;
  /** The PostgreSQL port. */
  readonly port: number;
}

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
 * The web server (lib/app-server/server.py), read at synth and written verbatim to the
 * instance. It takes every setting from its systemd unit's environment, so the file is
 * the same for every region and runs unchanged in tests.
 */
const SERVER = readFileSync(path.join(__dirname, '..', 'app-server', 'server.py'), 'utf8');

/** The Amazon Linux 2023 package with psql, the client the health endpoints log in with; the RDS engine is PostgreSQL 16. */
const POSTGRESQL_CLIENT_PACKAGE = 'postgresql16';

/** The server's environment, one systemd `Environment=` line each. */
function serverEnvironment(props: WebServerUserDataProps): Record<string, string | number> {
  const { database } = props;
  return {
    PORT: props.port,
    REGION: props.region,
    WRITER_PARAMETER: database.writerParameterName,
    DB_SECRET_ARN: database.secretArn,
    LOCAL_DB_HOST: database.localHostname,
    DB_PORT: database.port,
    DB_SSLMODE: 'require',
    NO_WRITER,
    WRITER_CACHE_SECONDS,
    ANSWER_CACHE_SECONDS,
    HEALTH_CHECK_PATH,
    WRITER_HEALTH_CHECK_PATH,
    LIVENESS_CHECK_PATH,
  };
}

/**
 * Boot script for the instances: a small Python web server (Python 3 ships with
 * Amazon Linux 2023) run by systemd as an unprivileged user, with the writer parameter,
 * the secret and the region's own instance in its environment, and psql (the
 * `postgresql16` package, installed at boot unless the image has a psql) for it to log in
 * to the database with. The same process that serves the application answers `/health`
 * and `/health/writer`, which log in to the database and say whether it takes writes, and
 * `/health/live`, which never touches it. The instance signals CloudFormation success only
 * once its own `/health/live` answers, and failure at once when psql cannot be installed,
 * so a deploy whose instances cannot serve rolls back instead of completing.
 */
export function webServerUserData(props: WebServerUserDataProps): ec2.UserData {
  const { signal } = props;
  const attempts = Math.max(1, Math.floor(signal.healthWait.toSeconds() / HEALTH_WAIT_INTERVAL_SECONDS));
  const signalOptions = `--stack ${signal.stackName} --resource ${signal.logicalId} --region ${signal.region}`;
  const userData = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
  userData.addCommands(
    'set -euo pipefail',
    // The standard AL2023 AMI ships the CloudFormation helper scripts; a trimmed image may not.
    // They come first so that the psql install below can report its failure.
    '[ -x /opt/aws/bin/cfn-signal ] || dnf install -y aws-cfn-bootstrap',
    'export PATH=/opt/aws/bin:$PATH',
    // Without psql every health check answers `unavailable`, yet /health/live would still pass
    // and the instance would signal success. Left to `set -e`, a failed install would end the
    // script with no signal at all and the deploy would wait out the whole signal timeout;
    // signalling failure makes CloudFormation roll back at once.
    `command -v psql >/dev/null || dnf install -y ${POSTGRESQL_CLIENT_PACKAGE} || {`,
    `  echo "psql is missing and dnf could not install ${POSTGRESQL_CLIENT_PACKAGE}" >&2`,
    `  cfn-signal --exit-code 1 ${signalOptions}`,
    '  exit 1',
    '}',
    'install -d -m 0755 /opt/webtier',
    "cat > /opt/webtier/server.py <<'PY'",
    SERVER.replace(/\n$/, ''),
    'PY',
    "cat > /etc/systemd/system/webtier.service <<'UNIT'",
    '[Unit]',
    'Description=webtier application',
    'After=network-online.target',
    '[Service]',
    ...Object.entries(serverEnvironment(props)).map(([name, value]) => `Environment=${name}=${value}`),
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
    `${SIGNAL_SCRIPT_PATH} http://127.0.0.1:${props.port}${LIVENESS_CHECK_PATH} ${attempts} ${HEALTH_WAIT_INTERVAL_SECONDS} ${signalOptions}`,
  );
  return userData;
}
