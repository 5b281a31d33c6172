"""Runs the handlers of lib/lambda/switch_actions.py against AWS as moto serves it, for
test/switch-actions-handler.test.ts: `python3 test/support/moto_switch_actions.py <scenario>`.

Each case of a scenario builds its AWS state inside a fresh `mock_aws()` with moto's own API (so
botocore validates every call the handler makes against the service model), runs one handler or
several times, and the scenario prints one JSON object: per case, each run's outcome
({"result": ...} | {"notReady": msg} | {"error": "Type: msg"}), the calls that run made
(service:Operation and parameters) and the state the test asserts on afterwards.

What moto 5.2.1 does not implement answers from botocore's Stubber (which validates the parameters
against the same model, and the canned response against the output shape):
- AWS Backup ListBackupJobs and StartBackupJob ("Not yet implemented"): ListBackupJobs answers the case's
  jobs that its filters select, as AWS Backup would;
- arc-region-switch GetPlanExecution (no moto backend);
- RDS DescribeDBInstances where an instance must show a state moto never shows (it keeps every
  instance "available" and applies every change at once: no "applying" parameter group, no "adding"
  security group): moto's own description of the instance, with that state;
- a write that AWS refuses (AccessDenied): moto lets every call through.
Any request that neither moto nor a stub answers fails instead of reaching the network.
"""

import contextlib
import datetime
import json
import os
import sys
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib", "lambda"))

import moto_env  # noqa: E402,F401  (first: moto's environment and one model loader)

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from botocore.stub import Stubber  # noqa: E402
from moto import mock_aws  # noqa: E402

import switch_actions  # noqa: E402


moto_env.forbid_network("moto or a stub")

# One session for every case: it loads each service model once.
SESSION = boto3.session.Session()
# moto serves a client made before a case from that case's state: these are shared by every case.
ADMIN_CLIENTS = {}
ACCOUNT = "123456789012"  # moto's default account
PRIMARY, STANDBY = "us-east-1", "eu-west-1"
PLAN_ARN = f"arn:aws:arc-region-switch::{ACCOUNT}:plan/prod-dns-global-switch:abc123"
EXECUTION_ID = "execution-1"
FENCE_STEP = "fence-deactivating-region"
BACKUP_VAULT = f"prod-data-{STANDBY}-vault"
BACKUP_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/prod-data-{STANDBY}-backup"


def secret_name(region):
    return f"prod-data-{region}-credentials"


def instance_id(region, generation=0):
    return f"prod-data-{region}" + (f"-g{generation}" if generation else "")


def writer_parameter(region):
    return f"prod-data-{region}-writer-endpoint"


