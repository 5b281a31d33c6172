import { readFileSync } from 'node:fs';
import { Stack, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport, type PolicyViolation } from 'aws-cdk-lib';
import { ENVIRONMENT_NAME, REGIONS } from '../config/schema';
import { MANDATORY_TAG_KEYS } from '../tagging';
import { tagInformationOf } from './taggability';

/** The plugin's name, and the namespace of its rule ids in acknowledgements (`webtier-org-rules::…`). */
export const ORG_RULES_PLUGIN_NAME = 'webtier-org-rules';

/** Stack names the organisation accepts: `<environment>-<service>-<region|global>`. */
export const STACK_NAME_PATTERN = new RegExp(
  `^${ENVIRONMENT_NAME.source.slice(1, -1)}-(network|data|app|monitoring|dns|pipeline)-(${[...REGIONS, 'global'].join('|')})$`,
);

/** Properties that set a physical name, per resource type. Names AWS derives itself are not listed. */
const NAME_PROPERTIES: Record<string, string[]> = {
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['Name'],
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['Name'],
  'AWS::RDS::DBInstance': ['DBInstanceIdentifier'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::CloudWatch::Dashboard': ['DashboardName'],
  'AWS::WAFv2::WebACL': ['Name'],
  'AWS::SSM::Document': ['Name'],
  'AWS::SSM::Parameter': ['Name'],
  'AWS::Backup::BackupVault': ['BackupVaultName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::CodePipeline::Pipeline': ['Name'],
  'AWS::CodeBuild::Project': ['Name'],
  'AWS::AutoScaling::AutoScalingGroup': ['AutoScalingGroupName'],
  'AWS::EC2::LaunchTemplate': ['LaunchTemplateName'],
};

/** Prefixes AWS requires in front of a name, after which the organisation's name follows. */
const MANDATED_PREFIXES = [
  // RDS writes exported logs to /aws/rds/instance/<instance id>/<log>.
  '/aws/rds/instance/',
  // WAF delivers logs only to log groups named aws-waf-logs-*.
  'aws-waf-logs-',
];

/** Security-group ingress the internet may have: the load balancer's HTTPS, and HTTP for its redirect. */
const PUBLIC_PORTS = new Set([80, 443]);

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** One rule broken by one resource. */
export interface OrgRuleFinding {
  /** Rule id, without the plugin namespace. */
  readonly rule: 'MandatoryTags' | 'NamingConvention' | 'NoWildcardActions' | 'NoOpenIngress';
  /** The resource's logical id, or undefined for the stack itself. */
  readonly logicalId?: string;
  /** What is wrong. */
  readonly message: string;
}

const RULE_DESCRIPTIONS: Record<OrgRuleFinding['rule'], string> = {
  MandatoryTags: 'Every taggable resource carries environment, project, owner and cost_center.',
  NamingConvention: 'Stack names and physical names follow <environment>-<service>-<region>.',
  NoWildcardActions: 'No IAM policy allows "*" or "service:*" actions.',
  NoOpenIngress: "No security group takes ingress from 0.0.0.0/0 or ::/0, except the load balancer's 80 and 443.",
};

const isLiteral = (value: unknown): value is string => typeof value === 'string';

function tagKeys(resource: Resource, property: string): string[] {
  const tags = resource.Properties?.[property];
  if (Array.isArray(tags)) return tags.map((t: { Key?: string }) => t.Key ?? '');
  return tags && typeof tags === 'object' ? Object.keys(tags) : [];
}

function checkTags(id: string, resource: Resource): OrgRuleFinding[] {
  const tagging = tagInformationOf(resource.Type);
  if (!tagging) return [];
  const keys = tagKeys(resource, tagging.tagPropertyName);
  const missing = MANDATORY_TAG_KEYS.filter((key) => !keys.includes(key));
  return missing.length ? [{ rule: 'MandatoryTags', logicalId: id, message: `${resource.Type} lacks tag(s) ${missing.join(', ')}` }] : [];
}

function checkNames(stackName: string, id: string, resource: Resource): OrgRuleFinding[] {
  return (NAME_PROPERTIES[resource.Type] ?? []).flatMap((property) => {
    const name = resource.Properties?.[property];
    if (!isLiteral(name)) return [];
    const unprefixed = MANDATED_PREFIXES.reduce((n, prefix) => (n.startsWith(prefix) ? n.slice(prefix.length) : n), name);
    const ok = unprefixed === stackName || unprefixed.startsWith(`${stackName}-`) || unprefixed.startsWith(`${stackName}/`);
    return ok ? [] : [{ rule: 'NamingConvention' as const, logicalId: id, message: `${property} "${name}" does not start with "${stackName}"` }];
  });
}

/** Allow statements of identity policies: what a principal of this app may do. */
function identityStatements(resource: Resource): Array<{ Effect?: string; Action?: unknown }> {
  const documents: unknown[] = [];
  if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') documents.push(resource.Properties?.PolicyDocument);
  if (resource.Type === 'AWS::IAM::Role' || resource.Type === 'AWS::IAM::User' || resource.Type === 'AWS::IAM::Group') {
    for (const policy of (resource.Properties?.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []) documents.push(policy.PolicyDocument);
  }
  return documents.flatMap((document) => [(document as { Statement?: unknown })?.Statement ?? []].flat()) as Array<{ Effect?: string; Action?: unknown }>;
}

function checkActions(id: string, resource: Resource): OrgRuleFinding[] {
  return identityStatements(resource)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => [statement.Action ?? []].flat().filter(isLiteral))
    .filter((action) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action))
    .map((action) => ({ rule: 'NoWildcardActions' as const, logicalId: id, message: `allows action "${action}"` }));
}

interface IngressRule {
  CidrIp?: unknown;
  CidrIpv6?: unknown;
  FromPort?: unknown;
  ToPort?: unknown;
}

function checkIngress(resources: Record<string, Resource>): OrgRuleFinding[] {
  const loadBalancerGroups = new Set(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && (r.Properties?.Type ?? 'application') === 'application')
      .flatMap((r) => (r.Properties?.SecurityGroups as unknown[] | undefined) ?? [])
      .map((group) => (group as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0]),
  );
  const rules: Array<[string, string | undefined, IngressRule]> = Object.entries(resources).flatMap(([id, r]) => {
    if (r.Type === 'AWS::EC2::SecurityGroup') return ((r.Properties?.SecurityGroupIngress as IngressRule[] | undefined) ?? []).map((rule) => [id, id, rule] as [string, string, IngressRule]);
    if (r.Type === 'AWS::EC2::SecurityGroupIngress') {
      const group = (r.Properties?.GroupId as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
      return [[id, group, r.Properties as IngressRule] as [string, string | undefined, IngressRule]];
    }
    return [];
  });
  return rules.flatMap(([id, group, rule]) => {
    if (rule.CidrIp !== '0.0.0.0/0' && rule.CidrIpv6 !== '::/0') return [];
    const publicPort = rule.FromPort === rule.ToPort && PUBLIC_PORTS.has(rule.FromPort as number);
    if (publicPort && group !== undefined && loadBalancerGroups.has(group)) return [];
    return [{ rule: 'NoOpenIngress' as const, logicalId: id, message: `takes ports ${String(rule.FromPort)}-${String(rule.ToPort)} from the internet` }];
  });
}

/** Every organisation rule broken by one synthesized stack. */
export function evaluateTemplate(stackName: string, template: { Resources?: Record<string, Resource> }): OrgRuleFinding[] {
  const resources = template.Resources ?? {};
  const findings: OrgRuleFinding[] = STACK_NAME_PATTERN.test(stackName)
    ? []
    : [{ rule: 'NamingConvention', message: `stack name "${stackName}" is not <environment>-<service>-<region|global>` }];
  for (const [id, resource] of Object.entries(resources)) {
    findings.push(...checkTags(id, resource), ...checkNames(stackName, id, resource), ...checkActions(id, resource));
  }
  findings.push(...checkIngress(resources));
  return findings;
}

/**
 * The organisation's own rules, run on every synthesized template like the
 * cdk-nag packs: a finding fails synth unless acknowledged on its resource.
 */
export class OrganisationRules implements IPolicyValidationPlugin {
  public readonly name = ORG_RULES_PLUGIN_NAME;
  public readonly ruleIds = Object.keys(RULE_DESCRIPTIONS);

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = new Map<string, PolicyViolation & { violatingResources: PolicyViolation['violatingResources'][number][] }>();
    for (const { stackConstructPath, templatePath } of context.stackTemplates) {
      const stack = context.appConstruct.node.findChild(stackConstructPath);
      const stackName = Stack.isStack(stack) ? stack.stackName : stackConstructPath;
      for (const finding of evaluateTemplate(stackName, JSON.parse(readFileSync(templatePath, 'utf8')))) {
        const violation = violations.get(finding.rule) ?? {
          ruleName: finding.rule,
          description: RULE_DESCRIPTIONS[finding.rule],
          severity: 'error',
          violatingResources: [],
        };
        violation.violatingResources.push({
          templatePath,
          resourceLogicalId: finding.logicalId,
          constructPath: finding.logicalId ? undefined : stackConstructPath,
          locations: [finding.message],
        });
        violations.set(finding.rule, violation);
      }
    }
    return { success: violations.size === 0, violations: [...violations.values()] };
  }
}
