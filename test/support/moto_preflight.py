"""Runs scripts/preflight.py against AWS as moto serves it, for test/preflight.test.ts:
`python3 test/support/moto_preflight.py <settings.json> <group>...`.

<settings.json> is what `npx tsx scripts/preflight-config.ts prod` printed. Each case of a group
builds an account inside a fresh `mock_aws()` (moto's account 123456789012; its Availability Zones:
us-east-1a-f, eu-west-1a-c, all available), the public hosted zone the settings name, and a copy of
the settings with moto's account and zone id and the case's change. It runs preflight's main() in
this process, as `--config <file>` and the case's options, and prints one JSON object: per group
and case, the exit code, the lines printed to stdout and stderr, and the AWS calls made
(service:Operation, the client's region, and whether with an assumed role's credentials). The
delegation cases answer --check-delegation's DNS query from a resolver on 127.0.0.1 that this
runner serves. One process runs every group: most of the time is importing moto and botocore.
"""

import contextlib
import copy
import io
import json
import os
import socket
import struct
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))

import moto_env  # noqa: E402,F401  (first: moto's environment and one model loader)

import boto3  # noqa: E402
import botocore.client  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend  # noqa: E402

import preflight  # noqa: E402

ACCOUNT = "123456789012"  # moto's
LOOKUP_ROLE = "arn:aws:iam::%s:role/cdk-hnb659fds-lookup-role-%s-us-east-1" % (ACCOUNT, ACCOUNT)

CALLS = []
_make_api_call = botocore.client.BaseClient._make_api_call


def _recording(self, operation, params):
    credentials = self._request_signer._credentials
    # STS gives an assumed role's temporary credentials an access key id starting ASIA (moto too).
    CALLS.append({"call": "%s:%s" % (self.meta.service_model.signing_name, operation), "region": self.meta.region_name, "assumed": credentials.access_key.startswith("ASIA")})
    return _make_api_call(self, operation, params)


botocore.client.BaseClient._make_api_call = _recording


def _zone(route53, name, private=False):
    options = {}
    if private:
        vpc = boto3.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        options = {"HostedZoneConfig": {"PrivateZone": True}, "VPC": {"VPCRegion": "us-east-1", "VPCId": vpc}}
    answer = route53.create_hosted_zone(Name=name, CallerReference=name + str(private), **options)
    return answer["HostedZone"]["Id"].split("/")[-1], answer.get("DelegationSet", {}).get("NameServers", [])


def main(*argv):
    """preflight.py's main(argv) here: its exit code, output and AWS calls."""
    del CALLS[:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = preflight.main(list(argv))
    return {"exitCode": code, "stdout": out.getvalue().splitlines(), "stderr": err.getvalue().splitlines(), "calls": list(CALLS)}


def run(settings, *options):
    """preflight.py --config <the settings> <options>."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(settings, f)
    try:
        return main("--config", f.name, *options)
    finally:
        os.unlink(f.name)


def case(base, change=None, *options, private=False, zone_name=None, before=None):
    """One case in a fresh account holding the settings' zone (or `zone_name`), public unless `private`."""
    with mock_aws():
        route53 = boto3.client("route53")
        zone_id, name_servers = _zone(route53, zone_name or base["dns"]["hostedZoneName"], private)
        settings = copy.deepcopy(base)
        settings["account"] = ACCOUNT
        settings["dns"]["hostedZoneId"] = zone_id
        if change:
            change(settings)
        if before:
            before(route53, zone_id)
        result = run(settings, *options)
        result["nameServers"] = name_servers
        return result


@contextlib.contextmanager
def zone_state(region, zone_name, state):
    """moto keeps every zone available; this one shows `state` for the time of the case."""
    zone = next(z for z in RegionsAndZonesBackend.zones[region] if z.name == zone_name)
    zone.state = state
    try:
        yield
    finally:
        zone.state = "available"


# ---- a resolver on 127.0.0.1 for --check-delegation


def _labels(name):
    return b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.rstrip(".").split(".")) + b"\0"