def _jsonable(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class World:
    """One case: AWS state moto holds, the clients the handler gets, and the calls it makes with them."""

    def __init__(self, region):
        self.region = region
        self.session = SESSION
        self.calls = []
        self.clients = []
        self.stubbers = []
        # service -> a factory of the handler's client where moto alone cannot serve it
        self.replacements = {}

    def admin(self, service, region=None):
        """A client for building and reading the state: its calls are not the handler's."""
        key = (service, region or self.region)
        if key not in ADMIN_CLIENTS:
            ADMIN_CLIENTS[key] = self.session.client(service, region_name=key[1])
        return ADMIN_CLIENTS[key]

    def _client(self, service, region=None):
        return self.session.client(service, region_name=region or self.region)

    def _recorded(self, service, client, stubbed=False):
        region = client.meta.region_name
        label = service if region == self.region else f"{service}@{region}"

        def record(params, model, **_):
            self.calls.append({"call": f"{label}:{model.name}", "params": params, **({"stubbed": True} if stubbed else {})})

        client.meta.events.register("provide-client-params.*.*", record)
        return client

    def served(self, service, region=None):
        """A client moto serves, whose calls are recorded."""
        return self._recorded(service, self._client(service, region))

    def stubbed(self, service, responses, optional=False):
        """A client that answers `responses` and nothing else: [(operation, response or ClientError[, expected
        parameters])], in order. Unless `optional`, the run reports the responses it left unused."""
        client = self._recorded(service, self._client(service), stubbed=True)
        stubber = Stubber(client)
        for operation, response, *expected in responses:
            if isinstance(response, ClientError):
                error = response.response
                stubber.add_client_error(operation, error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"], expected_params=expected[0] if expected else None)
            else:
                stubber.add_response(operation, response, expected[0] if expected else None)
        stubber.activate()
        if not optional:
            self.stubbers.append((service, stubber))
        return client

    def client(self, service, region_name=None):
        """Stands in for boto3.client in switch_actions: a call in another region than the Lambda's is labelled service@region."""
        self.clients.append(service if region_name in (None, self.region) else f"{service}@{region_name}")
        replacement = self.replacements.get(service)
        if replacement:
            assert region_name in (None, self.region), f"no stub for {service} in {region_name}"
            return replacement()
        return self.served(service, region_name)

    def run(self, handler, event=None):
        first = len(self.calls)
        with mock.patch.object(switch_actions.boto3, "client", self.client):
            try:
                outcome = {"result": handler(event or {}, None)}
            except switch_actions.NotReady as error:
                outcome = {"notReady": str(error)}
            except Exception as error:  # the test asserts which error, and a mistake in the runner shows here too
                outcome = {"error": f"{type(error).__name__}: {error}"}
        outcome["calls"] = json.loads(json.dumps(self.calls[first:], default=_jsonable))
        unused = []
        for service, stubber in self.stubbers:
            try:
                stubber.assert_no_pending_responses()
            except AssertionError as error:
                unused.append(f"{service}: {error}")
        if unused:
            outcome["unusedStubs"] = unused
        return outcome


class PartlyStubbed:
    """A client moto serves, except the operations in `effects`: a Stubber answers those, then their effect is applied to moto's state."""

    def __init__(self, served, stubbed, effects):
        self._served, self._stubbed, self._effects = served, stubbed, effects

    def __getattr__(self, name):
        if name not in self._effects:
            return getattr(self._served, name)

        def call(**params):
            response = getattr(self._stubbed, name)(**params)
            self._effects[name](**params)
            return response

        return call


@contextlib.contextmanager
def case(region, env):
    with mock_aws(), mock.patch.dict(os.environ, {"AWS_REGION": region, "AWS_DEFAULT_REGION": region, **env}):
        yield World(region)


# --- state -------------------------------------------------------------------------------------


def network(world, region, *names):
    """A VPC with two subnets (a DB subnet group) and the named security groups: name -> id."""
    ec2 = world.admin("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]
    world.admin("rds", region).create_db_subnet_group(DBSubnetGroupName=f"prod-data-{region}-subnets", DBSubnetGroupDescription="database subnets", SubnetIds=subnets)
    return {name: ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"] for name in names}


def parameter_group(world, region, name):
    world.admin("rds", region).create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily="postgres16", Description="database support parameters")
    return name


def _placed(region, security_group, subnets=True):
    """Where an instance runs, given the region's network (fence cases only: no other handler looks at it)."""
    if not security_group:
        return {}
    return {"VpcSecurityGroupIds": [security_group], **({"DBSubnetGroupName": f"prod-data-{region}-subnets"} if subnets else {})}


def standalone(world, region, identifier, security_group=None, group=None):
    return world.admin("rds", region).create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.4",
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        DBParameterGroupName=group or parameter_group(world, region, f"prod-data-{region}-databasesupportparameters-abc"),
        **_placed(region, security_group),
    )["DBInstance"]


def replica(world, region, identifier, source_arn, security_group=None, group=None):
    return world.admin("rds", region).create_db_instance_read_replica(
        DBInstanceIdentifier=identifier,
        SourceDBInstanceIdentifier=source_arn,
        DBInstanceClass="db.t4g.micro",
        DBParameterGroupName=group or parameter_group(world, region, f"prod-data-{region}-databasesupportparameters-def"),
        # No DBSubnetGroupName: moto 5.2.1 looks a cross-region replica's subnet group up in the source's region.
        **_placed(region, security_group, subnets=False),
    )["DBInstance"]


def credentials(world, region, value):
    """`region`'s own credentials secret, encrypted with that region's key (lib/constructs/read-replica.ts,
    primary-database.ts): its ARN."""
    key = world.admin("kms", region).create_key(Description=f"prod-data-{region}")["KeyMetadata"]["Arn"]
    world.admin("secretsmanager", region).create_secret(Name=secret_name(region), KmsKeyId=key, SecretString=json.dumps(value))
    return key


def secret_state(world, region):
    secrets = world.admin("secretsmanager", region)
    return {
        "KmsKeyId": secrets.describe_secret(SecretId=secret_name(region)).get("KmsKeyId"),
        "value": json.loads(secrets.get_secret_value(SecretId=secret_name(region), VersionStage="AWSCURRENT")["SecretString"]),
    }


# --- fence -------------------------------------------------------------------------------------

FENCE_REGION = PRIMARY  # the region being deactivated
GROUP_PREFIX = f"prod-data-{FENCE_REGION}-"
# Generation 0 is gone; g1 is the stale standalone writer; g2 replicates the other region's writer.
GONE, WRITER, REPLICA = (instance_id(FENCE_REGION, g) for g in range(3))


def fence_world(world, writer_group):
    groups = network(world, FENCE_REGION, "database", "fenced")
    address = standalone(world, FENCE_REGION, WRITER, groups["database"], parameter_group(world, FENCE_REGION, writer_group))["Endpoint"]["Address"]
    source = standalone(world, STANDBY, instance_id(STANDBY))
    replica(world, FENCE_REGION, REPLICA, source["DBInstanceArn"], groups["database"])
    world.admin("ssm").put_parameter(Name=writer_parameter(FENCE_REGION), Value=address, Type="String")
    return groups


def fence_state(world, groups):
    names = {group_id: name for name, group_id in groups.items()}
    rds = world.admin("rds")
    instances = {}
    for identifier in (WRITER, REPLICA):
        instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        group = instance["DBParameterGroups"][0]["DBParameterGroupName"]
        instances[identifier] = {
            "securityGroups": [f"{names[g['VpcSecurityGroupId']]} ({g['Status']})" for g in instance["VpcSecurityGroups"]],
            "parameterGroup": group,
            "userParameters": rds.describe_db_parameters(DBParameterGroupName=group, Source="user")["Parameters"],
        }
    return {"writerParameter": world.admin("ssm").get_parameter(Name=writer_parameter(FENCE_REGION))["Parameter"]["Value"], "instances": instances}


def in_progress_run(world, parameter_group_status, security_groups):
    """A fence run while RDS still applies what the last one asked: moto's answers to DescribeDBInstances, with
    the writer's parameter group and security groups as RDS shows them meanwhile (moto applies everything at once)."""
    rds = world.admin("rds")
    answers = []
    for identifier in (GONE, WRITER, REPLICA):
        try:
            described = rds.describe_db_instances(DBInstanceIdentifier=identifier)
        except rds.exceptions.DBInstanceNotFoundFault as error:
            answers.append(("describe_db_instances", error, {"DBInstanceIdentifier": identifier}))
            continue
        described.pop("ResponseMetadata")
        instance = described["DBInstances"][0]
        if identifier == WRITER:
            if parameter_group_status:
                instance["DBParameterGroups"][0].update(parameter_group_status)
            if security_groups:
                instance["VpcSecurityGroups"] = [{"VpcSecurityGroupId": group_id, "Status": status} for group_id, status in security_groups]
        answers.append(("describe_db_instances", described, {"DBInstanceIdentifier": identifier}))
    world.replacements["rds"] = lambda: PartlyStubbed(world.served("rds"), world.stubbed("rds", answers), {"describe_db_instances": lambda **_: None})
    try:
        return world.run(switch_actions.fence_handler)
    finally:
        del world.replacements["rds"]
        world.stubbers.clear()


def fence_env(groups):
    return {
        "WRITER_PARAMETER": writer_parameter(FENCE_REGION),
        "DB_INSTANCE_IDS": ",".join((GONE, WRITER, REPLICA)),
        "FENCED_SECURITY_GROUP_ID": groups["fenced"],
        "PARAMETER_GROUP_PREFIX": GROUP_PREFIX,
    }


def fence():
    out = {}
    with case(FENCE_REGION, {}) as world:
        groups = fence_world(world, f"{GROUP_PREFIX}databasesupportparameters-abc")
        out["before"] = fence_state(world, groups)
        with mock.patch.dict(os.environ, fence_env(groups)):
            out["runs"] = []
            for _ in range(3):
                run = world.run(switch_actions.fence_handler)
                run["state"] = fence_state(world, groups)
                out["runs"].append(run)
    out = {"threeRuns": out}
    with case(FENCE_REGION, {}) as world:
        groups = fence_world(world, f"{GROUP_PREFIX}databasesupportparameters-abc")
        with mock.patch.dict(os.environ, fence_env(groups)):
            out["stillApplying"] = {
                "requested": world.run(switch_actions.fence_handler),
                "parameterGroupApplying": in_progress_run(world, {"ParameterApplyStatus": "applying"}, None),
                "securityGroupsSwapping": in_progress_run(world, None, [(groups["fenced"], "adding"), (groups["database"], "removing")]),
                "applied": world.run(switch_actions.fence_handler),
            }
    with case(FENCE_REGION, {}) as world:
        groups = fence_world(world, "postgres16-made-by-hand")
        with mock.patch.dict(os.environ, fence_env(groups)):
            run = world.run(switch_actions.fence_handler)
        run["state"] = fence_state(world, groups)
        out["foreignParameterGroup"] = run
    return out


# --- await-replication -------------------------------------------------------------------------

AWAIT_REGION = STANDBY  # the region being activated, whose replica must have received everything
LOCAL = instance_id(AWAIT_REGION)
SOURCE = instance_id(PRIMARY)  # the fenced writer the local instance replicates
EVENT = {"PlanArn": PLAN_ARN, "ExecutionId": EXECUTION_ID}
# lib/constructs/switch-actions.ts REPLICATION_CATCH_UP
SAMPLES = 1
SETTLE_SECONDS = 30


def execution_page(steps, next_token=None):
    """A GetPlanExecution answer of the graceful activation of the standby."""
    page = {
        "planArn": PLAN_ARN,
        "executionId": EXECUTION_ID,
        "startTime": steps[0]["startTime"],
        "mode": "graceful",
        "executionState": "inProgress",
        "executionAction": "activate",
        "executionRegion": AWAIT_REGION,
        "stepStates": steps,
    }
    if next_token:
        page["nextToken"] = next_token
    return page


def step(name, status, start, end=None):
    return {"name": name, "status": status, "startTime": start, **({"endTime": end} if end else {}), "stepMode": "graceful"}


def slot_lag(world, region, identifier, minutes, fence_end):
    """OldestReplicationSlotLag (bytes) of `identifier` in `region`: {minute after the fence's end: [values in it]}."""
    world.admin("cloudwatch", region).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "OldestReplicationSlotLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": identifier}],
                "Timestamp": fence_end + datetime.timedelta(minutes=minute, seconds=10 * i),
                "Value": float(value),
                "Unit": "Bytes",
            }
            for minute, values in minutes.items()
            for i, value in enumerate(values)
        ],
    )


