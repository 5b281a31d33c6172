"""Checks, before a deploy, what synth cannot see: that an environment's Availability Zone names
and hosted zone exist in its account as the config says (README, "Before a real deploy").

    npx tsx scripts/preflight-config.ts prod > preflight.json
    python3 scripts/preflight.py --config preflight.json [--role-arn ARN] [--check-delegation]
    python3 scripts/preflight.py --env prod [--role-arn ARN]     # runs preflight-config.ts itself

Checks, each problem one line on stderr naming the setting and what to do (exit 1):
- the credentials (or the role `--role-arn` names, assumed with them) are for the config's account;
- each `regions.<region>.availabilityZones` name exists in its region for this account and is
  `available`. AZ names map to different physical zones in each account, so it prints the AZ IDs
  (e.g. use1-az6) they map to: the IDs are what to compare across accounts;
- `dns.hostedZoneId` is a hosted zone of this account, public, named `dns.hostedZoneName`, and
  `dns.domainName` lies inside it;
- the NS record set at the zone's apex lists the zone's own name servers (`DelegationSet`), and
  it prints them: ACM validates the certificates through this zone only once the parent domain
  delegates to exactly these servers. With `--check-delegation` it asks a resolver (the first of
  /etc/resolv.conf, or `--resolver`) for the zone's NS records, which answers only what the
  parent's delegation reaches, and compares.

AWS calls (what the credentials, or the role, need): sts:GetCallerIdentity, sts:AssumeRole (with
--role-arn, by the caller), ec2:DescribeAvailabilityZones, route53:GetHostedZone,
route53:ListResourceRecordSets. CDK's lookup role (ReadOnlyAccess) allows all but AssumeRole.

Only the standard library and boto3.
"""

import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Route 53's API is global; its control plane is in us-east-1.
ROUTE53_REGION = "us-east-1"


class Stop(Exception):
    """A problem after which no further check means anything (wrong account, no credentials)."""


def _name(value):
    """A DNS name as Route 53 and resolvers may write it, compared without case or final dot."""
    return value.strip().rstrip(".").lower()


def _inside(name, zone):
    return name == zone or name.endswith("." + zone)


def load_config(args):
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            return json.load(f)
    command = ["npx", "tsx", os.path.join("scripts", "preflight-config.ts"), args.env]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["exit %d" % result.returncode])[-1]
        raise Stop("%s: %s" % (" ".join(command), message))
    return json.loads(result.stdout)


def session_for(role_arn):
    """The default credentials, or the role's, which they assume."""
    if not role_arn:
        return boto3.Session()
    try:
        credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="webtier-preflight")["Credentials"]
    except (ClientError, BotoCoreError) as error:
        raise Stop("--role-arn %s: cannot assume it (%s); use credentials the role trusts" % (role_arn, error)) from error
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def check_account(session, config):
    try:
        account = session.client("sts", region_name=ROUTE53_REGION).get_caller_identity()["Account"]
    except NoCredentialsError as error:
        raise Stop("no AWS credentials found; run with credentials for account %s (or --role-arn)" % config["account"]) from error
    except (ClientError, BotoCoreError) as error:
        raise Stop("the credentials do not work (%s); renew them" % error) from error
    if account != config["account"]:
        raise Stop("account: is %s but the credentials are for %s; use credentials for the environment's own account, or set account" % (config["account"], account))
    print("account %s: the credentials' own" % account)


def check_availability_zones(session, config, problems):
    for region, settings in config["regions"].items():
        setting = "regions.%s.availabilityZones" % region
        try:
            zones = session.client("ec2", region_name=region).describe_availability_zones()["AvailabilityZones"]
        except (ClientError, BotoCoreError) as error:
            problems.append("%s: cannot list the Availability Zones of %s (%s); allow ec2:DescribeAvailabilityZones" % (setting, region, error))
            continue
        by_name = {zone["ZoneName"]: zone for zone in zones}
        available = ", ".join(sorted(n for n, z in by_name.items() if z.get("State") == "available"))
        mapped = []
        for name in settings["availabilityZones"]:
            zone = by_name.get(name)
            if zone is None:
                problems.append("%s: %s is not an Availability Zone of %s in this account; choose from %s" % (setting, name, region, available))
            elif zone.get("State") != "available":
                problems.append("%s: %s is %s, not available; choose from %s" % (setting, name, zone.get("State"), available))
            else:
                mapped.append("%s = %s" % (name, zone["ZoneId"]))
        if mapped:
            print("%s: %s (AZ IDs: the same physical zone in every account)" % (region, ", ".join(mapped)))


