"""The custom actions of the Region switch plan (lib/constructs/region-switch.ts).

One Lambda function per action and region, each configured by its environment, each safe to
run again: ARC Region switch reruns a custom-action Lambda "if it does not succeed within" the
step's retry interval (https://docs.aws.amazon.com/r53recovery/latest/dg/custom-action-lambda-block.html),
so an action that is not finished yet raises, and a rerun after success changes nothing.

- fence_handler: this region stops taking writes, at the database itself: "none" in its writer
  parameter, then every standalone instance this region has had gets `default_transaction_read_only`
  in its parameter group and the fenced, ingress-less security group instead of its own.
- await_replication_handler: before the promotion in a graceful switch, waits until the local
  replica has received everything the fenced writer wrote.
- publish_writer_handler: once the local instance is a standalone, writable instance, points this
  region's writer parameter and secret `host` at it.
- backup_handler: starts one on-demand AWS Backup job of the promoted instance.

Only boto3, which the Lambda Python runtime includes.
"""

import datetime
import json
import os

import boto3
from botocore.exceptions import ClientError

# lib/constructs/writer-endpoint.ts NO_WRITER: the instances serve read-only and fail /health/writer.
NO_WRITER = "none"
# AWS Backup job states in which a job already covers this switch (API_BackupJob: State).
LIVE_OR_DONE_STATES = ("CREATED", "PENDING", "RUNNING", "COMPLETED")
# The fence at the database: every new transaction is read-only unless a session asks otherwise. It
# is dynamic, so RDS applies it without a reboot and every session reads it at the next reload
# (PostgreSQL documentation, "default_transaction_read_only"; RDS: "dynamic parameters ... applied
# immediately").
READ_ONLY_PARAMETER = "default_transaction_read_only"
# DB instance states in which a promoted instance already takes writes: everything RDS does while
# the instance stays up (API_DBInstance DBInstanceStatus; "Viewing Amazon RDS DB instance status").
# Right after PromoteReadReplica the instance usually shows backing-up, modifying or
# configuring-enhanced-monitoring for a while, and waiting for "available" could outlast the step.
WRITABLE_STATES = (
    "available",
    "backing-up",
    "modifying",
    "configuring-enhanced-monitoring",
    "configuring-iam-database-auth",
    "configuring-log-exports",
    "resetting-master-credentials",
    "storage-optimization",
    "storage-config-upgrade",
)


class NotReady(Exception):
    """Raised while the switch cannot proceed yet; Region switch runs the function again after the retry interval."""


def _write_parameter(ssm, name, value):
    """Writes the parameter only when it differs, so a rerun is a read and nothing else."""
    current = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    if current == value:
        return False
    ssm.put_parameter(Name=name, Value=value, Overwrite=True)
    return True


def _describe(rds, instance_id):
    """The instance, or None where it does not exist (a previous generation already deleted)."""
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    except ClientError as error:
        if error.response["Error"]["Code"] == "DBInstanceNotFound":
            return None
        raise


def _parameter_value(rds, group, name):
    """The value the group sets for `name`, or None where it leaves the engine default."""
    for page in rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, Source="user"):
        for parameter in page["Parameters"]:
            if parameter["ParameterName"] == name:
                return parameter.get("ParameterValue")
    return None


def _fence_instance(rds, instance, security_group_id, group_prefix):
    """Fences one standalone instance; returns what it changed and whether the fence is in force yet."""
    instance_id = instance["DBInstanceIdentifier"]
    changed = []
    group = instance["DBParameterGroups"][0]
    group_name = group["DBParameterGroupName"]
    # The role may change only this stack's parameter groups; say so plainly rather than fail on AccessDenied.
    if not group_name.startswith(group_prefix):
        raise RuntimeError(f"{instance_id} uses parameter group {group_name}, not one of this stack's ({group_prefix}*): fence it by hand (docs/disaster-recovery.md)")
    if _parameter_value(rds, group_name, READ_ONLY_PARAMETER) != "1":
        rds.modify_db_parameter_group(
            DBParameterGroupName=group_name,
            Parameters=[{"ParameterName": READ_ONLY_PARAMETER, "ParameterValue": "1", "ApplyMethod": "immediate"}],
        )
        changed.append("read-only")
    groups = [g["VpcSecurityGroupId"] for g in instance["VpcSecurityGroups"] if g["Status"] in ("active", "adding")]
    if groups != [security_group_id]:
        # Security groups apply without a reboot even with ApplyImmediately; no connection opened
        # after this reaches the instance, from the app tier or anywhere else.
        rds.modify_db_instance(DBInstanceIdentifier=instance_id, VpcSecurityGroupIds=[security_group_id], ApplyImmediately=True)
        changed.append("security-group")
    in_force = (
        not changed
        and group.get("ParameterApplyStatus") == "in-sync"
        and [(g["VpcSecurityGroupId"], g["Status"]) for g in instance["VpcSecurityGroups"]] == [(security_group_id, "active")]
    )
    return changed, in_force


