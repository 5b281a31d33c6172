"""Runs lib/lambda/credentials_rotation.py against AWS as moto serves it, for
test/credentials-rotation-handler.test.ts: `python3 test/support/moto_credentials_rotation.py <scenario>...`.

Each scenario builds both regions inside one `mock_aws()` with moto's own API (each region's instance,
writer parameter and credentials secret, with that region's rotation function configured on it), plays
Secrets Manager's part in the rotations (`rotate`, `run_rotation`, `invoke`), and prints one line, a
JSON object with the scenario's name and what it saw: per rotation, each step's outcome
({"result": ...} | {"error": "Type: msg"}), the calls that invocation made (service:Operation and
parameters; service@region for the other region) and its log lines, and the state the test asserts
on (both secrets, both instances' master passwords).

Everything the function calls is served by moto, so botocore validates each call against the service
model; no Stubber is needed. What moto 5.2.1 does differently from AWS, and how the runner covers it:

- RotateSecret. Secrets Manager "starts the asynchronous process of rotating the secret"
  (API_RotateSecret): it records the request's token as a version labelled AWSPENDING, without a
  value, and then invokes the rotation function with createSecret, setSecret, testSecret and
  finishSecret, stopping at the first that fails (and retrying the rotation later with the same
  token). moto instead invokes a configured function through its Lambda backend, which needs Docker
  (absent), synchronously; without a function it moves AWSCURRENT to a new version that has no value
  (the secret can no longer be read); and it refuses a new rotation when AWSPENDING and AWSCURRENT
  are on one version, which is how every successful rotation ends (API_RotateSecret refuses when
  AWSPENDING is on another version than AWSCURRENT). So, for a secret with a rotation function, moto's
  backend answers RotateSecret from `_rotate_secret` below: moto's own answers for an unknown secret
  and one marked for deletion, API_RotateSecret's in-progress rule, then the AWSPENDING version in
  moto's own representation (the one moto's RotateSecret creates before it invokes a function: no
  value, so GetSecretValue of it answers ResourceNotFoundException, as AWS does), and the rotation
  queued. The driver runs what is queued, one invocation per step, as Secrets Manager would; a
  rotation the function itself starts (finishSecret asking the other region) is queued the same way.
- The rotation schedule (RotationEnabled, RotationLambdaARN, RotationRules) is set on moto's secret
  by the same RotateSecret (with those parameters) or, for a secret deployed long ago, directly.
- RDS applies ModifyDBInstance at once and never shows `resetting-master-credentials`. Where a
  scenario has RDS take time, the instance shows that status in moto's state after each
  MasterUserPassword change until the function has waited that long (its `time.sleep` advances the
  clock of the Lambda context instead of sleeping). The master password is read from moto's state:
  RDS never returns it.
Any request that moto does not answer fails instead of reaching the network.
"""

import contextlib
import io
import json
import os
import sys
import time
import types
import uuid
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib", "lambda"))

import moto_env  # noqa: E402,F401  (first: moto's environment and one model loader)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT  # noqa: E402
from moto.rds.models import RDSBackend, rds_backends  # noqa: E402
from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException  # noqa: E402
from moto.secretsmanager.models import SecretsManagerBackend, secretsmanager_backends  # noqa: E402

import credentials_rotation  # noqa: E402


moto_env.forbid_network("moto")

SESSION = boto3.session.Session()
# moto serves a client made before a scenario from that scenario's state: these are shared by every scenario.
ADMIN_CLIENTS = {}
PRIMARY, STANDBY = "us-east-1", "eu-west-1"
REGIONS = (PRIMARY, STANDBY)
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
# lib/constructs/credentials-rotation.ts ROTATION_STEP_TIMEOUT
STEP_SECONDS = 300
INITIAL_PASSWORD = "initial-password-of-the-first-writer"
ORIGINAL_ROTATE_SECRET = SecretsManagerBackend.rotate_secret
ORIGINAL_MODIFY_DB_INSTANCE = RDSBackend.modify_db_instance


def other(region):
    return STANDBY if region == PRIMARY else PRIMARY


def instance_id(region, generation=0):
    return f"prod-data-{region}" + (f"-g{generation}" if generation else "")


def writer_parameter(region):
    return f"prod-data-{region}-writer-endpoint"


def secret_name(region):
    return f"prod-data-{region}-credentials"


def function_arn(region):
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:prod-data-{region}-credentials-rotation"


