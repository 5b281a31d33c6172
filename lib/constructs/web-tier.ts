import { Duration, Lazy, Stack, Tags, type CfnElement, type RemovalPolicy } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import { checkName } from '../naming';
import { AccessLogBucket } from './access-log-bucket';
import { LIVENESS_CHECK_PATH, webServerUserData } from './web-server-user-data';

/** Where the instances may open connections to, besides HTTPS to AWS APIs through the NAT. */
export interface DatabaseAccess {
  /** The database's security group; this construct adds ingress from the instances to it. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The database port. */
  readonly port: number;
  /** The credentials the instances may read: username and password only, never the `host` in them. */
  readonly secret: secretsmanager.ISecret;
  /** The region's own database instance (writer or replica), which the instances read from while the region has no writer. */
  readonly hostname: string;
  /** The SSM parameter naming the region's writer; the instances may read it and nothing else in Parameter Store. */
  readonly writerParameterName: string;
}

export interface WebTierProps {
  /** The region's VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets for the load balancer. */
  readonly publicSubnets: ec2.SubnetSelection;
  /** Subnets for the instances. */
  readonly appSubnets: ec2.SubnetSelection;
  /** The TLS certificate of the HTTPS listener. */
  readonly certificate: acm.ICertificate;
  /** The database the instances connect to. */
  readonly database: DatabaseAccess;
  /** Instance types in order of preference, all of the AMI's architecture. */
  readonly instanceTypes: string[];
  /** The AMI the instances boot, pinned so that only a reviewed change replaces them. */
  readonly amiId: string;
  /** The port the application listens on. */
  readonly appPort: number;
  /** Group size. */
  readonly minCapacity: number;
  /** Group size at deploy time. */
  readonly desiredCapacity: number;
  /** Group size ceiling. */
  readonly maxCapacity: number;
  /**
   * Time a new instance has before failing health checks replace it; it also bounds
   * how long the instance waits for its own `/health` before it signals failure.
   */
  readonly healthCheckGracePeriod: Duration;
  /** Refuse to delete the load balancer (prod). */
  readonly deletionProtection: boolean;
  /** How long the load balancer's access logs are kept; whole days. */
  readonly accessLogRetention: Duration;
  /** What happens to the access-log bucket when it leaves the stack or is replaced. */
  readonly removalPolicy: RemovalPolicy;
  /** The load balancer's name. */
  readonly loadBalancerName: string;
  /** Start of the Name tags of the security groups (`<namePrefix>-alb`, `-instances`) and instances (`-instance`). */
  readonly namePrefix: string;
}

/**
 * An internet-facing ALB (HTTPS with a TLS 1.3 policy, HTTP redirected, access
 * logs, invalid headers dropped) in front of an Auto Scaling group spread over
 * the private subnets of every AZ, with instances that allow only Session Manager
 * access and only the traffic the tier needs.
 */