def check_hosted_zone(session, config, problems):
    """The zone's name servers when the zone checks out, else None."""
    dns = config["dns"]
    zone_id = dns["hostedZoneId"]
    route53 = session.client("route53", region_name=ROUTE53_REGION)
    try:
        answer = route53.get_hosted_zone(Id=zone_id)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchHostedZone":
            problems.append("dns.hostedZoneId: no hosted zone %s in account %s; create the public zone %s or set the id of the one you have" % (zone_id, config["account"], dns["hostedZoneName"]))
        else:
            problems.append("dns.hostedZoneId: cannot read hosted zone %s (%s); allow route53:GetHostedZone" % (zone_id, error))
        return None
    except BotoCoreError as error:
        problems.append("dns.hostedZoneId: cannot read hosted zone %s (%s)" % (zone_id, error))
        return None
    zone = answer["HostedZone"]
    zone_name = _name(zone["Name"])
    before = len(problems)
    if zone.get("Config", {}).get("PrivateZone"):
        problems.append("dns.hostedZoneId: %s (%s) is a private hosted zone; ACM validation and the failover records need a public zone: set a public zone's id" % (zone_id, zone_name))
    if zone_name != _name(dns["hostedZoneName"]):
        problems.append("dns.hostedZoneName: is %s but hosted zone %s is named %s; set the zone's name or the id of the zone named %s" % (dns["hostedZoneName"], zone_id, zone_name, dns["hostedZoneName"]))
    if not _inside(_name(dns["domainName"]), zone_name):
        problems.append("dns.domainName: %s is not inside hosted zone %s (%s); choose a name in the zone" % (dns["domainName"], zone_id, zone_name))
    if len(problems) > before:
        return None
    name_servers = sorted(_name(ns) for ns in answer.get("DelegationSet", {}).get("NameServers", []))
    try:
        records = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=zone["Name"], StartRecordType="NS", MaxItems="1")["ResourceRecordSets"]
    except (ClientError, BotoCoreError) as error:
        problems.append("dns.hostedZoneId: cannot list the records of %s (%s); allow route53:ListResourceRecordSets" % (zone_id, error))
        return None
    apex = [r for r in records if r["Type"] == "NS" and _name(r["Name"]) == zone_name]
    listed = sorted(_name(r["Value"]) for r in apex[0]["ResourceRecords"]) if apex else []
    if listed != name_servers:
        problems.append(
            "dns.hostedZoneId: the NS record of %s in zone %s lists %s, not the zone's name servers %s; set it back to them"
            % (zone_name, zone_id, ", ".join(listed) or "nothing", ", ".join(name_servers))
        )
        return None
    print("hosted zone %s (%s): public, holds %s" % (zone_id, zone_name, _name(dns["domainName"])))
    print(
        "name servers of %s: %s. ACM validates the certificates only once the parent domain delegates %s to exactly these (NS records in the parent zone)"
        % (zone_name, ", ".join(name_servers), zone_name)
    )
    return zone_name, name_servers


# ---- a DNS query over UDP (RFC 1035), so that --check-delegation needs nothing beyond the standard library


def _encode(name):
    labels = [label.encode("idna") for label in name.split(".") if label]
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def _read_name(message, offset):
    """The name at `offset` (following compression pointers) and the offset after it."""
    labels, end, jumps = [], None, 0
    while True:
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("compression loop")
            continue
        offset += 1
        if length == 0:
            return ".".join(labels), end if end is not None else offset
        labels.append(message[offset : offset + length].decode("ascii", "replace"))
        offset += length