class World:
    """One scenario: AWS state moto holds, the rotations Secrets Manager has started, the calls the function makes."""

    def __init__(self):
        self.calls = []
        self.clients = {}
        # The region whose function runs now: its calls in another region are labelled service@region.
        self.region = None
        # region -> DB_INSTANCE_ID of that region's function
        self.instances = {}
        # (region, token) of each rotation RotateSecret started that has not run yet
        self.started = []
        # Seconds RDS takes to apply a master password (0: at once, as moto does), and per instance what is left.
        self.apply_seconds = 0
        self.applying = {}

    def admin(self, service, region):
        """A client for building and reading the state: its calls are not the function's."""
        key = (service, region)
        if key not in ADMIN_CLIENTS:
            ADMIN_CLIENTS[key] = SESSION.client(service, region_name=region)
        return ADMIN_CLIENTS[key]

    def client(self, service, region_name=None):
        """Stands in for boto3.client in credentials_rotation: a client moto serves, whose calls are recorded.
        One per service and region, reused by later invocations (making clients is most of the runner's time)."""
        region = region_name or self.region
        key = (service, region)
        if key not in self.clients:
            client = self.clients[key] = SESSION.client(service, region_name=region)

            def record(params, model, **_):
                label = service if region == self.region else f"{service}@{region}"
                self.calls.append({"call": f"{label}:{model.name}", "params": params})

            client.meta.events.register("provide-client-params.*.*", record)
        return self.clients[key]

    def waited(self, seconds):
        """RDS goes on applying while the function sleeps."""
        for (region, identifier), left in list(self.applying.items()):
            if left - seconds > 0:
                self.applying[(region, identifier)] = left - seconds
            else:
                self.applied(region, identifier)

    def applied(self, region, identifier):
        self.applying.pop((region, identifier), None)
        rds_backends[ACCOUNT][region].databases[identifier].status = "available"


class Context:
    """The Lambda context: the time left of the invocation, which the function's sleeps use up."""

    def __init__(self, world, seconds=STEP_SECONDS):
        self.world, self.left, self.slept = world, seconds, 0

    def get_remaining_time_in_millis(self):
        return int(self.left * 1000)

    def sleep(self, seconds):
        self.left -= seconds
        self.slept += seconds
        self.world.waited(seconds)


def _rotate_secret(world):
    """moto's RotateSecret, as Secrets Manager answers it for a secret with a rotation function (see the module's docstring)."""

    def rotate_secret(backend, secret_id, client_request_token=None, rotation_lambda_arn=None, rotation_rules=None, rotate_immediately=True):
        if not backend._is_valid_identifier(secret_id):
            raise SecretNotFoundException()
        secret = backend.secrets[secret_id]
        if not (rotation_lambda_arn or secret.rotation_lambda_arn):
            return ORIGINAL_ROTATE_SECRET(backend, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately)
        if not rotate_immediately:
            raise NotImplementedError("RotateSecret with RotateImmediately=false (testSecret alone) is not emulated")
        if secret.is_deleted():
            raise InvalidRequestException("You tried to perform the operation on a secret that's currently marked deleted.")
        if any("AWSPENDING" in v["version_stages"] and "AWSCURRENT" not in v["version_stages"] for v in secret.versions.values()):
            raise InvalidRequestException("A previous rotation isn't complete. That rotation will be reattempted.")
        if rotation_lambda_arn or rotation_rules:
            configure(secret, rotation_lambda_arn or secret.rotation_lambda_arn, (rotation_rules or {}).get("AutomaticallyAfterDays", secret.auto_rotate_after_days))
        token = client_request_token or str(uuid.uuid4())
        backend._client_request_token_validator(token)
        secret.remove_version_stages_from_old_versions(["AWSPENDING"])
        secret.versions[token] = {"createdate": int(time.time()), "version_id": token, "version_stages": ["AWSPENDING"]}
        world.started.append((backend.region_name, token))
        return json.dumps({"ARN": secret.arn, "Name": secret.name, "VersionId": token})

    return rotate_secret


def _modify_db_instance(world):
    """moto's ModifyDBInstance, then, where the scenario has RDS take time, the instance applying the new master password."""

    def modify_db_instance(backend, db_instance_identifier, db_kwargs):
        database = ORIGINAL_MODIFY_DB_INSTANCE(backend, db_instance_identifier, db_kwargs)
        if "MasterUserPassword" in db_kwargs and world.apply_seconds:
            database.status = credentials_rotation.APPLYING_STATE
            world.applying[(backend.region_name, db_instance_identifier)] = world.apply_seconds
        return database

    return modify_db_instance


def configure(secret, lambda_arn, days=30):
    """The rotation schedule on moto's secret: the attributes moto's RotateSecret sets from RotationLambdaARN and RotationRules."""
    secret.rotation_requested = secret.rotation_enabled = True
    secret.rotation_lambda_arn = lambda_arn
    secret.auto_rotate_after_days = days


