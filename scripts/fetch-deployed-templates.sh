#!/usr/bin/env bash
# Writes the template CloudFormation holds for each stack of an environment to
# <outdir>/<stack>.template.json, the base the change-safety gate compares with.
# The pipeline's Diff step runs:
#   bash scripts/fetch-deployed-templates.sh <env> deployed && npm run review -- --base deployed --head cdk.out -c env=<env>
# Stacks and regions come from the synthesized assembly (default cdk.out). Only its
# stacks are fetched: `cdk deploy --all` never deletes a stack that left the app.
# A stack not deployed yet is skipped (a new stack has nothing to lose). As `cdk diff`
# does, each region's bootstrap lookup role (read-only) is assumed where the assembly
# names one, so the Diff step needs no CloudFormation permission of its own.
# Usage: bash scripts/fetch-deployed-templates.sh <env> <outdir> [assembly-dir]
set -euo pipefail

usage="usage: bash scripts/fetch-deployed-templates.sh <env> <outdir> [assembly-dir]"
env_name=${1:?$usage}
outdir=${2:?$usage}
assembly=${3:-cdk.out}

if [ ! -f "$assembly/manifest.json" ]; then
  echo "fetch-deployed-templates: no cloud assembly in $assembly: run npx cdk synth -c env=$env_name first" >&2
  exit 1
fi

# One line per stack of the environment: name, region, lookup role ARN (or -).
stacks=$(node -e '
  const [file, env] = process.argv.slice(1);
  const { artifacts = {} } = JSON.parse(require("fs").readFileSync(file, "utf8"));
  for (const [id, a] of Object.entries(artifacts)) {
    const name = a.properties?.stackName ?? id;
    if (a.type !== "aws:cloudformation:stack" || !name.startsWith(`${env}-`)) continue;
    const region = a.environment.split("/").pop();
    const partition = region.startsWith("cn-") ? "aws-cn" : "aws";
    const role = (a.properties?.lookupRole?.arn ?? "-").replace("${AWS::Partition}", partition);
    console.log(name, region, role.includes("${") ? "-" : role);
  }' "$assembly/manifest.json" "$env_name")
if [ -z "$stacks" ]; then
  echo "fetch-deployed-templates: $assembly holds no stack of environment $env_name" >&2
  exit 1
fi

mkdir -p "$outdir"
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# Each role's temporary credentials as KEY=VALUE lines, empty when it cannot be
# assumed: then the current credentials are used, as cdk diff does.
declare -A role_credentials=()
assume() {
  local role=$1
  [ "$role" = - ] || [ -n "${role_credentials[$role]+set}" ] && return
  role_credentials[$role]=$(aws sts assume-role --role-arn "$role" --role-session-name "change-review-$env_name" \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text 2>/dev/null |
    awk '{ print "AWS_ACCESS_KEY_ID=" $1; print "AWS_SECRET_ACCESS_KEY=" $2; print "AWS_SESSION_TOKEN=" $3 }') || true
  [ -n "${role_credentials[$role]}" ] || echo "note: cannot assume $role; using the current credentials" >&2
}

while read -r stack region role; do
  assume "$role"
  credentials=()
  if [ "$role" != - ] && [ -n "${role_credentials[$role]}" ]; then mapfile -t credentials <<<"${role_credentials[$role]}"; fi
  if env "${credentials[@]}" aws cloudformation get-template --region "$region" --stack-name "$stack" \
    --template-stage Original --query TemplateBody --output json >"$outdir/$stack.template.json" 2>"$errors"; then
    echo "$stack: deployed template fetched from $region"
  elif grep -q 'does not exist' "$errors"; then
    rm -f "$outdir/$stack.template.json"
    echo "$stack: not deployed yet, nothing to compare"
  else
    echo "fetch-deployed-templates: $stack in $region:" >&2
    cat "$errors" >&2
    exit 1
  fi
done <<<"$stacks"
