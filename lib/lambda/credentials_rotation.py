"""Rotation of one region's database credentials (lib/constructs/credentials-rotation.ts).

Each region keeps its own secret with the master login, and the two hold the same password: the
cross-Region replica copies the writer's `pg_authid` with everything else it replicates, so the one
password of the writer is the password of its replica and of whatever the replica is promoted to.
Secrets Manager invokes this function with the four steps of its rotation protocol
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html):
createSecret, setSecret, testSecret, finishSecret. What a step does depends on what the region holds
now, read at each step from AWS rather than from the template:

- The writer (its writer parameter names a writer and its instance is standalone): a new random
  password, set on the instance with RDS ModifyDBInstance `MasterUserPassword` (no login, so no VPC
  and no driver: RDS applies it as the master user), waited for until RDS shows it applied, then
  made current here and, last, the other region's secret rotated, which copies it from here.
- Anything else (a replica, a fenced old writer, a region mid-switch): the other region's current
  login, copied here. RDS never changes a replica's password itself; it follows its source.

So a rotation of either secret, scheduled or `aws secretsmanager rotate-secret`, leaves that secret
with the password the writer has, and the writer's region rotation changes it in both regions.
Every step is safe to run again: Secrets Manager retries a rotation that failed with the same token.

Only boto3, which the Lambda Python runtime includes.
"""

import json
import os
import time
import uuid

import boto3
from botocore.exceptions import ClientError

# lib/constructs/writer-endpoint.ts NO_WRITER: the region holds no writer.
NO_WRITER = "none"
# RDS for PostgreSQL master password: 8 to 128 printable ASCII characters except "/", "'", '"', "@"
# and space (API_ModifyDBInstance, MasterUserPassword). The backslash is left out as well, so the
# password needs no escaping in a libpq connection string.
EXCLUDED_CHARACTERS = "/'\"@ \\"
PASSWORD_LENGTH = 32
# While RDS applies a new master password the instance shows this state, or the password under
# PendingModifiedValues (API_DBInstance, DBInstanceStatus; API_PendingModifiedValues).
APPLYING_STATE = "resetting-master-credentials"
# Seconds between two looks at the instance while the password is applied, and what is left of the
# function's time when it stops looking and fails the step for Secrets Manager to retry.
POLL_SECONDS = 10
MARGIN_SECONDS = 15
# The token of a rotation that the other region's writer started so that this region copies its new
# password (RotateSecret ClientRequestToken: 32 to 64 characters). A region that holds a writer
# itself refuses such a rotation: two writers would otherwise start each other's rotations without
# end, each setting a new password on its own instance.
COPY_TOKEN_PREFIX = "copy-from-writer-"


class NotApplied(Exception):
    """RDS has not applied the new password yet; Secrets Manager retries the rotation."""


def _secrets(region=None):
    return boto3.client("secretsmanager", region_name=region) if region else boto3.client("secretsmanager")


def _value(secrets, secret_id, **version):
    return json.loads(secrets.get_secret_value(SecretId=secret_id, **version)["SecretString"])


def holds_writer():
    """Whether this region's instance is its writer: the parameter names one and RDS says it is standalone."""
    parameter = boto3.client("ssm").get_parameter(Name=os.environ["WRITER_PARAMETER"])["Parameter"]["Value"]
    if parameter == NO_WRITER:
        return False
    instance_id = os.environ["DB_INSTANCE_ID"]
    instance = boto3.client("rds").describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    source = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if source:
        # Never guess: a replica cannot take a password, and the parameter should not name it.
        raise RuntimeError(f"{os.environ['WRITER_PARAMETER']} names a writer ({parameter}) but {instance_id} is a replica of {source}; fix the parameter first")
    return True


def create_secret(secrets, arn, token, writer):
    """A pending version: a new password in the writer's region, the other region's login elsewhere."""
    try:
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        return "exists"
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    value = _value(secrets, arn, VersionStage="AWSCURRENT")
    if writer:
        value["password"] = secrets.get_random_password(PasswordLength=PASSWORD_LENGTH, ExcludeCharacters=EXCLUDED_CHARACTERS)["RandomPassword"]
        origin = "generated"
    else:
        peer = _value(_secrets(os.environ["PEER_REGION"]), os.environ["PEER_SECRET_ID"], VersionStage="AWSCURRENT")
        value["username"], value["password"] = peer["username"], peer["password"]
        origin = f"copied from {os.environ['PEER_REGION']}"
    secrets.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(value), VersionStages=["AWSPENDING"])
    return origin