@contextlib.contextmanager
def scenario():
    world = World()
    with (
        mock_aws(),
        mock.patch.object(SecretsManagerBackend, "rotate_secret", _rotate_secret(world)),
        mock.patch.object(RDSBackend, "modify_db_instance", _modify_db_instance(world)),
    ):
        yield world


# --- state -------------------------------------------------------------------------------------


def standalone(world, region, identifier, password=INITIAL_PASSWORD):
    world.instances[region] = identifier
    return world.admin("rds", region).create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.4",
        MasterUsername="app",
        MasterUserPassword=password,
        AllocatedStorage=20,
    )["DBInstance"]


def replica(world, region, identifier, source):
    world.instances[region] = identifier
    return world.admin("rds", region).create_db_instance_read_replica(DBInstanceIdentifier=identifier, SourceDBInstanceIdentifier=source["DBInstanceArn"], DBInstanceClass="db.t4g.micro")["DBInstance"]


def parameter(world, region, value):
    world.admin("ssm", region).put_parameter(Name=writer_parameter(region), Value=value, Type="String", Overwrite=True)


def credentials(world, region, value, scheduled=True):
    """`region`'s credentials secret (lib/constructs/primary-database.ts, read-replica.ts), with its rotation schedule unless not `scheduled`."""
    world.admin("secretsmanager", region).create_secret(Name=secret_name(region), SecretString=json.dumps(value))
    if scheduled:
        configure(secretsmanager_backends[ACCOUNT][region].secrets[secret_name(region)], function_arn(region))


def login(password=INITIAL_PASSWORD, **more):
    return {"username": "app", "password": password, **more}


def as_created(world):
    """us-east-1 holds the writer, eu-west-1 its cross-region replica; both secrets hold the writer's login."""
    writer = standalone(world, PRIMARY, instance_id(PRIMARY))
    address = writer["Endpoint"]["Address"]
    parameter(world, PRIMARY, address)
    credentials(world, PRIMARY, login(engine="postgres", host=address, port=5432, dbInstanceIdentifier=instance_id(PRIMARY)))
    replica(world, STANDBY, instance_id(STANDBY), writer)
    parameter(world, STANDBY, "none")
    credentials(world, STANDBY, login())


def after_switch(world):
    """eu-west-1 holds the writer (its promoted instance), us-east-1 a new replica of it and `none`."""
    writer = standalone(world, STANDBY, instance_id(STANDBY))
    parameter(world, STANDBY, writer["Endpoint"]["Address"])
    credentials(world, STANDBY, login(host=writer["Endpoint"]["Address"]))
    replica(world, PRIMARY, instance_id(PRIMARY, 1), writer)
    parameter(world, PRIMARY, "none")
    credentials(world, PRIMARY, login(engine="postgres", host=f"{instance_id(PRIMARY)}.aaaaaaaaaa.{PRIMARY}.rds.amazonaws.com", port=5432))


def secret_state(world, region):
    secrets = world.admin("secretsmanager", region)
    try:
        described = secrets.describe_secret(SecretId=secret_name(region))
    except secrets.exceptions.ResourceNotFoundException:
        return None
    out = {"versions": described.get("VersionIdsToStages", {}), "rotationEnabled": described.get("RotationEnabled")}
    if described.get("DeletedDate"):
        out["deleted"] = True
        return out
    out["current"] = json.loads(secrets.get_secret_value(SecretId=secret_name(region), VersionStage="AWSCURRENT")["SecretString"])
    pending = [version for version, stages in out["versions"].items() if "AWSPENDING" in stages and "AWSCURRENT" not in stages]
    if pending:
        try:
            out["pending"] = json.loads(secrets.get_secret_value(SecretId=secret_name(region), VersionId=pending[0], VersionStage="AWSPENDING")["SecretString"])
        except secrets.exceptions.ResourceNotFoundException:
            out["pending"] = None
    return out


def state(world):
    """Both secrets and the master password of each instance, as moto holds them."""
    passwords = {}
    for region in REGIONS:
        for identifier, database in rds_backends[ACCOUNT][region].databases.items():
            passwords[identifier] = {"password": database._master_user_password, "status": database.status}
    return {"secrets": {region: secret_state(world, region) for region in REGIONS}, "instances": passwords}


# --- Secrets Manager's part --------------------------------------------------------------------


