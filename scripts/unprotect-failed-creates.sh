#!/usr/bin/env bash
# Lets the CDK CLI retry a failed first create of a termination-protected stack.
#
# Usage: bash scripts/unprotect-failed-creates.sh <cloud assembly dir> <stack name>...
#
# The pipeline's deploy step runs this before `cdk deploy` of a wave. For each named stack
# of the assembly it asks CloudFormation, through the stack's own CDK deploy role, for the
# stack's status; a stack in ROLLBACK_COMPLETE whose termination protection is on gets it
# turned off. Every other stack, and every other status, is left alone.
#
# Why (aws-cdk 2.1148.1, node_modules/aws-cdk/lib/index.js, from @aws-cdk/toolkit-lib's
# lib/api/deployments/deploy-stack.ts):
# - FullCloudFormationDeployment.changeSetDeployment() calls updateTerminationProtection()
#   right after createChangeSet() and before the change set executes, so a stack whose
#   template asks for protection (`terminationProtection` in the assembly's manifest) is
#   already protected when its first create runs, and still is when that create rolls back
#   to ROLLBACK_COMPLETE.
# - On the next deploy, deployStack() finds `stackStatus.isCreationFailure`
#   (ROLLBACK_COMPLETE or ROLLBACK_FAILED) and calls cloudformation DeleteStack before
#   creating the stack again. CloudFormation refuses to delete a stack whose termination
#   protection is on ("Stack [name] cannot be deleted while TerminationProtection is
#   enabled", as a CDK deploy reported it in aws-samples/aws-secure-environment-accelerator#253),
#   so without this step the retry fails until someone turns protection off by hand.
# - Once the stack is deleted, the CLI creates it again and the same updateTerminationProtection()
#   turns protection back on before the new create runs: a prod stack is unprotected only
#   between this step and the CLI's delete, and only while it holds nothing.
#
# Why only ROLLBACK_COMPLETE: a stack in ROLLBACK_COMPLETE is a failed first create whose
# rollback deleted every resource it had created (the app's stateful resources are
# RetainExceptOnCreate, which deletes on a rolled-back create); it is an empty record. ROLLBACK_FAILED means something could not be deleted (e.g. a
# database with deletion protection): that stays protected and needs a person
# (docs/bootstrap.md, "After a failed first create").
#
# Permissions: the deploy role the assembly names for the stack (`assumeRoleArn`, the
# bootstrap template's DeploymentActionRole, cdk-<qualifier>-deploy-role-<account>-<region>)
# has AWSCloudFormationReadOnlyAccess (DescribeStacks) and, in its CliPermissions statement,
# cloudformation:UpdateTerminationProtection (node_modules/aws-cdk/lib/api/bootstrap/
# bootstrap-template.yaml). The build's own role may only assume the bootstrap roles.
# sts:GetCallerIdentity needs no permission; it gives the partition for the role ARN's
# ${AWS::Partition} placeholder, as the CLI resolves it.
#
# Runs in CodeBuild (bash, AWS CLI v2, node). Exits non-zero on any error other than a
# stack that does not exist yet.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 <cloud assembly dir> <stack name>..." >&2
  exit 2
fi
assembly=$1
shift

# One line per stack: name, region, deploy role ARN (with ${AWS::Partition} unresolved).
plan=$(node -e '
  const [manifestFile, ...names] = process.argv.slice(1);
  const artifacts = require(require("path").resolve(manifestFile)).artifacts ?? {};
  const stacks = Object.entries(artifacts).filter(([, a]) => a.type === "aws:cloudformation:stack");
  for (const name of names) {
    const found = stacks.find(([id, a]) => (a.properties?.stackName ?? id) === name);
    if (!found) { console.error(`${name}: no such stack in ${manifestFile}`); process.exit(1); }
    const [, artifact] = found;
    const region = /^aws:\/\/[^/]+\/(.+)$/.exec(artifact.environment ?? "")?.[1];
    const role = artifact.properties?.assumeRoleArn;
    if (!region || region === "unknown-region" || !role) { console.error(`${name}: the assembly names no region or deploy role`); process.exit(1); }
    console.log([name, region, role].join("\t"));
  }
' "$assembly/manifest.json" "$@")

partition=$(aws sts get-caller-identity --query Arn --output text | cut -d: -f2)
declare -A credentials=()
err=$(mktemp)
trap 'rm -f "$err"' EXIT
key='' secret='' token=''
# The deploy role's credentials, set per stack below, for its calls only: environment
# variables come before the container credentials in the AWS CLI's order, and `cdk deploy`
# afterwards runs with the build's own role, as before.
as_deploy_role() { AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token aws "$@"; }

# The plan on descriptor 3, so that nothing in the loop can read it from stdin.
while IFS=$'\t' read -r -u 3 stack region role; do
  role=${role//'${AWS::Partition}'/$partition}
  if [ -z "${credentials[$role]:-}" ]; then
    credentials[$role]=$(aws sts assume-role --region "$region" --role-arn "$role" --role-session-name unprotect-failed-creates \
      --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
  fi
  read -r key secret token <<< "${credentials[$role]}"

  if ! state=$(as_deploy_role cloudformation describe-stacks --region "$region" --stack-name "$stack" \
      --query 'Stacks[0].[StackStatus,EnableTerminationProtection]' --output text 2> "$err"); then
    if grep -q 'does not exist' "$err"; then
      echo "$stack ($region): not created yet"
      continue
    fi
    cat "$err" >&2
    exit 1
  fi
  read -r status protected <<< "$state"
  if [ "$status" = ROLLBACK_COMPLETE ] && [ "$protected" = True ]; then
    as_deploy_role cloudformation update-termination-protection --region "$region" --stack-name "$stack" --no-enable-termination-protection > /dev/null
    echo "$stack ($region): ROLLBACK_COMPLETE after a failed first create; termination protection turned off so the CLI can delete and create it again (it turns protection back on)"
  elif [ "$status" = ROLLBACK_FAILED ]; then
    echo "$stack ($region): ROLLBACK_FAILED, left protected: clean up as docs/bootstrap.md says (After a failed first create)" >&2
  else
    echo "$stack ($region): $status, termination protection ${protected}: nothing to do"
  fi
done 3<<< "$plan"