export class WebTier extends Construct {
  /** The load balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The instances' target group. */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The instances. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The load balancer's security group. */
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The instances' security group. */
  public readonly instanceSecurityGroup: ec2.SecurityGroup;
  /** The instances' role. */
  public readonly instanceRole: iam.Role;
  /** The region's writer parameter, as the instances read it. */
  public readonly writerParameter: ssm.IStringParameter;

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id);
    const nameTag = (purpose: string) => checkName('nameTag', `${props.namePrefix}-${purpose}`);

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'Internet to the load balancer on 443 and 80 (redirect); out only to the instances',
      allowAllOutbound: false,
    });
    this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the internet');
    this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from the internet, redirected to HTTPS');
    acknowledge(this.loadBalancerSecurityGroup, {
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: 'This is the internet-facing load balancer: it must accept 443 (and 80, only to redirect to 443) from everyone; no other port is open and WAF filters the traffic.',
    });
    Tags.of(this.loadBalancerSecurityGroup).add('Name', nameTag('alb'));

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'Instances: the app port from the load balancer; out to HTTPS and the database only',
      allowAllOutbound: false,
    });
    this.instanceSecurityGroup.addIngressRule(this.loadBalancerSecurityGroup, ec2.Port.tcp(props.appPort), 'App port from the load balancer');
    this.loadBalancerSecurityGroup.addEgressRule(this.instanceSecurityGroup, ec2.Port.tcp(props.appPort), 'To the instances');
    this.instanceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (Session Manager, Secrets Manager, CloudWatch)');
    this.instanceSecurityGroup.addEgressRule(props.database.securityGroup, ec2.Port.tcp(props.database.port), 'To the database');
    Tags.of(this.instanceSecurityGroup).add('Name', nameTag('instances'));

    // The rule lives in this stack, on an imported copy of the database's group: the
    // data stack cannot reference this stack, which already depends on it for the secret.
    const databaseSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSecurityGroup', props.database.securityGroup.securityGroupId, {
      allowAllOutbound: false,
    });
    databaseSecurityGroup.addIngressRule(this.instanceSecurityGroup, ec2.Port.tcp(props.database.port), 'PostgreSQL from the app instances');

    this.writerParameter = ssm.StringParameter.fromStringParameterName(this, 'WriterParameter', props.database.writerParameterName);
    this.instanceRole = this.createInstanceRole(props.database.secret);
    this.autoScalingGroup = this.createAutoScalingGroup(props, nameTag('instance'));
    this.loadBalancer = this.createLoadBalancer(props);
    this.targetGroup = this.createListeners(props);
  }

  /** Session Manager, the CloudWatch agent, the database secret and the writer parameter; the group adds signalling its own stack. */
  private createInstanceRole(secret: secretsmanager.ISecret): iam.Role {
    const role = new iam.Role(this, 'InstanceRole', {
      description: 'Web tier instances: Session Manager, CloudWatch agent, database secret, writer parameter',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'),
      ],
    });
    // Grants on references owned by this stack: a grant on the data stack's own secret writes
    // this role into its key policy and makes the data stack depend on this one. The key ARN
    // is rebuilt in this stack's account and region so CDK sees a same-account grant and puts
    // kms:Decrypt on the role (the key policy already lets the account's IAM policies use the key).
    if (secret.secretFullArn) {
      secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', secret.secretFullArn).grantRead(role);
    } else {
      secret.grantRead(role);
    }
    if (secret.encryptionKey) {
      const keyArn = Stack.of(this).formatArn({ service: 'kms', resource: 'key', resourceName: secret.encryptionKey.keyId });
      kms.Key.fromKeyArn(this, 'DatabaseSecretKey', keyArn).grantDecrypt(role);
    }
    this.writerParameter.grantRead(role);
    const grantPolicy = role.node.findChild('DefaultPolicy');
    acknowledge(grantPolicy, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
      reason: "This inline policy holds only what the grants write: reading this one secret and decrypting it through Secrets Manager, reading this region's one writer parameter, and cloudformation:SignalResource on this stack alone (the group's signals); it lives and dies with the role and no other principal could reuse it.",
    });
    acknowledge(
      role,
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
        reason: 'AWS maintains the exact set of SSM calls Session Manager needs; it replaces SSH, so no key pair or port 22 exists on these instances.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]',
        reason: 'AWS maintains the calls the CloudWatch agent makes to publish metrics and logs; it grants no write access to anything but CloudWatch.',
      },
    );
    return role;
  }

  private createAutoScalingGroup(props: WebTierProps, instanceName: string): autoscaling.AutoScalingGroup {
    const stack = Stack.of(this);
    const [preferred, ...fallbacks] = props.instanceTypes.map((type) => new ec2.InstanceType(type));
    // The group's logical ID is known only once it exists; the launch template renders its user data at synth.
    const groupLogicalId = Lazy.string({ produce: () => stack.getLogicalId(group.node.defaultChild as CfnElement) });
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.genericLinux({ [stack.region]: props.amiId }),
      userData: webServerUserData({
        port: props.appPort,
        region: stack.region,
        signal: { stackName: stack.stackName, logicalId: groupLogicalId, region: stack.region, healthWait: props.healthCheckGracePeriod },
        database: {
          writerParameterName: props.database.writerParameterName,
          secretArn: props.database.secret.secretArn,
          localHostname: props.database.hostname,
          port: props.database.port,
        },
      }),
      role: this.instanceRole,
      securityGroup: this.instanceSecurityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(20, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true, deleteOnTermination: true }),
        },
      ],
    });

    const group = new autoscaling.AutoScalingGroup(this, 'Instances', {
      vpc: props.vpc,
      vpcSubnets: props.appSubnets,
      mixedInstancesPolicy: {
        launchTemplate,
        launchTemplateOverrides: [preferred, ...fallbacks].map((instanceType) => ({ instanceType })),
        instancesDistribution: {
          onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
          onDemandPercentageAboveBaseCapacity: 100,
        },
      },
      minCapacity: props.minCapacity,
      desiredCapacity: props.desiredCapacity,
      maxCapacity: props.maxCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: props.healthCheckGracePeriod,
      }),
      // Creation waits for a signal from every instance of the desired capacity; a rolling
      // update waits for each new instance's, pausing at most the same time (PauseTime).
      signals: autoscaling.Signals.waitForAll({ timeout: signalTimeout(props.healthCheckGracePeriod) }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        // Full capacity serves throughout: each new instance is launched, and signals, before an old one goes.
        minInstancesInService: props.desiredCapacity,
        // Health checks, replacement of unhealthy instances and CPU scaling keep working during a
        // rollout; only processes that would move instances on their own account are held.
        suspendProcesses: [autoscaling.ScalingProcess.AZ_REBALANCE, autoscaling.ScalingProcess.SCHEDULED_ACTIONS],
      }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    // VPCZoneIdentifier already spreads the group over every AZ; naming the AZs too makes that
    // explicit to AWS Control Tower's CT.AUTOSCALING.PR.1, and CloudFormation requires them to match.
    (group.node.defaultChild as autoscaling.CfnAutoScalingGroup).availabilityZones = props.vpc.selectSubnets(props.appSubnets).availabilityZones;
    Tags.of(group).add('Name', instanceName, { applyToLaunchedInstances: true });
    acknowledge(group, {
      id: 'AwsSolutions::AwsSolutions-AS3',
      reason: "Scaling and health are watched by CloudWatch alarms on the group's CPU and the target group's healthy hosts, which notify the environment's SNS topic; launch notifications per instance would repeat them.",
    });
    const ruleCannotSeeLaunchTemplate =
      'The rule reads only a launch template named directly on the group, not one inside MixedInstancesPolicy; this launch template requires IMDSv2 and encrypts the gp3 root volume, which the tests assert.';
    acknowledge(
      group,
      { id: 'AwsSolutions::AwsSolutions-EC26', reason: ruleCannotSeeLaunchTemplate },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-EC2IMDSv2Enabled', reason: ruleCannotSeeLaunchTemplate },
    );
    acknowledge(group, {
      id: 'Annotation::@aws-cdk/aws-autoscaling:desiredCapacitySet',
      reason: 'Desired capacity comes from config on purpose: every deploy resets the group to that baseline, and the CPU step scaling adds capacity back within one evaluation window if the load is still there.',
    });
    return group;
  }

  private createLoadBalancer(props: WebTierProps): elbv2.ApplicationLoadBalancer {
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.publicSubnets,
      internetFacing: true,
      securityGroup: this.loadBalancerSecurityGroup,
      loadBalancerName: props.loadBalancerName,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
    });
    const logs = new AccessLogBucket(this, 'AccessLogs', { expiration: props.accessLogRetention, removalPolicy: props.removalPolicy });
    loadBalancer.logAccessLogs(logs.bucket);
    if (!props.deletionProtection) {
      const reason = 'Deletion protection is off only where config marks the environment disposable (dev, test); protectStatefulResources, which the schema forces on in prod, turns it on.';
      acknowledge(
        loadBalancer,
        { id: 'NIST.800.53.R5::NIST.800.53.R5-ELBDeletionProtectionEnabled', reason },
        { id: 'cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check', reason },
      );
    }
    return loadBalancer;
  }

  /** HTTPS to the instances; HTTP answered with a redirect to HTTPS. */
  private createListeners(props: WebTierProps): elbv2.ApplicationTargetGroup {
    const https = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [props.certificate],
      sslPolicy: elbv2.SslPolicy.TLS13_RES,
      open: false,
    });
    const targetGroup = https.addTargets('Instances', {
      port: props.appPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.autoScalingGroup],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: LIVENESS_CHECK_PATH,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });
    const redirect = this.loadBalancer.addRedirect({
      sourcePort: 80,
      sourceProtocol: elbv2.ApplicationProtocol.HTTP,
      targetPort: 443,
      targetProtocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
    });
    acknowledge(redirect, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-ELBv2ACMCertificateRequired',
      reason: 'The port 80 listener only answers with a permanent redirect to HTTPS and forwards nothing, so it has no use for a certificate; the 443 listener uses the ACM certificate.',
    });
    return targetGroup;
  }
}

/** Launch, OS boot and the boot script before its health wait: usually 1–3 minutes on AL2023; 5 leave room for a slow launch or the dnf fallback. */
const BOOT_ALLOWANCE = Duration.minutes(5);

/**
 * How long CloudFormation waits for an instance's signal: the instance's own health
 * wait (the grace period) plus its boot, so an instance that never serves signals
 * failure itself before CloudFormation gives up on it.
 */
function signalTimeout(healthCheckGracePeriod: Duration): Duration {
  return Duration.seconds(healthCheckGracePeriod.toSeconds() + BOOT_ALLOWANCE.toSeconds());
}
