import { CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Shortest reason accepted: long enough to say why the finding is safe here. */
export const MIN_REASON_LENGTH = 40;

/**
 * The plugins whose findings may be acknowledged. A prefix routes the
 * acknowledgement through CDK's validation report, which records it with its reason.
 */
const RULE_NAMESPACES = ['AwsSolutions', 'NIST.800.53.R5', 'cdk-validator-cfnguard', 'webtier-org-rules', 'CloudFormation-Validate', 'Annotation'];

/** One acknowledged finding: the rule (for IAM5 with its `[Action::…]`/`[Resource::…]` entry) and why it is safe. */
export interface Acknowledgement {
  /** Rule id with its plugin namespace, as synth prints it: `AwsSolutions::AwsSolutions-IAM4[Policy::…]`, `cdk-validator-cfnguard::lambda_inside_vpc_check`. */
  readonly id: string;
  /** Why this resource may break the rule. */
  readonly reason: string;
}

/** An acknowledgement the rules refuse; its message is one line naming the resource and the rule. */
export class AcknowledgementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcknowledgementError';
  }
}

/**
 * The one CloudFormation resource an acknowledgement on `construct` covers: the construct itself
 * when it is one, else its default child (an L2's `Resource`). An acknowledgement covers everything
 * under its path, so one on an L2 with more resources (a bucket and its policy, an instance and its
 * subnet group) would also cover findings on the others.
 */
function acknowledgedResource(construct: IConstruct): CfnResource {
  const path = construct.node.path;
  if (Stack.isStack(construct) || Stage.isStage(construct) || construct.node.scope === undefined) {
    throw new AcknowledgementError(`Acknowledgements must name one resource, not the stack or app at "${path}"`);
  }
  if (CfnResource.isCfnResource(construct)) return construct;
  const defaultChild = construct.node.defaultChild;
  if (defaultChild && CfnResource.isCfnResource(defaultChild)) return defaultChild;
  const held = construct.node.findAll().filter((c) => CfnResource.isCfnResource(c));
  if (held.length === 1) return held[0] as CfnResource;
  if (held.length === 0) throw new AcknowledgementError(`Acknowledgement target "${path}" holds no CloudFormation resource`);
  throw new AcknowledgementError(`Acknowledgement target "${path}" holds ${held.length} CloudFormation resources and no default one: acknowledge the one the finding is on`);
}

/**
 * Acknowledges findings on one CloudFormation resource: `resource` itself, or its default child.
 * Refuses stacks, stages and the app (a blanket acknowledgement), constructs that hold no resource
 * or several without a default one, and short reasons.
 */
export function acknowledge(resource: IConstruct, ...acknowledgements: Acknowledgement[]): void {
  const target = acknowledgedResource(resource);
  const path = target.node.path;
  for (const { id, reason } of acknowledgements) {
    if (!RULE_NAMESPACES.some((namespace) => id.startsWith(`${namespace}::`))) {
      throw new AcknowledgementError(`Acknowledgement "${id}" on "${path}" must start with its plugin namespace (${RULE_NAMESPACES.map((n) => `${n}::`).join(', ')})`);
    }
    if (reason.trim().length < MIN_REASON_LENGTH) {
      throw new AcknowledgementError(`Acknowledgement of ${id} on "${path}" needs a reason of at least ${MIN_REASON_LENGTH} characters`);
    }
    // A construct annotation is a warning on the construct that added it (an L2), not on a resource.
    Validations.of(id.startsWith('Annotation::') ? resource : target).acknowledge({ id, reason });
  }
}

/**
 * A value (an ARN, say) as cdk-nag prints it in an IAM5 finding's `[Resource::…]`: references in
 * it become `<AWS::Partition>`, `<LogicalId>` or `<LogicalId.Attribute>`.
 */
export function asNagShowsIt(scope: IConstruct, value: string): string {
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const ref = (part as { Ref?: string }).Ref;
    if (ref) return `<${ref}>`;
    const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
    const join = (part as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(render).join(join[0]);
    throw new AcknowledgementError(`Cannot show ${JSON.stringify(part)} as cdk-nag does`);
  };
  return render(Stack.of(scope).resolve(value));
}