def await_case(source_lag, pages, local_is_replica=True, samples=SAMPLES):
    """`source_lag`: the source's OldestReplicationSlotLag per minute, by minutes after the fence step's end."""
    fence_end = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=10)
    env = {"DB_INSTANCE_ID": LOCAL, "FENCE_STEP": FENCE_STEP, "SETTLE_SECONDS": str(SETTLE_SECONDS), "SAMPLES": str(samples)}
    with case(AWAIT_REGION, env) as world:
        source = standalone(world, PRIMARY, SOURCE)
        if local_is_replica:
            replica(world, AWAIT_REGION, LOCAL, source["DBInstanceArn"])
        else:
            standalone(world, AWAIT_REGION, LOCAL)
        slot_lag(world, PRIMARY, SOURCE, source_lag, fence_end)
        # The same minutes at 0 elsewhere say nothing about this source: the replica's own metric, another
        # instance, the source's name in this region.
        everywhere_zero = {minute: [0] for minute in range(-3, 9)}
        slot_lag(world, PRIMARY, LOCAL, everywhere_zero, fence_end)
        slot_lag(world, PRIMARY, instance_id(PRIMARY, 1), everywhere_zero, fence_end)
        slot_lag(world, AWAIT_REGION, SOURCE, everywhere_zero, fence_end)
        plan_start = fence_end - datetime.timedelta(minutes=5)
        responses = [("get_plan_execution", page(plan_start, fence_end)) for page in pages]
        world.replacements["arc-region-switch"] = lambda: world.stubbed("arc-region-switch", responses)
        run = world.run(switch_actions.await_replication_handler, EVENT)
        run["fenceEnd"] = fence_end.isoformat()
        run["clients"] = world.clients
        return run


