"""Runs scripts/apply-stack-policies.sh, with the real AWS CLI, against CloudFormation and STS as
moto serves them, for test/review-stack-policies.test.ts:
`python3 test/support/moto_stack_policies.py <case.json>`.

<case.json>: {"env", "assembly", "stacks": the wave, "deployed": {stack: {"region", "template", "status"?}},
"created": {stack: {"region", "template"}}}. The runner serves moto on 127.0.0.1 (the AWS CLI is
another process, so moto's in-process mock cannot reach it) in the assembly's account, creates the
deployed stacks (forcing "status" where given, e.g. a failed first create's ROLLBACK_COMPLETE), runs
the script's `before` phase, creates the "created" stacks as `cdk deploy` would, runs `after`, and
prints one JSON object: per phase, its exit code, output, and each wave stack's policy as
GetStackPolicy returns it (null: none), and every AWS call the CLI made (service:Operation).
"""

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")

with open(sys.argv[1]) as f:
    CASE = json.load(f)
# Default credentials and an assumed role's map to this account in moto, as in the assembly.
os.environ["MOTO_ACCOUNT_ID"] = CASE["account"]

import moto_env  # noqa: E402,F401  (first: moto's environment and one model loader)

import boto3  # noqa: E402
from moto.cloudformation.models import cloudformation_backends  # noqa: E402

try:
    from moto.server import ThreadedMotoServer  # noqa: E402
except ImportError as missing:  # moto's server needs its [server] extra (Flask)
    sys.exit("moto_stack_policies: %s: install moto's server: python3 -m pip install 'moto[server]==5.2.1'" % missing)
if subprocess.run(["bash", "-c", "command -v aws"], capture_output=True, check=False).returncode != 0:
    sys.exit("moto_stack_policies: no AWS CLI on PATH (CodeBuild's image has v2; here: python3 -m pip install awscli==1.45.11)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
PORT = free_port()
ENDPOINT = "http://127.0.0.1:%d" % PORT
server = ThreadedMotoServer(ip_address="127.0.0.1", port=PORT, verbose=False)
server.start()


def cloudformation(region):
    return boto3.client("cloudformation", region_name=region, endpoint_url=ENDPOINT)


def create(stacks):
    # moto warns about each resource type it does not model; the template is all that matters here.
    warnings.simplefilter("ignore")
    for name, stack in stacks.items():
        cloudformation(stack["region"]).create_stack(StackName=name, TemplateBody=json.dumps(stack["template"]))
        if "status" in stack:
            for moto_stack in cloudformation_backends[CASE["account"]][stack["region"]].stacks.values():
                if moto_stack.name == name:
                    moto_stack.status = stack["status"]


def policies():
    regions = {**{n: s["region"] for n, s in CASE["deployed"].items()}, **{n: s["region"] for n, s in CASE["created"].items()}}
    found = {}
    for name in CASE["stacks"]:
        try:
            body = cloudformation(regions.get(name, "us-east-1")).get_stack_policy(StackName=name).get("StackPolicyBody")
        except Exception:  # noqa: BLE001 (a stack that does not exist has no policy)
            body = None
        found[name] = json.loads(body) if body else None
    return found


def run(phase, work, log):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": work,
        "AWS_ENDPOINT_URL": ENDPOINT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "STACK_POLICY_DIR": os.path.join(work, "stack-policies"),
        "AWS_CLI_LOG": log,
    }
    result = subprocess.run(
        ["bash", os.path.join(ROOT, "scripts", "apply-stack-policies.sh"), phase, CASE["env"], CASE["assembly"], *CASE["stacks"]],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )
    return {"status": result.returncode, "stdout": result.stdout, "stderr": result.stderr, "policies": policies()}


def main():
    with tempfile.TemporaryDirectory() as work:
        bin_dir = os.path.join(work, "bin")
        os.mkdir(bin_dir)
        # Records each call (service and operation) before handing it to the real AWS CLI.
        real_aws = subprocess.run(["bash", "-c", "command -v aws"], capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(bin_dir, "aws"), "w") as f:
            f.write('#!/bin/bash\necho "$1:$2" >> "$AWS_CLI_LOG"\nexec %s "$@"\n' % real_aws)
        os.chmod(os.path.join(bin_dir, "aws"), 0o755)
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]
        log = os.path.join(work, "calls")
        open(log, "w").close()
        create(CASE["deployed"])
        before = run("before", work, log)
        create(CASE["created"])
        after = run("after", work, log)
        with open(log) as f:
            calls = f.read().split()
    server.stop()
    print(json.dumps({"before": before, "after": after, "calls": calls}))


main()