def function_env(world, region):
    """lib/constructs/credentials-rotation.ts: the function's environment in `region`."""
    peer = other(region)
    return {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "DB_INSTANCE_ID": world.instances[region],
        "WRITER_PARAMETER": writer_parameter(region),
        "PEER_REGION": peer,
        "PEER_SECRET_ID": secret_name(peer),
    }


def invoke(world, region, token, step, context=None):
    """One invocation of `region`'s rotation function, with the event Secrets Manager sends."""
    arn = world.admin("secretsmanager", region).describe_secret(SecretId=secret_name(region))["ARN"]
    event = {"SecretId": arn, "ClientRequestToken": token, "Step": step}
    context = context or Context(world)
    first = len(world.calls)
    world.region = region
    log = io.StringIO()
    with (
        mock.patch.dict(os.environ, function_env(world, region)),
        mock.patch.object(credentials_rotation.boto3, "client", world.client),
        mock.patch.object(credentials_rotation, "time", types.SimpleNamespace(sleep=context.sleep)),
        contextlib.redirect_stdout(log),
    ):
        try:
            outcome = {"result": credentials_rotation.handler(event, context)}
        except Exception as error:  # the test asserts which error, and a mistake in the runner shows here too
            outcome = {"error": f"{type(error).__name__}: {error}"}
    outcome.update(step=step, calls=world.calls[first:], log=log.getvalue().splitlines())
    if context.slept:
        outcome["slept"] = context.slept
    return outcome


def run_rotation(world, region, token, context=None):
    """Secrets Manager's run of one rotation: the four steps in order, up to the first that fails."""
    steps = []
    for step in STEPS:
        steps.append(invoke(world, region, token, step, context))
        if "error" in steps[-1]:
            break
    return {"region": region, "token": token, "steps": steps}


def run_started(world):
    """Runs the rotations RotateSecret started, in order, including those they start in turn."""
    rotations = []
    while world.started:
        rotations.append(run_rotation(world, *world.started.pop(0)))
    return rotations


def start(world, region, **configuration):
    """RotateSecret of `region`'s secret, as an operator or the schedule calls it: the token of the rotation it queued."""
    return world.admin("secretsmanager", region).rotate_secret(SecretId=secret_name(region), **configuration)["VersionId"]


def take(world, region, token):
    """The scenario invokes this rotation's steps itself."""
    world.started.remove((region, token))
    return token


def rotate(world, region, **configuration):
    """RotateSecret of `region`'s secret, then every rotation that follows from it."""
    start(world, region, **configuration)
    return run_started(world)


# --- scenarios ---------------------------------------------------------------------------------


def as_created_scenario():
    with scenario() as world:
        as_created(world)
        before = state(world)
        rotations = rotate(world, PRIMARY)
        return {"before": before, "rotations": rotations, "after": state(world)}


def after_switch_scenario():
    with scenario() as world:
        after_switch(world)
        before = state(world)
        writer = rotate(world, STANDBY)
        after_writer = state(world)
        alone = rotate(world, PRIMARY)
        return {"before": before, "writerRotations": writer, "afterWriter": after_writer, "aloneRotations": alone, "afterAlone": state(world)}


def founding_deploy_scenario():
    """The founding region's data stack deploys first: creating its schedule rotates at once, before the other region's secret exists."""
    with scenario() as world:
        writer = standalone(world, PRIMARY, instance_id(PRIMARY))
        address = writer["Endpoint"]["Address"]
        parameter(world, PRIMARY, address)
        credentials(world, PRIMARY, login(host=address), scheduled=False)
        schedule = {"RotationLambdaARN": function_arn(PRIMARY), "RotationRules": {"AutomaticallyAfterDays": 30}}
        founding = rotate(world, PRIMARY, **schedule)
        after_founding = state(world)
        # The standby's data stack: its replica, its own secret (a password of its own, as rds.DatabaseSecret generates it), its schedule.
        replica(world, STANDBY, instance_id(STANDBY), writer)
        parameter(world, STANDBY, "none")
        credentials(world, STANDBY, login("generated-for-the-standby-secret"), scheduled=False)
        standby = rotate(world, STANDBY, RotationLambdaARN=function_arn(STANDBY), RotationRules={"AutomaticallyAfterDays": 30})
        return {"foundingRotations": founding, "afterFounding": after_founding, "standbyRotations": standby, "afterStandby": state(world)}