def await_replication():
    def approve(start):
        return step("approve", "completed", start, start + datetime.timedelta(minutes=1))

    def fence_completed(start, end):
        return execution_page([approve(start), step(FENCE_STEP, "completed", start + datetime.timedelta(minutes=1), end)])

    def approve_then_token(start, end):
        return execution_page([approve(start)], next_token="page-2")

    def fence_on_second_page(start, end):
        return execution_page([step(FENCE_STEP, "completed", start + datetime.timedelta(minutes=1), end), step("promote-database", "notStarted", end)])

    def fence_running(start, end):
        return execution_page([approve(start), step(FENCE_STEP, "running", start + datetime.timedelta(minutes=1))])

    def fence_failed(start, end):
        # A failed step has ended too; the operator may have chosen to go on with the execution.
        return execution_page([approve(start), step(FENCE_STEP, "failed", start + datetime.timedelta(minutes=1), end)])

    return {
        # Minute 2 after the fence reached 0 (its minimum); minute 0 began before the settle time ended.
        "caughtUp": await_case({-2: [0], 0: [0], 1: [65536], 2: [4096, 0], 3: [0]}, [approve_then_token, fence_on_second_page]),
        "notYet": await_case({1: [65536, 8192], 2: [2048]}, [fence_completed]),
        "noDatapoints": await_case({}, [fence_completed]),
        "zeroOnlyBeforeFence": await_case({-3: [0], -2: [0], -1: [0], 1: [512]}, [fence_completed]),
        "zeroOnlyInSettleTime": await_case({0: [0], 1: [512]}, [fence_completed]),
        "fewerZeroMinutesThanSamples": await_case({1: [0], 2: [512]}, [fence_completed], samples=2),
        "asManyZeroMinutesAsSamples": await_case({1: [0], 2: [512], 3: [0]}, [fence_completed], samples=2),
        "fenceRunning": await_case({1: [0]}, [fence_running]),
        "fenceFailed": await_case({1: [0]}, [fence_failed]),
        "notAReplica": await_case({1: [512]}, [], local_is_replica=False),
    }