def query_ns(zone, resolver, port, timeout=3.0, attempts=2):
    """(rcode, NS names) the resolver answers for `zone`."""
    family = socket.AF_INET6 if ":" in resolver else socket.AF_INET
    for attempt in range(attempts):
        query_id = random.randrange(0x10000)
        # One question, recursion desired; QTYPE NS (2), QCLASS IN (1).
        packet = struct.pack("!6H", query_id, 0x0100, 1, 0, 0, 0) + _encode(zone) + struct.pack("!2H", 2, 1)
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.sendto(packet, (resolver, port))
                while True:
                    message, _ = sock.recvfrom(4096)
                    if len(message) >= 12 and struct.unpack("!H", message[:2])[0] == query_id:
                        break
            except socket.timeout:
                if attempt + 1 == attempts:
                    raise
                continue
        _, flags, questions, answers, _, _ = struct.unpack("!6H", message[:12])
        offset = 12
        for _ in range(questions):
            _, offset = _read_name(message, offset)
            offset += 4
        servers = []
        for _ in range(answers):
            _, offset = _read_name(message, offset)
            record_type, _, _, length = struct.unpack("!2HIH", message[offset : offset + 10])
            offset += 10
            if record_type == 2:
                servers.append(_name(_read_name(message, offset)[0]))
            offset += length
        return flags & 0xF, sorted(servers)
    raise socket.timeout()


def default_resolver():
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return parts[1]
    except OSError:
        pass
    return None


def check_delegation(zone_name, name_servers, resolver_arg, problems):
    resolver = resolver_arg or default_resolver()
    if resolver is None:
        problems.append("--check-delegation: no resolver in /etc/resolv.conf; name one with --resolver")
        return
    host, port = resolver, 53
    if resolver.count(":") == 1:
        host, port = resolver.split(":")[0], int(resolver.split(":")[1])
    try:
        rcode, answered = query_ns(zone_name, host, port)
    except (OSError, ValueError, struct.error) as error:
        problems.append("--check-delegation: no answer from resolver %s for the NS records of %s (%s); retry, or name another with --resolver" % (resolver, zone_name, error))
        return
    if rcode == 3:
        problems.append("dns.hostedZoneName: public DNS does not know %s (NXDOMAIN): the parent domain does not delegate it; add NS records for %s in the parent zone: %s" % (zone_name, zone_name, ", ".join(name_servers)))
    elif rcode != 0:
        problems.append("--check-delegation: resolver %s answered rcode %d for the NS records of %s; retry, or name another with --resolver" % (resolver, rcode, zone_name))
    elif answered != name_servers:
        problems.append(
            "dns.hostedZoneName: public DNS answers name servers %s for %s, not the hosted zone's %s; make the parent zone delegate to the hosted zone's servers"
            % (", ".join(answered) or "none", zone_name, ", ".join(name_servers))
        )
    else:
        print("delegation of %s: public DNS (resolver %s) answers the hosted zone's name servers" % (zone_name, resolver))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="preflight.py", description="Checks an environment's AZ names and hosted zone in its AWS account before a deploy.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE", help="the JSON that `npx tsx scripts/preflight-config.ts <env>` prints")
    source.add_argument("--env", help="an environment name: runs scripts/preflight-config.ts for it")
    parser.add_argument("--role-arn", help="a role to assume with the credentials in use, for every check (e.g. CDK's lookup role)")
    parser.add_argument("--check-delegation", action="store_true", help="also ask public DNS for the zone's NS records")
    parser.add_argument("--resolver", metavar="ADDRESS[:PORT]", help="the resolver --check-delegation asks (default: the first nameserver of /etc/resolv.conf)")
    args = parser.parse_args(argv)

    problems = []
    name = args.env or "preflight"
    try:
        config = load_config(args)
        name = config.get("environment", name)
        session = session_for(args.role_arn)
        check_account(session, config)
        check_availability_zones(session, config, problems)
        zone = check_hosted_zone(session, config, problems)
        if zone and args.check_delegation:
            check_delegation(*zone, args.resolver, problems)
    except Stop as stop:
        print("%s: %s" % (name, stop), file=sys.stderr)
        return 1
    for problem in problems:
        print("%s: %s" % (name, problem), file=sys.stderr)
    if problems:
        print("preflight %s: %d problem%s" % (name, len(problems), "" if len(problems) == 1 else "s"), file=sys.stderr)
        return 1
    print("preflight %s: ready" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