def peer_error_scenario():
    """The other region's secret is scheduled for deletion when the writer's rotation asks it to rotate."""
    with scenario() as world:
        as_created(world)
        world.admin("secretsmanager", STANDBY).delete_secret(SecretId=secret_name(STANDBY), RecoveryWindowInDays=7)
        failed = rotate(world, PRIMARY)
        after_failure = state(world)
        world.admin("secretsmanager", STANDBY).restore_secret(SecretId=secret_name(STANDBY))
        token = failed[0]["token"]
        finish_again = invoke(world, PRIMARY, token, "finishSecret")
        followed = run_started(world)
        return {"failedRotations": failed, "afterFailure": after_failure, "finishAgain": finish_again, "followingRotations": followed, "afterRetry": state(world)}


def replica_named_writer_scenario():
    """us-east-1's parameter names a writer, but its instance replicates eu-west-1's."""
    with scenario() as world:
        after_switch(world)
        parameter(world, PRIMARY, f"{instance_id(PRIMARY)}.aaaaaaaaaa.{PRIMARY}.rds.amazonaws.com")
        before = state(world)
        token = take(world, PRIMARY, start(world, PRIMARY))
        steps = [invoke(world, PRIMARY, token, step) for step in STEPS]
        return {"before": before, "token": token, "steps": steps, "after": state(world)}


def two_writers_scenario():
    """Both regions hold a standalone writer and name it (an old primary back unfenced after an outage)."""
    with scenario() as world:
        after_switch(world)
        old = standalone(world, PRIMARY, instance_id(PRIMARY))
        parameter(world, PRIMARY, old["Endpoint"]["Address"])
        before = state(world)
        rotations = rotate(world, PRIMARY)
        return {"before": before, "rotations": rotations, "after": state(world)}


def still_applying_scenario():
    """RDS takes 120 s of the function's waiting to apply the password; the first testSecret has 60 s left."""
    with scenario() as world:
        as_created(world)
        world.apply_seconds = 120
        token = take(world, PRIMARY, start(world, PRIMARY))
        first = [invoke(world, PRIMARY, token, step) for step in STEPS[:2]]
        first.append(invoke(world, PRIMARY, token, "testSecret", Context(world, seconds=60)))
        while_applying = state(world)
        # Later RDS has applied it; Secrets Manager retries the rotation with the same token, whose setSecret
        # sets the password again: RDS applies that one within 20 s of the function's waiting.
        world.applied(PRIMARY, instance_id(PRIMARY))
        world.apply_seconds = 20
        world.started.append((PRIMARY, token))
        retried = run_started(world)
        return {"token": token, "firstSteps": first, "whileApplying": while_applying, "retriedRotations": retried, "after": state(world)}


def create_twice_scenario():
    with scenario() as world:
        as_created(world)
        token = take(world, PRIMARY, start(world, PRIMARY))
        first = invoke(world, PRIMARY, token, "createSecret")
        after_first = state(world)
        second = invoke(world, PRIMARY, token, "createSecret")
        return {"token": token, "first": first, "afterFirst": after_first, "second": second, "afterSecond": state(world)}


def refused_scenario():
    out = {}
    with scenario() as world:
        as_created(world)
        token = take(world, PRIMARY, start(world, PRIMARY))
        world.admin("secretsmanager", PRIMARY).cancel_rotate_secret(SecretId=secret_name(PRIMARY))
        before = state(world)
        out["rotationDisabled"] = {"run": invoke(world, PRIMARY, token, "createSecret"), "before": before, "after": state(world)}
    with scenario() as world:
        as_created(world)
        before = state(world)
        out["unknownToken"] = {"run": invoke(world, PRIMARY, str(uuid.uuid4()), "createSecret"), "before": before, "after": state(world)}
    with scenario() as world:
        as_created(world)
        previous = next(v for v, s in world.admin("secretsmanager", PRIMARY).describe_secret(SecretId=secret_name(PRIMARY))["VersionIdsToStages"].items() if "AWSCURRENT" in s)
        rotate(world, PRIMARY)
        before = state(world)
        out["previousToken"] = {"token": previous, "run": invoke(world, PRIMARY, previous, "createSecret"), "before": before, "after": state(world)}
    return out


SCENARIOS = {
    "as-created": as_created_scenario,
    "after-switch": after_switch_scenario,
    "founding-deploy": founding_deploy_scenario,
    "peer-error": peer_error_scenario,
    "replica-named-writer": replica_named_writer_scenario,
    "two-writers": two_writers_scenario,
    "still-applying": still_applying_scenario,
    "create-twice": create_twice_scenario,
    "refused": refused_scenario,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or not set(sys.argv[1:]) <= set(SCENARIOS):
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(SCENARIOS)}}}...")
    # One line per scenario: {"scenario": name, "out": ...}; several in one process share its imports.
    for name in sys.argv[1:]:
        print(json.dumps({"scenario": name, "out": SCENARIOS[name]()}), flush=True)