# --- publish-writer ----------------------------------------------------------------------------

PUBLISH_REGION = STANDBY  # the region being activated


def refused(operation, code="AccessDeniedException"):
    """The error AWS answers `operation` with when the caller may not make it."""
    return ClientError({"Error": {"Code": code, "Message": f"not authorized to perform {operation}"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


def failing(world, service, operation, method):
    """`service` as moto serves it, but `method` fails as AWS refuses it; moto's state stays as it was."""
    world.replacements[service] = lambda: PartlyStubbed(world.served(service), world.stubbed(service, [(method, refused(operation))]), {method: lambda **_: None})


def publish_case(local_is_replica=False, status=None, runs=1, fail=None):
    """The standby after promotion (a standalone instance, or still the replica); `status`: what DescribeDBInstances shows;
    `fail`: (service, operation, method) that AWS refuses on the first run."""
    local = instance_id(PUBLISH_REGION)
    env = {"WRITER_PARAMETER": writer_parameter(PUBLISH_REGION), "DB_INSTANCE_ID": local, "SECRET_ID": secret_name(PUBLISH_REGION)}
    with case(PUBLISH_REGION, env) as world:
        source = standalone(world, PRIMARY, instance_id(PRIMARY))
        if local_is_replica:
            replica(world, PUBLISH_REGION, local, source["DBInstanceArn"])
        else:
            standalone(world, PUBLISH_REGION, local)
        # Each region's secret holds the one login (the rotation copies it); only the founding region's names a host.
        login = {"username": "app", "password": "not-a-real-password"}
        credentials(world, PRIMARY, {**login, "host": source["Endpoint"]["Address"]})
        key = credentials(world, PUBLISH_REGION, login)
        world.admin("ssm").put_parameter(Name=writer_parameter(PUBLISH_REGION), Value="none", Type="String")
        if status:
            described = world.admin("rds").describe_db_instances(DBInstanceIdentifier=local)
            described.pop("ResponseMetadata")
            described["DBInstances"][0]["DBInstanceStatus"] = status
            world.replacements["rds"] = lambda: world.stubbed("rds", [("describe_db_instances", described)])
        out = {"address": world.admin("rds").describe_db_instances(DBInstanceIdentifier=local)["DBInstances"][0]["Endpoint"]["Address"], "key": key, "runs": []}
        for attempt in range(runs):
            world.stubbers.clear()
            if fail and attempt == 0:
                failing(world, *fail)
            elif fail:
                world.replacements.pop(fail[0], None)
            run = world.run(switch_actions.publish_writer_handler)
            run["state"] = {
                "writerParameter": world.admin("ssm").get_parameter(Name=writer_parameter(PUBLISH_REGION))["Parameter"]["Value"],
                "secret": secret_state(world, PUBLISH_REGION),
                "otherSecret": secret_state(world, PRIMARY),
            }
            out["runs"].append(run)
        return out


def publish_writer():
    return {
        "stillReplica": publish_case(local_is_replica=True),
        "promoted": publish_case(runs=2),
        # A refused write fails the run (Region switch runs the step again), rather than report a writer nobody can read.
        "parameterRefused": publish_case(runs=2, fail=("ssm", "PutParameter", "put_parameter")),
        "secretRefused": publish_case(runs=2, fail=("secretsmanager", "PutSecretValue", "put_secret_value")),
        **{status: publish_case(status=status) for status in ("backing-up", "modifying", "configuring-enhanced-monitoring", "rebooting", "storage-full")},
    }


# --- backup ------------------------------------------------------------------------------------

BACKUP_REGION = STANDBY
DB_ARN = f"arn:aws:rds:{BACKUP_REGION}:{ACCOUNT}:db:{instance_id(BACKUP_REGION)}"


def job(job_id, state, hours_ago=1 / 3):
    return {
        "BackupJobId": job_id,
        "BackupVaultName": BACKUP_VAULT,
        "ResourceArn": DB_ARN,
        "ResourceType": "RDS",
        "State": state,
        "CreationDate": datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours_ago),
        "IamRoleArn": BACKUP_ROLE_ARN,
    }


class BackupJobs:
    """AWS Backup as far as the handler uses it (moto 5.2.1 implements neither call): ListBackupJobs answers the
    jobs its filters select (ByResourceArn, ByBackupVaultName, ByCreatedAfter), StartBackupJob `started`; botocore's
    Stubber validates each call and its answer against the service model."""

    def __init__(self, world, jobs, started):
        self._client = world._recorded("backup", world._client("backup"), stubbed=True)
        self._stubber = Stubber(self._client)
        self._stubber.activate()
        self._jobs, self._started = jobs, started

    def list_backup_jobs(self, **params):
        selected = [
            job
            for job in self._jobs
            if job["ResourceArn"] == params.get("ByResourceArn", job["ResourceArn"])
            and job["BackupVaultName"] == params.get("ByBackupVaultName", job["BackupVaultName"])
            and ("ByCreatedAfter" not in params or job["CreationDate"] > params["ByCreatedAfter"])
        ]
        self._stubber.add_response("list_backup_jobs", {"BackupJobs": selected}, params)
        return self._client.list_backup_jobs(**params)

    def start_backup_job(self, **params):
        if self._started is None:
            raise AssertionError("this case starts no backup job")
        self._stubber.add_response("start_backup_job", {"BackupJobId": self._started, "CreationDate": datetime.datetime.now(datetime.timezone.utc)}, params)
        return self._client.start_backup_job(**params)


def backup_run(world, jobs, started=None):
    world.replacements["backup"] = lambda: BackupJobs(world, jobs, started)
    return world.run(switch_actions.backup_handler)


def backup():
    env = {"BACKUP_VAULT": BACKUP_VAULT, "DB_INSTANCE_ARN": DB_ARN, "BACKUP_ROLE_ARN": BACKUP_ROLE_ARN, "BACKUP_WINDOW_HOURS": "12"}
    with case(BACKUP_REGION, env) as world:
        return {
            "first": backup_run(world, [], started="job-1"),
            **{f"again{state.title()}": backup_run(world, [job("job-1", state)]) for state in ("CREATED", "PENDING", "RUNNING", "COMPLETED")},
            "afterFailed": backup_run(world, [job("job-1", "FAILED")], started="job-2"),
            # Older than the window: a backup of an earlier switch, not of this one.
            "beforeWindow": backup_run(world, [job("job-0", "COMPLETED", hours_ago=13)], started="job-1"),
            # Another instance's job, or one in another vault, covers nothing of this instance.
            "otherResource": backup_run(world, [{**job("job-0", "COMPLETED"), "ResourceArn": f"{DB_ARN}-g1"}, {**job("job-9", "RUNNING"), "BackupVaultName": "other-vault"}], started="job-1"),
        }


SCENARIOS = {"fence": fence, "await-replication": await_replication, "publish-writer": publish_writer, "backup": backup}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(SCENARIOS)}}}")
    print(json.dumps(SCENARIOS[sys.argv[1]](), default=_jsonable))
