import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** Who may assume a `ManagedPolicyRole` and what it is for. */
export interface ManagedPolicyRoleProps {
  /** Who may assume the role. */
  readonly assumedBy: iam.IPrincipal;
  /** What the role is for, shown in the IAM console. */
  readonly description: string;
}

/**
 * An IAM role whose `grant*()` permissions land in one customer-managed policy
 * attached to it, instead of the inline `DefaultPolicy` an `iam.Role` writes
 * (NIST 800-53 R5 IAMNoInlinePolicy). The policy serves this role only.
 */
export class ManagedPolicyRole extends iam.Role {
  private policy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ManagedPolicyRoleProps) {
    super(scope, id, { assumedBy: props.assumedBy, description: props.description });
  }

  /** The managed policy that holds the role's permissions, once any is granted. */
  public get permissions(): iam.ManagedPolicy | undefined {
    return this.policy;
  }

  public override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy ??= new iam.ManagedPolicy(this, 'Policy', {
      description: `Permissions of ${this.node.path}`,
      roles: [this],
    });
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
