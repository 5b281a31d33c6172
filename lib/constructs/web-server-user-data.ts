import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** The path the load balancer and Route 53 probe. */
export const HEALTH_CHECK_PATH = '/health';

export interface WebServerUserDataProps {
  /** The port the server listens on. */
  readonly port: number;
  /** Shown on the page, so a person can tell which region answered. */
  readonly region: string;
}

/**
 * Boot script for the instances: a small Python web server (Python 3 ships with
 * Amazon Linux 2023, so nothing is downloaded at boot) run by systemd as an
 * unprivileged user. `/health` is answered by the same process that serves the
 * application, so it returns 200 exactly when the web server is up.
 */
export function webServerUserData(props: WebServerUserDataProps): ec2.UserData {
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
  );
  return userData;
}
