"""The Route 53 health check that a Region switch plan keeps for each of its regions, for CloudFormation.

A custom resource of the <env>-dns-global stack (lib/constructs/plan-health-checks.ts). The failover
records must each take the plan's health check of *their* region. The plan's `PlanHealthChecks`
attribute is a bare list of IDs whose order AWS does not document, so this function asks ARC, which
names the region of every check (ListRoute53HealthChecks: healthChecks[].region), and answers one
attribute per region. It fails, with the reason, unless every region has exactly one check: a
deploy that stops is better than records wired to the other region's check.

Only boto3 and botocore (the Lambda Python runtime includes both; the `arc-region-switch` client
is in botocore 1.40.1 and later) and the standard library.
"""

import json
import os
import time
import urllib.request

import boto3
from botocore.exceptions import ClientError, UnknownServiceError

# ARC creates the checks with the plan, and IAM takes a moment to apply the function's new
# policy: allow both a little time.
# Ten minutes: a failed first create rolls the plan back with it, so waiting too little would
# fail every retry the same way; the function's timeout (12 min) leaves time to answer.
ATTEMPTS = int(os.environ.get("LIST_ATTEMPTS", "40"))
WAIT_SECONDS = float(os.environ.get("LIST_WAIT_SECONDS", "15"))
# A new role's policy (AccessDenied), a plan not yet visible (ResourceNotFound), throttling and
# ARC's own errors pass; anything else is a real answer.
RETRIED_ERRORS = {"AccessDeniedException", "ResourceNotFoundException", "ThrottlingException", "InternalServerException"}


def attribute_name(region):
    """The custom resource's attribute for `region`: us-east-1 -> HealthCheckIdUsEast1."""
    return "HealthCheckId" + "".join(part.capitalize() for part in region.split("-"))


def handler(event, context):
    physical_id = event.get("PhysicalResourceId") or f"{event['ResourceProperties']['PlanArn']}/route53-health-checks"
    try:
        data = {} if event["RequestType"] == "Delete" else health_checks_by_region(event["ResourceProperties"])
        _respond(event, physical_id, "SUCCESS", data, "")
    except Exception as error:  # every failure must reach CloudFormation, or the stack waits out ServiceTimeout
        _respond(event, physical_id, "FAILED", {}, f"{type(error).__name__}: {error}"[:1000])


def health_checks_by_region(properties):
    """{attribute_name(region): health check ID} for every region of the plan, or an error."""
    regions = properties["Regions"]
    try:
        client = boto3.client("arc-region-switch")
    except UnknownServiceError as error:
        raise RuntimeError(
            "this runtime's botocore has no arc-region-switch client (added in botocore 1.40.1); "
            "move the function to a runtime with a newer SDK"
        ) from error
    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(WAIT_SECONDS)
        try:
            found = _checks_by_region(client, properties)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in RETRIED_ERRORS:
                raise
            problem = f"ListRoute53HealthChecks: {code}: {error.response.get('Error', {}).get('Message', '')}"
            print(json.dumps({"attempt": attempt + 1, "waiting": problem}))
            continue
        missing = [region for region in regions if not found.get(region)]
        ambiguous = {region: sorted(ids) for region, ids in found.items() if region in regions and len(ids) > 1}
        if ambiguous:
            # More checks cannot turn into fewer by waiting.
            raise RuntimeError(f"the plan has more than one Route 53 health check for a region of {properties['RecordName']}: {ambiguous}")
        if not missing:
            return {attribute_name(region): found[region].pop() for region in regions}
        problem = f"no Route 53 health check of the plan for {', '.join(missing)} (record {properties['RecordName']} in {properties['HostedZoneId']})"
        print(json.dumps({"attempt": attempt + 1, "waiting": problem}))
    raise RuntimeError(f"{problem} after {ATTEMPTS} attempts")


def _checks_by_region(client, properties):
    zone = properties["HostedZoneId"]
    record = _record(properties["RecordName"])
    found = {}
    kwargs = {"arn": properties["PlanArn"], "hostedZoneId": zone, "recordName": properties["RecordName"]}
    while True:
        page = client.list_route53_health_checks(**kwargs)
        for check in page.get("healthChecks", []):
            # The call filters already; check again so a looser filter never mixes in another record.
            if check.get("hostedZoneId") == zone and _record(check.get("recordName", "")) == record and check.get("healthCheckId"):
                found.setdefault(check["region"], set()).add(check["healthCheckId"])
        if not page.get("nextToken"):
            return found
        kwargs["nextToken"] = page["nextToken"]


def _record(name):
    return name.rstrip(".").lower()


def _respond(event, physical_id, status, data, reason):
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the function's log",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    print(json.dumps({"status": status, "reason": reason, "data": data}))
    # The response URL is a presigned S3 URL: an empty content type is part of its signature.
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
