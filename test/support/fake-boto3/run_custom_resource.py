"""Runs lib/lambda/plan_health_checks.py for the CloudFormation request type in argv[1] and the
resource properties in argv[2] (JSON); prints the response it PUTs to its (local) response URL."""

import http.server
import json
import sys
import threading

import plan_health_checks

received = []


class _ResponseUrl(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        received.append({"contentType": self.headers.get("Content-Type"), "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), _ResponseUrl)
threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
event = {
    "RequestType": sys.argv[1],
    "ResponseURL": f"http://127.0.0.1:{server.server_port}/response",
    "StackId": "arn:aws:cloudformation:us-east-1:111111111111:stack/prod-dns-global/1",
    "RequestId": "request-1",
    "LogicalResourceId": "PlanHealthChecks221F4D9C",
    "ResourceProperties": json.loads(sys.argv[2]),
}
if len(sys.argv) > 3:
    event["PhysicalResourceId"] = sys.argv[3]
plan_health_checks.handler(event, None)
server.shutdown()
print(json.dumps(received))