@contextlib.contextmanager
def resolver(answer):
    """Answers each query with `answer(question name)`: a list of NS names, or None for NXDOMAIN.
    The first NS name is written as its first label and a pointer into the question, as resolvers
    compress names, when it ends in the question name."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()
    asked = []

    def serve():
        while not stop.is_set():
            try:
                query, client = sock.recvfrom(512)
            except socket.timeout:
                continue
            query_id, _, _, _, _, _ = struct.unpack("!6H", query[:12])
            end = 12
            while query[end] != 0:
                end += query[end] + 1
            question = query[12 : end + 5]
            labels, offset = [], 12
            while query[offset]:
                labels.append(query[offset + 1 : offset + 1 + query[offset]].decode())
                offset += query[offset] + 1
            name = ".".join(labels)
            asked.append({"name": name, "type": struct.unpack("!H", query[end + 1 : end + 3])[0]})
            servers = answer(name)
            records = b""
            for i, server in enumerate(servers or []):
                if i == 0 and server.endswith("." + name):
                    rdata = bytes([len(server.split(".")[0])]) + server.split(".")[0].encode() + b"\xc0\x0c"
                else:
                    rdata = _labels(server)
                records += b"\xc0\x0c" + struct.pack("!2HIH", 2, 1, 172800, len(rdata)) + rdata
            flags = 0x8180 | (3 if servers is None else 0)
            header = struct.pack("!6H", query_id, flags, 1, len(servers or []), 0, 0)
            sock.sendto(header + question + records, client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1:%d" % sock.getsockname()[1], asked
    finally:
        stop.set()
        thread.join()
        sock.close()


def set_in(path, value):
    def change(settings):
        target = settings
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def group_account(base):
    with mock_aws():
        # --env runs scripts/preflight-config.ts itself: prod's account is still the placeholder.
        from_env = main("--env", "prod")
    return {
        "fromEnv": from_env,
        "ready": case(base),
        "role": case(base, None, "--role-arn", LOOKUP_ROLE),
        "wrongAccount": case(base, set_in(["account"], "111111111111")),
    }


def group_zones(base):
    with zone_state("eu-west-1", "eu-west-1b", "impaired"):
        impaired = case(base)
    return {
        "wrongName": case(base, set_in(["regions", "us-east-1", "availabilityZones"], ["us-east-1a", "us-east-1b", "us-east-1g"])),
        "notInRegion": case(base, set_in(["regions", "eu-west-1", "availabilityZones"], ["eu-west-1a", "eu-west-1b", "eu-west-1d"])),
        "impaired": impaired,
    }


def group_hosted_zone(base):
    zone = base["dns"]["hostedZoneName"]

    def replace_apex_ns(route53, zone_id):
        record = {"Name": zone + ".", "Type": "NS", "TTL": 172800, "ResourceRecords": [{"Value": "ns1.previous-dns.example.net."}]}
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]})

    return {
        "private": case(base, private=True),
        "nameMismatch": case(base, zone_name="app." + zone),
        "missing": case(base, set_in(["dns", "hostedZoneId"], "Z0123456789MISSING")),
        "domainOutside": case(base, set_in(["dns", "domainName"], "app.example.net")),
        "apexNsReplaced": case(base, before=replace_apex_ns),
    }


def group_delegation(base):
    zone = base["dns"]["hostedZoneName"]
    results = {}
    with mock_aws():
        route53 = boto3.client("route53")
        zone_id, name_servers = _zone(route53, zone)
        settings = copy.deepcopy(base)
        settings["account"] = ACCOUNT
        settings["dns"]["hostedZoneId"] = zone_id
        answers = {
            "delegated": lambda name: name_servers,
            "notDelegated": lambda name: None,
            "delegatedElsewhere": lambda name: ["ns1." + name, "ns2.previous-dns.example.net"],
        }
        for name, answer in answers.items():
            with resolver(answer) as (address, asked):
                results[name] = run(settings, "--check-delegation", "--resolver", address)
                results[name]["asked"] = list(asked)
        results["nameServers"] = name_servers
    return results


GROUPS = {"account": group_account, "zones": group_zones, "hosted-zone": group_hosted_zone, "delegation": group_delegation}

if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        base_settings = json.load(f)
    print(json.dumps({group: GROUPS[group](base_settings) for group in sys.argv[2:]}))
