#!/usr/bin/env bash
# Sets the CloudFormation stack policies of one deploy wave, so that CloudFormation itself
# refuses to replace or delete a stateful resource (or one it depends on) that review has not
# acknowledged: docs/change-review.md, "Stack policies".
#
# Usage: bash scripts/apply-stack-policies.sh before|after <env> <cloud assembly dir> <stack>...
#
# The pipeline's deploy step runs `before` ahead of `cdk deploy` of the wave and `after` in the
# build phase's `finally` block, so it runs whether the deploy succeeded or failed:
# - before: fetches the template CloudFormation holds for every stack of the environment
#   (scripts/fetch-deployed-templates.sh, through the lookup role), reviews the assembly against
#   it (scripts/stack-policies.ts, with review/acknowledged-changes.json) and writes both
#   phases' policies to $STACK_POLICY_DIR (default ./stack-policies); then sets on each of the
#   wave's deployed stacks its policy with the acknowledged replacements and removals exempt.
#   `cdk deploy` cannot pass --stack-policy-during-update-body, hence a policy set before the
#   deploy and replaced after it.
# - after: sets on each of the wave's stacks the strict policy `before` wrote (no exemption):
#   on a stack the deploy just created, its first policy.
# A stack that does not exist, or that a failed first create left in ROLLBACK_COMPLETE (the
# CLI deletes and creates it again, scripts/unprotect-failed-creates.sh), is skipped.
#
# Permissions: cloudformation:DescribeStacks and cloudformation:SetStackPolicy on the app's
# stacks, granted to the deploy step's own CodeBuild role (lib/constructs/deploy-pipeline.ts):
# the CDK bootstrap deploy role has no SetStackPolicy. Runs in CodeBuild (bash, AWS CLI v2,
# node); `before` needs the source with its node_modules (npm ci) next to this script.
set -euo pipefail

usage="usage: bash scripts/apply-stack-policies.sh before|after <env> <cloud assembly dir> <stack>..."
if [ "$#" -lt 4 ] || { [ "$1" != before ] && [ "$1" != after ]; }; then
  echo "$usage" >&2
  exit 2
fi
phase=$1 env_name=$2 assembly=$(cd "$3" && pwd)
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${STACK_POLICY_DIR:-stack-policies}
mkdir -p "$work"
work=$(cd "$work" && pwd)

if [ "$phase" = before ]; then
  rm -rf "$work/deployed"
  bash "$root/scripts/fetch-deployed-templates.sh" "$env_name" "$work/deployed" "$assembly"
  (cd "$root" && node_modules/.bin/tsx scripts/stack-policies.ts "$env_name" "$work/deployed" "$assembly" "$work/policies" "$@")
elif [ ! -f "$work/policies/regions.tsv" ]; then
  echo "apply-stack-policies: no policies in $work/policies: the before step did not write them, so no stack's policy changed" >&2
  exit 1
fi

err=$(mktemp)
trap 'rm -f "$err"' EXIT
for stack in "$@"; do
  region=$(awk -F '\t' -v name="$stack" '$1 == name { print $2 }' "$work/policies/regions.tsv")
  policy=$work/policies/$phase/$stack.json
  if [ -z "$region" ]; then
    echo "apply-stack-policies: $stack is not one of the stacks the before step wrote policies for" >&2
    exit 1
  fi
  if ! status=$(aws cloudformation describe-stacks --region "$region" --stack-name "$stack" --query 'Stacks[0].StackStatus' --output text 2>"$err"); then
    if grep -q 'does not exist' "$err"; then
      echo "$stack ($region): not created yet, no policy to set"
      continue
    fi
    cat "$err" >&2
    exit 1
  fi
  if [ "$status" = ROLLBACK_COMPLETE ]; then
    echo "$stack ($region): ROLLBACK_COMPLETE after a failed first create, holds nothing; its policy is set after it is created again"
    continue
  fi
  if [ ! -f "$policy" ]; then
    # Only before: the stack did not exist when its template was fetched.
    echo "$stack ($region): created since its template was fetched; its strict policy is set after the deploy"
    continue
  fi
  aws cloudformation set-stack-policy --region "$region" --stack-name "$stack" --stack-policy-body "file://$policy"
  echo "$stack ($region): $phase-deploy stack policy set"
done
