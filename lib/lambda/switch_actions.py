"""The custom actions of the Region switch plan (lib/constructs/region-switch.ts).

One Lambda function per action and region, each configured by its environment (the
plan passes no per-step input we rely on), each safe to run again: ARC Region switch
reruns a custom-action Lambda "if it does not succeed within" the step's retry interval
(https://docs.aws.amazon.com/r53recovery/latest/dg/custom-action-lambda-block.html),
so an action that is not finished yet raises, and a rerun after success changes nothing.

- fence_handler: writes "none" into this region's writer parameter.
- publish_writer_handler: once the local instance is a standalone, available writer,
  points this region's writer parameter and secret `host` at it.
- backup_handler: starts one on-demand AWS Backup job of the promoted instance.

Only boto3, which the Lambda Python runtime includes.
"""

import datetime
import json
import os

import boto3

# lib/constructs/writer-endpoint.ts NO_WRITER: the instances serve read-only and fail /health/writer.
NO_WRITER = "none"
# AWS Backup job states in which a job already covers this switch (API_BackupJob: State).
LIVE_OR_DONE_STATES = ("CREATED", "PENDING", "RUNNING", "COMPLETED")


class NotReady(Exception):
    """Raised while the switch cannot proceed yet; Region switch runs the function again after the retry interval."""


def _write_parameter(ssm, name, value):
    """Writes the parameter only when it differs, so a rerun is a read and nothing else."""
    current = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    if current == value:
        return False
    ssm.put_parameter(Name=name, Value=value, Overwrite=True)
    return True


def fence_handler(event, context):
    """Fences the region being deactivated: its instances stop taking writes within their 30 s cache."""
    ssm = boto3.client("ssm")
    changed = _write_parameter(ssm, os.environ["WRITER_PARAMETER"], NO_WRITER)
    return {"action": "fence", "writer": NO_WRITER, "changed": changed}


def publish_writer_handler(event, context):
    """Publishes the promoted local instance as this region's writer, in the parameter and the secret's host."""
    region = os.environ["AWS_REGION"]
    instance_id = os.environ["DB_INSTANCE_ID"]
    rds = boto3.client("rds")
    instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    # A replica names its source; a promoted instance no longer does (API_DBInstance:
    # "ReadReplicaSourceDBInstanceIdentifier ... Contains the identifier of the source DB instance
    # if this DB instance is a read replica").
    if instance.get("ReadReplicaSourceDBInstanceIdentifier"):
        raise NotReady(f"{instance_id} is still a read replica of {instance['ReadReplicaSourceDBInstanceIdentifier']}")
    if instance["DBInstanceStatus"] != "available":
        raise NotReady(f"{instance_id} is {instance['DBInstanceStatus']}, not available")
    address = instance["Endpoint"]["Address"]

    parameter_changed = _write_parameter(boto3.client("ssm"), os.environ["WRITER_PARAMETER"], address)

    secrets = boto3.client("secretsmanager")
    secret_id = os.environ["SECRET_ID"]
    # A replica secret is read-only until it is promoted; StopReplicationToReplica is called in the
    # replica's region and needs nothing from the primary's (API_StopReplicationToReplica: "You must
    # call this operation from the Region in which you want to promote the replica to a primary secret").
    primary_region = secrets.describe_secret(SecretId=secret_id).get("PrimaryRegion")
    replication_stopped = False
    if primary_region and primary_region != region:
        secrets.stop_replication_to_replica(SecretId=secret_id)
        replication_stopped = True
    value = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    secret_changed = False
    if value.get("host") != address:
        value["host"] = address
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))
        secret_changed = True
    return {
        "action": "publish-writer",
        "writer": address,
        "parameterChanged": parameter_changed,
        "replicationStopped": replication_stopped,
        "secretChanged": secret_changed,
    }


def backup_handler(event, context):
    """Starts an on-demand backup of the promoted instance into this region's vault, once per window."""
    backup = boto3.client("backup")
    vault = os.environ["BACKUP_VAULT"]
    instance_arn = os.environ["DB_INSTANCE_ARN"]
    window_hours = int(os.environ["BACKUP_WINDOW_HOURS"])
    now = datetime.datetime.now(datetime.timezone.utc)
    since = now - datetime.timedelta(hours=window_hours)
    jobs = backup.list_backup_jobs(ByResourceArn=instance_arn, ByBackupVaultName=vault, ByCreatedAfter=since)["BackupJobs"]
    existing = [job for job in jobs if job["State"] in LIVE_OR_DONE_STATES]
    if existing:
        return {"action": "backup", "backupJobId": existing[0]["BackupJobId"], "started": False}
    started = backup.start_backup_job(
        BackupVaultName=vault,
        ResourceArn=instance_arn,
        IamRoleArn=os.environ["BACKUP_ROLE_ARN"],
        # A retry of the same call within the hour starts nothing more (API_StartBackupJob: "Retrying a
        # successful request with the same idempotency token results in a success message with no action taken").
        IdempotencyToken=f"region-switch-{now:%Y%m%d%H}",
    )
    return {"action": "backup", "backupJobId": started["BackupJobId"], "started": True}
