#!/usr/bin/env bash
# Prints, per environment and region, the AMI pinned in lib/config/environments.ts
# (app.amiIds) next to the current Amazon Linux 2023 image of the instance types'
# architecture, read from AWS's public SSM parameter. A new image reaches the
# instances only when someone copies its id into the config: a reviewed diff.
# Usage: bash scripts/print-latest-ami.sh   (needs AWS credentials allowed ssm:GetParameter)
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per environment and region: env, region, architecture, pinned AMI id.
pinned=$(npx tsx -e '
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { ENVIRONMENT_NAMES, REGIONS, loadConfig } from "./lib/config";
for (const name of ENVIRONMENT_NAMES) {
  const config = loadConfig(name);
  const arch = new ec2.InstanceType(config.app.instanceTypes[0]).architecture === ec2.InstanceArchitecture.ARM_64 ? "arm64" : "x86_64";
  for (const region of REGIONS) console.log(name, region, arch, config.app.amiIds[region]);
}')

declare -A latest
printf '%-5s %-10s %-22s %-22s %s\n' env region pinned latest status
while read -r env region arch ami; do
  key="$region/$arch"
  if [ -z "${latest[$key]:-}" ]; then
    latest[$key]=$(aws ssm get-parameter --region "$region" \
      --name "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-$arch" \
      --query Parameter.Value --output text)
  fi
  status=current
  [ "$ami" = "${latest[$key]}" ] || status='differs: review and bump app.amiIds'
  printf '%-5s %-10s %-22s %-22s %s\n' "$env" "$region" "$ami" "${latest[$key]}" "$status"
done <<<"$pinned"
