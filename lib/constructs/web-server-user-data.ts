import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** The path the load balancer and Route 53 probe. */
export const HEALTH_CHECK_PATH = '/health';

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

export interface WebServerUserDataProps {
  /** The port the server listens on. */
  readonly port: number;
  /** Shown on the page, so a person can tell which region answered. */
  readonly region: string;
  /** Where the instance reports that it serves `/health`. */
  readonly signal: ResourceSignalTarget;
}

/**
 * Boot script for the instances: a small Python web server (Python 3 ships with
 * Amazon Linux 2023, so nothing is downloaded at boot) run by systemd as an
 * unprivileged user. `/health` is answered by the same process that serves the
 * application, so it returns 200 exactly when the web server is up. The instance
 * signals CloudFormation only once its own `/health` answers, so a deploy whose
 * instances do not serve rolls back instead of completing.
 */
export function webServerUserData(props: WebServerUserDataProps): ec2.UserData {
  const { signal } = props;
  const attempts = Math.max(1, Math.floor(signal.healthWait.toSeconds() / HEALTH_WAIT_INTERVAL_SECONDS));
  const userData = ec2.UserData.forLinux({ shebang: '#!/bin/bash' });
  userData.addCommands(
    'set -euo pipefail',
    'install -d -m 0755 /opt/webtier',
    "cat > /opt/webtier/server.py <<'PY'",
    'import http.server, os',
    'class Handler(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    `        body = b"ok\\n" if self.path == "${HEALTH_CHECK_PATH}" else ("webtier in " + os.environ["REGION"] + "\\n").encode()`,
    '        self.send_response(200)',
    '        self.send_header("Content-Type", "text/plain")',
    '        self.send_header("Content-Length", str(len(body)))',
    '        self.end_headers()',
    '        self.wfile.write(body)',
    'http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Handler).serve_forever()',
    'PY',
    "cat > /etc/systemd/system/webtier.service <<'UNIT'",
    '[Unit]',
    'Description=webtier application',
    'After=network-online.target',
    '[Service]',
    `Environment=PORT=${props.port} REGION=${props.region}`,
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
    `PATH=/opt/aws/bin:$PATH ${SIGNAL_SCRIPT_PATH} http://127.0.0.1:${props.port}${HEALTH_CHECK_PATH} ${attempts} ${HEALTH_WAIT_INTERVAL_SECONDS} ` +
      `--stack ${signal.stackName} --resource ${signal.logicalId} --region ${signal.region}`,
  );
  return userData;
}