def set_secret(secrets, arn, token, writer):
    """In the writer's region, the pending password becomes the instance's master password."""
    if not writer:
        return "not the writer: nothing to set"
    pending = _value(secrets, arn, VersionId=token, VersionStage="AWSPENDING")
    boto3.client("rds").modify_db_instance(DBInstanceIdentifier=os.environ["DB_INSTANCE_ID"], MasterUserPassword=pending["password"], ApplyImmediately=True)
    return "set"


def _applying(instance):
    return instance["DBInstanceStatus"] == APPLYING_STATE or "MasterUserPassword" in instance.get("PendingModifiedValues", {})


def test_secret(writer, context):
    """In the writer's region, waits until RDS has applied the password (no login: the function has no network path to the database)."""
    if not writer:
        return "not the writer: nothing to wait for"
    rds = boto3.client("rds")
    instance_id = os.environ["DB_INSTANCE_ID"]
    while True:
        instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
        if not _applying(instance):
            return "applied"
        if context.get_remaining_time_in_millis() / 1000 < POLL_SECONDS + MARGIN_SECONDS:
            raise NotApplied(f"{instance_id} is {instance['DBInstanceStatus']} with {sorted(instance.get('PendingModifiedValues', {}))} pending")
        time.sleep(POLL_SECONDS)


def finish_secret(secrets, arn, token, writer):
    """The pending version becomes current; from the writer's region, the other region's secret then copies it."""
    versions = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next((version for version, stages in versions.items() if "AWSCURRENT" in stages), None)
    if current != token:
        secrets.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
    if not writer:
        return {"finished": True}
    peer_region, peer_secret = os.environ["PEER_REGION"], os.environ["PEER_SECRET_ID"]
    try:
        # The other region's rotation reads this secret's current version; RotateSecret returns once it has started.
        _secrets(peer_region).rotate_secret(SecretId=peer_secret, ClientRequestToken=f"{COPY_TOKEN_PREFIX}{uuid.uuid4()}")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            # Not created yet (the first deploy of this region comes before the other's): its own
            # rotation schedule rotates it once when it is created, which copies the password from here.
            return {"finished": True, "peer": f"{peer_region}/{peer_secret} does not exist yet"}
        # The password is current here; the step fails so the rotation shows as failed until the
        # other region has it too. Secrets Manager retries, and each retry only asks again.
        raise RuntimeError(
            f"the new password is current in this region, but {peer_region}/{peer_secret} was not told to copy it ({error}); "
            f"once {peer_region} answers: aws secretsmanager rotate-secret --secret-id {peer_secret} --region {peer_region}"
        ) from error
    return {"finished": True, "peer": f"{peer_region}/{peer_secret} rotating"}


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    secrets = _secrets()
    metadata = secrets.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"{arn} does not have rotation enabled")
    stages = metadata.get("VersionIdsToStages", {}).get(token)
    if stages is None:
        raise ValueError(f"{arn} has no version {token}")
    if "AWSCURRENT" in stages and step != "finishSecret":
        return {"step": step, "result": "already current"}
    if "AWSCURRENT" not in stages and "AWSPENDING" not in stages:
        raise ValueError(f"version {token} of {arn} is neither pending nor current")
    writer = holds_writer()
    if writer and token.startswith(COPY_TOKEN_PREFIX):
        raise RuntimeError(
            f"the other region's writer asked {arn} to copy its new password, but this region holds a writer too: "
            "two writers; fence the one that must stop (docs/disaster-recovery.md, the fence) before rotating either"
        )
    if step == "createSecret":
        result = create_secret(secrets, arn, token, writer)
    elif step == "setSecret":
        result = set_secret(secrets, arn, token, writer)
    elif step == "testSecret":
        result = test_secret(writer, context)
    elif step == "finishSecret":
        result = finish_secret(secrets, arn, token, writer)
    else:
        raise ValueError(f"unknown step {step}")
    print(json.dumps({"step": step, "writer": writer, "result": result}))
    return {"step": step, "writer": writer, "result": result}