def fence_handler(event, context):
    """Fences this region: its writer parameter names no writer, and none of its standalone instances takes writes.

    Runs in the region being deactivated (graceful activation), in the inactive region after an
    ungraceful one (the post-recovery workflow), or by hand. A read replica is left alone: it takes
    no writes, and it is the region's read-only service.
    """
    parameter_changed = _write_parameter(boto3.client("ssm"), os.environ["WRITER_PARAMETER"], NO_WRITER)
    rds = boto3.client("rds")
    fenced, pending = {}, []
    for instance_id in os.environ["DB_INSTANCE_IDS"].split(","):
        instance = _describe(rds, instance_id)
        if instance is None or instance.get("ReadReplicaSourceDBInstanceIdentifier"):
            continue
        changed, in_force = _fence_instance(rds, instance, os.environ["FENCED_SECURITY_GROUP_ID"], os.environ["PARAMETER_GROUP_PREFIX"])
        fenced[instance_id] = changed
        if not in_force:
            pending.append(instance_id)
    if pending:
        # The next run (after the retry interval) confirms what this one asked for.
        raise NotReady(f"fence requested, not yet in force on {', '.join(pending)}: {json.dumps(fenced)}")
    return {"action": "fence", "writer": NO_WRITER, "parameterChanged": parameter_changed, "fenced": sorted(fenced)}


def _step_end(arc, plan_arn, execution_id, step_name):
    """When `step_name` of this execution completed, or None while it has not."""
    pages = {"planArn": plan_arn, "executionId": execution_id}
    while True:
        execution = arc.get_plan_execution(**pages)
        for step in execution.get("stepStates", []):
            if step.get("name") == step_name and step.get("status") == "completed" and step.get("endTime"):
                return step["endTime"]
        if not execution.get("nextToken"):
            return None
        pages["nextToken"] = execution["nextToken"]


def _source_of(instance):
    """(region, identifier) of a replica's source: a cross-region replica names it by ARN (API_DBInstance)."""
    source = instance["ReadReplicaSourceDBInstanceIdentifier"]
    if source.startswith("arn:"):
        parts = source.split(":")
        return parts[3], parts[6]
    return os.environ["AWS_REGION"], source


def await_replication_handler(event, context):
    """Succeeds once the local replica has received everything the fenced writer wrote.

    The measure is the source's `OldestReplicationSlotLag`: "Each read replica has its own physical
    slot on the source DB instance" (RDS User Guide, "How streaming replication works for different
    RDS for PostgreSQL versions"), and the metric is the WAL the most lagging replica has not yet
    received. The fence stops every write before the step that runs this ends, and SETTLE_SECONDS more
    cover the instances' cache of the writer parameter; so a whole minute after that in which the lag
    reached 0 proves the replica holds every acknowledged write, and promotion replays all WAL it holds.
    The replica's own `ReplicaLag` cannot tell: on an idle source it "reports a replication lag of up to
    five minutes" (RDS User Guide, PostgreSQL read replicas), and a fenced source is idle.

    Graceful mode only (the plan skips it ungraceful): it reads the source region's CloudWatch, which
    answers when the switch is planned.
    """
    instance_id = os.environ["DB_INSTANCE_ID"]
    instance = _describe(boto3.client("rds"), instance_id)
    if instance is None:
        raise RuntimeError(f"{instance_id} does not exist in this region")
    if not instance.get("ReadReplicaSourceDBInstanceIdentifier"):
        return {"action": "await-replication", "caughtUp": True, "reason": f"{instance_id} is not a replica: nothing to wait for"}
    source_region, source_id = _source_of(instance)
    fence_end = _step_end(boto3.client("arc-region-switch"), event["PlanArn"], event["ExecutionId"], os.environ["FENCE_STEP"])
    if fence_end is None:
        raise RuntimeError(f"step {os.environ['FENCE_STEP']} of execution {event['ExecutionId']} has not completed: this step waits for what the fence froze")
    since = fence_end + datetime.timedelta(seconds=int(os.environ["SETTLE_SECONDS"]))
    datapoints = boto3.client("cloudwatch", region_name=source_region).get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="OldestReplicationSlotLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": source_id}],
        StartTime=since,
        EndTime=datetime.datetime.now(datetime.timezone.utc),
        Period=60,
        Statistics=["Minimum"],
    )["Datapoints"]
    # CloudWatch may round the start down to the minute: only minutes that began after `since` count.
    after = sorted((p for p in datapoints if p["Timestamp"] >= since), key=lambda p: p["Timestamp"])
    caught_up = [p for p in after if p["Minimum"] == 0]
    if len(caught_up) < int(os.environ["SAMPLES"]):
        raise NotReady(f"{source_region}/{source_id} OldestReplicationSlotLag since {since.isoformat()}: {[p['Minimum'] for p in after]}; waiting for a minute at 0")
    return {"action": "await-replication", "caughtUp": True, "source": f"{source_region}/{source_id}", "since": since.isoformat(), "caughtUpAt": caught_up[0]["Timestamp"].isoformat()}


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
    if instance["DBInstanceStatus"] not in WRITABLE_STATES:
        raise NotReady(f"{instance_id} is {instance['DBInstanceStatus']}, not yet taking writes")
    address = instance["Endpoint"]["Address"]

    parameter_changed = _write_parameter(boto3.client("ssm"), os.environ["WRITER_PARAMETER"], address)

    # This region's own secret (lib/constructs/credentials-rotation.ts keeps its login equal to the
    # other region's); its host is informational: the app connects to the host the parameter names.
    secrets = boto3.client("secretsmanager")
    secret_id = os.environ["SECRET_ID"]
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
    # Reruns of one attempt share a token, so a retry within the hour starts nothing more (API_StartBackupJob:
    # "Retrying a successful request with the same idempotency token results in a success message with no
    # action taken"); each failed job in the window makes the next attempt a new one, or it would start nothing.
    failed = len(jobs) - len(existing)
    started = backup.start_backup_job(
        BackupVaultName=vault,
        ResourceArn=instance_arn,
        IamRoleArn=os.environ["BACKUP_ROLE_ARN"],
        IdempotencyToken=f"region-switch-{now:%Y%m%d%H}-{failed}",
    )
    return {"action": "backup", "backupJobId": started["BackupJobId"], "started": True}
