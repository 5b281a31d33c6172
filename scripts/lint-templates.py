"""Runs cfn-lint (requirements-test.txt) over synthesized templates and fails on any finding but the
few below, each with why it is not a defect of the template.

Usage: python3 scripts/lint-templates.py <assembly dir> [<assembly dir> ...]
"""

import glob
import json
import os
import subprocess
import sys

# cfn-lint 1.51.0's copy of the CloudFormation schemas predates Tags on these types; the
# registry schemas that CloudFormation and the CDK's built-in validation use have it.
TAGS_SCHEMA_PREDATES = {"AWS::ElasticLoadBalancingV2::Listener", "AWS::CloudWatch::Dashboard"}
# W3005: a DependsOn that a Ref or GetAtt already implies. CDK writes it on purpose (e.g. a
# function on its role's policy, so it never runs before its permissions exist); it changes nothing.
IGNORED_RULES = {"W3005"}


def allowed(finding, templates):
    rule = finding["Rule"]["Id"]
    if rule in IGNORED_RULES:
        return True
    path = finding["Location"]["Path"]
    if rule == "E3002" and path[-1:] == ["Tags"] and len(path) >= 2 and path[0] == "Resources":
        resource = templates[finding["Filename"]]["Resources"].get(path[1], {})
        return resource.get("Type") in TAGS_SCHEMA_PREDATES
    return False


def main(directories):
    files = sorted(f for d in directories for f in glob.glob(os.path.join(d, "*.template.json")))
    if not files:
        print(f"no templates in {' '.join(directories)}", file=sys.stderr)
        return 1
    run = subprocess.run(["cfn-lint", "--format", "json", "-t", *files], capture_output=True, text=True)
    # Exit status is a bit mask of the findings' levels (2 error, 4 warning, 8 informational); 1 means cfn-lint itself failed.
    try:
        findings = json.loads(run.stdout or "[]")
    except json.JSONDecodeError:
        findings = None
    if run.returncode & 1 or findings is None:
        print(f"cfn-lint failed to run (exit {run.returncode}): {run.stderr.strip()}", file=sys.stderr)
        return 1
    templates = {f: json.load(open(f)) for f in files}
    left = [f for f in findings if not allowed(f, templates)]
    for f in left:
        print(f"{f['Rule']['Id']} {f['Filename']}:{f['Location']['Start']['LineNumber']} {'/'.join(map(str, f['Location']['Path']))}: {f['Message']}", file=sys.stderr)
    print(f"cfn-lint: {len(files)} templates, {len(findings)} findings, {len(findings) - len(left)} on the ignore list, {len(left)} open")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
