import { ArnFormat, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { checkName } from '../naming';
import { EncryptionKey } from './encryption-key';

/** AWS managed rule groups the web ACL runs, in priority order. */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'] as const;

export interface WebAclProps {
  /** The load balancer the ACL protects. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The ACL's name, also the start of its metric names and of its log group's name. */
  readonly webAclName: string;
  /** Requests one IP may make in 5 minutes before it is blocked. */
  readonly rateLimitPer5Minutes: number;
  /** How long WAF logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Removal policy of the log group and its key. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A regional WAFv2 web ACL on the load balancer: AWS managed rules for common
 * exploits, known bad inputs and IP reputation, a per-IP rate limit, and its
 * logs in an encrypted log group.
 */
export class WebAcl extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.webAclName}-${metricName}`,
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.webAclName,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('all'),
      rules: [
        ...MANAGED_RULE_GROUPS.map((group, priority) => ({
          name: group,
          priority,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group } },
          visibilityConfig: visibility(group),
        })),
        {
          name: 'RateLimitPerIp',
          priority: MANAGED_RULE_GROUPS.length,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-limit'),
        },
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF only delivers to log groups whose name starts with aws-waf-logs-.
    const logGroupName = checkName('logGroup', `aws-waf-logs-${props.webAclName}`);
    const key = new EncryptionKey(this, 'LogKey', { description: `Encrypts the WAF logs in ${logGroupName}`, removalPolicy: props.removalPolicy });
    key.allowLogGroups(logGroupName);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    }).node.addDependency(logGroup);
  }
}
