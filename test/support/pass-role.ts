import { synthesized } from './assembly';
import { asList } from './iam';

type Resource = { Type: string; Properties?: Record<string, unknown> };

/**
 * The resource properties through which CloudFormation hands one of the app's roles to a service
 * (the handler calls iam:PassRole with that service as `iam:PassedToService`), by resource type and
 * property path (`[]` for a list element).
 */
export const ROLE_PASSING_PROPERTIES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'AWS::Lambda::Function': { Role: 'lambda.amazonaws.com' },
  // The instance profile's role reaches EC2 through the launch template of the Auto Scaling group.
  'AWS::IAM::InstanceProfile': { 'Roles[]': 'ec2.amazonaws.com' },
  'AWS::Backup::BackupSelection': { 'BackupSelection.IamRoleArn': 'backup.amazonaws.com' },
  'AWS::RDS::DBInstance': { MonitoringRoleArn: 'monitoring.rds.amazonaws.com' },
  'AWS::CodeBuild::Project': { ServiceRole: 'codebuild.amazonaws.com' },
  'AWS::CodePipeline::Pipeline': { RoleArn: 'codepipeline.amazonaws.com' },
  'AWS::ARCRegionSwitch::Plan': { ExecutionRole: 'arc-region-switch.amazonaws.com' },
  'AWS::Synthetics::Canary': { ExecutionRoleArn: 'synthetics.amazonaws.com' },
  'AWS::EC2::FlowLog': { DeliverLogsPermissionArn: 'vpc-flow-logs.amazonaws.com' },
  // The automation's role; the document's registry handler declares iam:PassRole for create and update.
  'AWS::SSM::Document': { 'Content.assumeRole': 'ssm.amazonaws.com' },
};

/** Services that hand a role passed to them on to another service, which assumes it (and which the role trusts). */
export const PASSED_ON_TO: Readonly<Record<string, string>> = {
  // CloudWatch Synthetics creates the canary's Lambda function with the canary's role.
  'synthetics.amazonaws.com': 'lambda.amazonaws.com',
};

/** References to a role that pass it to no service during a deploy, each with why. */
export const NON_PASSING_REFERENCES: Readonly<Record<string, string>> = {
  'AWS::IAM::Policy Roles[]': 'attaches the policy to the role',
  'AWS::IAM::ManagedPolicy Roles[]': 'attaches the policy to the role',
  'AWS::IAM::Policy PolicyDocument.Statement[].Resource': 'names the role in a policy statement (a role that may pass or assume it)',
  'AWS::IAM::ManagedPolicy PolicyDocument.Statement[].Resource': 'names the role in a policy statement (a role that may pass or assume it)',
  'AWS::Lambda::Function Environment.Variables.BACKUP_ROLE_ARN':
    'the Region switch\'s backup function passes this role to AWS Backup when it runs; its permissions boundary allows exactly that',
  'AWS::ARCRegionSwitch::Plan Workflows[].Steps[].ExecutionBlockConfiguration.ExecutionApprovalConfig.ApprovalRole':
    'the approvers assume it (it trusts the account, not a service); the plan only names it',
};

/** One reference from a resource property to a role of the same template. */
export interface RoleReference {
  readonly env: string;
  readonly stack: string;
  /** The referring resource's logical id and type. */
  readonly resource: string;
  readonly type: string;
  /** The property path, intrinsic functions left out (`BackupSelection.IamRoleArn`). */
  readonly path: string;
  /** The role's logical id and the service principals its trust policy names. */
  readonly role: string;
  readonly trusts: string[];
}

/** The service principals a role's trust policy names. */
export function trustedServices(role: Resource): string[] {
  const document = role.Properties?.AssumeRolePolicyDocument as { Statement: Array<{ Principal?: { Service?: string | string[] } }> };
  return document.Statement.flatMap((s) => asList(s.Principal?.Service));
}

/** Every reference (`Ref`, `Fn::GetAtt [role, Arn]`) from a resource's properties to a role of its template, in `envName`'s templates. */
export function roleReferences(envName: string): RoleReference[] {
  const assembly = synthesized(envName);
  const references: RoleReference[] = [];
  for (const stack of assembly.stackNames) {
    const resources = assembly.template(stack).toJSON().Resources as Record<string, Resource>;
    const roles = new Set(Object.keys(resources).filter((id) => resources[id].Type === 'AWS::IAM::Role'));
    for (const [id, resource] of Object.entries(resources)) {
      const walk = (value: unknown, path: string[]): void => {
        if (Array.isArray(value)) {
          value.forEach((item) => walk(item, [...path, '[]']));
        } else if (value && typeof value === 'object') {
          const object = value as Record<string, unknown>;
          const ref = object.Ref ?? (Array.isArray(object['Fn::GetAtt']) ? (object['Fn::GetAtt'] as string[])[0] : undefined);
          if (typeof ref === 'string' && roles.has(ref)) {
            const intrinsic = path.findIndex((p) => p.startsWith('Fn::'));
            const clean = intrinsic < 0 ? path : path.slice(0, intrinsic);
            references.push({
              env: envName,
              stack,
              resource: id,
              type: resource.Type,
              path: clean.join('.').replace(/\.\[\]/g, '[]'),
              role: ref,
              trusts: trustedServices(resources[ref]),
            });
            return;
          }
          for (const [key, child] of Object.entries(object)) walk(child, [...path, key]);
        }
      };
      walk(resource.Properties ?? {}, []);
    }
  }
  return references;
}

/** The service a reference passes its role to, if it passes it at all. */
export function passedTo(reference: RoleReference): string | undefined {
  return ROLE_PASSING_PROPERTIES[reference.type]?.[reference.path];
}

/** Every role of `envName`'s templates, with the service principals it trusts. */
export function rolesOf(envName: string): Array<{ stack: string; role: string; trusts: string[] }> {
  const assembly = synthesized(envName);
  return assembly.stackNames.flatMap((stack) =>
    Object.entries(assembly.template(stack).toJSON().Resources as Record<string, Resource>)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .map(([role, resource]) => ({ stack, role, trusts: trustedServices(resource) })),
  );
}
