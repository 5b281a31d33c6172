import { CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Shortest reason accepted: long enough to say why the finding is safe here. */
export const MIN_REASON_LENGTH = 40;

/** One acknowledged finding: the rule (for IAM5 with its `[Action::…]`/`[Resource::…]` entry) and why it is safe. */
export interface Acknowledgement {
  /** Rule id, e.g. `AwsSolutions-L1` or `cdk-validator-cfnguard::CT.LAMBDA.PR.2`. */
  readonly id: string;
  /** Why this resource may break the rule. */
  readonly reason: string;
}

/**
 * Acknowledges findings on one resource. Refuses stacks, stages and the app (a
 * blanket acknowledgement), constructs that hold no resource, and short reasons.
 */
export function acknowledge(resource: IConstruct, ...acknowledgements: Acknowledgement[]): void {
  const path = resource.node.path;
  if (Stack.isStack(resource) || Stage.isStage(resource) || resource.node.scope === undefined) {
    throw new Error(`Acknowledgements must name one resource, not the stack or app at "${path}"`);
  }
  if (!resource.node.findAll().some((c) => CfnResource.isCfnResource(c))) {
    throw new Error(`Acknowledgement target "${path}" holds no CloudFormation resource`);
  }
  for (const { id, reason } of acknowledgements) {
    if (reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`Acknowledgement of ${id} on "${path}" needs a reason of at least ${MIN_REASON_LENGTH} characters`);
    }
    Validations.of(resource).acknowledge({ id, reason });
  }
}
