"""A stand-in for boto3 in the Lambda handlers' tests (test/*-handler.test.ts): every call is recorded, and
answered from (and applied to) the JSON state in $FAKE_BOTO3_STATE, so a second run sees
what the first one did."""

import json
import os

STATE_FILE = os.environ["FAKE_BOTO3_STATE"]


def _load():
    with open(STATE_FILE) as f:
        return json.load(f)


def _save(state):
    with open(STATE_FILE, "w") as f:
        json.dump(state, f, default=str)


class _Client:
    def __init__(self, service):
        self.service = service

    def __getattr__(self, operation):
        def call(**kwargs):
            state = _load()
            state["calls"].append({"service": self.service, "operation": operation, "args": json.loads(json.dumps(kwargs, default=str))})
            try:
                return getattr(self, f"_{operation}")(state, **kwargs)
            finally:
                # A call that raises is recorded too.
                _save(state)

        return call

    # SSM
    def _get_parameter(self, state, Name):
        return {"Parameter": {"Name": Name, "Value": state["parameters"][Name]}}

    def _put_parameter(self, state, Name, Value, Overwrite):
        state["parameters"][Name] = Value
        return {"Version": 2}

    # RDS
    def _describe_db_instances(self, state, DBInstanceIdentifier):
        return {"DBInstances": [state["instances"][DBInstanceIdentifier]]}

    # Secrets Manager
    def _describe_secret(self, state, SecretId):
        secret = state["secrets"][SecretId]
        return {"Name": SecretId, **({"PrimaryRegion": secret["PrimaryRegion"]} if "PrimaryRegion" in secret else {})}

    def _stop_replication_to_replica(self, state, SecretId):
        state["secrets"][SecretId]["PrimaryRegion"] = os.environ["AWS_REGION"]
        return {"ARN": SecretId}

    def _get_secret_value(self, state, SecretId):
        return {"SecretString": state["secrets"][SecretId]["SecretString"]}

    def _put_secret_value(self, state, SecretId, SecretString):
        if state["secrets"][SecretId].get("PrimaryRegion", os.environ["AWS_REGION"]) != os.environ["AWS_REGION"]:
            raise RuntimeError("InvalidRequestException: a replica secret is read-only")
        state["secrets"][SecretId]["SecretString"] = SecretString
        return {"VersionId": "v2"}

    # AWS Backup
    def _list_backup_jobs(self, state, ByResourceArn, ByBackupVaultName, ByCreatedAfter):
        return {"BackupJobs": [j for j in state["backupJobs"] if j["ResourceArn"] == ByResourceArn and j["BackupVaultName"] == ByBackupVaultName]}

    def _start_backup_job(self, state, BackupVaultName, ResourceArn, IamRoleArn, IdempotencyToken):
        job = {"BackupJobId": f"job-{len(state['backupJobs']) + 1}", "ResourceArn": ResourceArn, "BackupVaultName": BackupVaultName, "State": "CREATED"}
        state["backupJobs"].append(job)
        return {"BackupJobId": job["BackupJobId"]}


    # ARC Region switch: the plan's health checks in state["planHealthChecks"], state["pageSize"] to a page
    def _list_route53_health_checks(self, state, arn, hostedZoneId=None, recordName=None, nextToken=None):
        failing = state.get("failFirstCalls")
        if failing and len(state["calls"]) <= failing["count"]:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": failing["code"], "Message": "as told"}}, "ListRoute53HealthChecks")
        listed = state["planHealthChecks"].get(arn, [])
        start = int(nextToken or 0)
        size = state.get("pageSize", 100)
        page = {"healthChecks": listed[start : start + size]}
        if start + size < len(listed):
            page["nextToken"] = str(start + size)
        if state.get("appearAfterCalls") and len(state["calls"]) < state["appearAfterCalls"]:
            page = {"healthChecks": []}
        return page


def client(service, **kwargs):
    if service in _load().get("unknownServices", []):
        from botocore.exceptions import UnknownServiceError

        raise UnknownServiceError(f"Unknown service: '{service}'")
    return _Client(service)
