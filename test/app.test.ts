import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENTS, REGIONS, validateConfig } from '../lib/config';
import { HEALTH_CHECK_PATH, HEALTH_WAIT_INTERVAL_SECONDS, LIVENESS_CHECK_PATH, SIGNAL_SCRIPT_PATH, WRITER_HEALTH_CHECK_PATH } from '../lib/constructs/web-server-user-data';
import { AppStack } from '../lib/stacks/app-stack';
import { DataStack } from '../lib/stacks/data-stack';
import { NetworkStack } from '../lib/stacks/network-stack';
import { synthesized } from './support/assembly';
import { offlineConfig, testApp } from './support/synth';
import { userDataText } from './support/user-data';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdatePolicy?: any; CreationPolicy?: any }>;

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const only = (resources: Resources, type: string) => {
  const found = ofType(resources, type);
  expect(found).toHaveLength(1);
  return { id: found[0][0], ...found[0][1] };
};

describe.each(['dev', 'prod'] as const)('%s app tier', (envName) => {
  const config = offlineConfig(envName);

  describe.each(REGIONS)('in %s', (region) => {
    const stackName = `${envName}-app-${region}`;
    const template = synthesized(envName).template(stackName);
    const resources = template.toJSON().Resources as Resources;
    const parameters = template.toJSON().Parameters as Record<string, { Type: string; Default?: string }>;
    const alb = only(resources, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attributes = Object.fromEntries(alb.Properties.LoadBalancerAttributes.map((a: any) => [a.Key, a.Value]));
    const albSg = ofType(resources, 'AWS::EC2::SecurityGroup').find(([id]) => id.includes('LoadBalancerSecurityGroup'))![0];
    const instanceSg = ofType(resources, 'AWS::EC2::SecurityGroup').find(([id]) => id.includes('InstanceSecurityGroup'))![0];
    const launchData = only(resources, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData;
    const asg = only(resources, 'AWS::AutoScaling::AutoScalingGroup');
    const outputFrom = (value: any) => value?.['Fn::GetStackOutput'];

    it('requests a certificate for the application and regional names, DNS-validated in the configured zone', () => {
      expect(only(resources, 'AWS::CertificateManager::Certificate').Properties).toMatchObject({
        DomainName: config.dns.domainName,
        SubjectAlternativeNames: [`${region}.${config.dns.domainName}`],
        ValidationMethod: 'DNS',
        DomainValidationOptions: [
          { DomainName: config.dns.domainName, HostedZoneId: config.dns.hostedZoneId },
          { DomainName: `${region}.${config.dns.domainName}`, HostedZoneId: config.dns.hostedZoneId },
        ],
      });
    });

    it('puts an internet-facing ALB in the public subnets of all three AZs', () => {
      expect(alb.Properties).toMatchObject({ Scheme: 'internet-facing', Type: 'application', Name: stackName });
      const subnets = alb.Properties.Subnets.map((s: any) => outputFrom(s));
      expect(subnets.map((s: any) => [s.StackName, s.OutputName.match(/publicSubnet\d/)?.[0]])).toEqual([
        [`${envName}-network-${region}`, 'publicSubnet1'],
        [`${envName}-network-${region}`, 'publicSubnet2'],
        [`${envName}-network-${region}`, 'publicSubnet3'],
      ]);
    });

    it(`drops invalid headers, logs access to S3 and ${config.protectStatefulResources ? 'has' : 'skips'} deletion protection`, () => {
      expect(attributes).toMatchObject({
        'routing.http.drop_invalid_header_fields.enabled': 'true',
        'access_logs.s3.enabled': 'true',
        'deletion_protection.enabled': String(config.protectStatefulResources),
      });
      expect(attributes['access_logs.s3.bucket']).toEqual({ Ref: only(resources, 'AWS::S3::Bucket').id });
    });

    it('keeps access logs in an encrypted, SSL-only, private, versioned bucket with a lifecycle rule', () => {
      const bucket = only(resources, 'AWS::S3::Bucket');
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: config.logRetentionDays, Status: 'Enabled' })] },
      });
      expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
      const statements = only(resources, 'AWS::S3::BucketPolicy').Properties.PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    });

    it('serves HTTPS on 443 with the certificate and a TLS 1.3 policy, and redirects 80 to it', () => {
      const listeners = ofType(resources, 'AWS::ElasticLoadBalancingV2::Listener').map(([, l]) => l.Properties);
      expect(listeners).toHaveLength(2);
      expect(listeners.find((l) => l.Port === 443)).toMatchObject({
        Protocol: 'HTTPS',
        // Exactly this one: TLS 1.3 and 1.2 only, with the restricted ciphers. Other TLS13-named
        // policies (ELBSecurityPolicy-TLS13-1-0-2021-06) still accept TLS 1.0.
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
        Certificates: [{ CertificateArn: { Ref: only(resources, 'AWS::CertificateManager::Certificate').id } }],
      });
      expect(listeners.find((l) => l.Port === 80)).toMatchObject({
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      });
    });

    it(`health-checks the instances on ${LIVENESS_CHECK_PATH} over the app port: a database outage does not make Auto Scaling replace them`, () => {
      expect(only(resources, 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties).toMatchObject({
        Port: config.app.port,
        Protocol: 'HTTP',
        TargetType: 'instance',
        HealthCheckPath: LIVENESS_CHECK_PATH,
        Matcher: { HttpCode: '200' },
      });
    });

    it('protects the ALB with a WAF web ACL of AWS managed rules and a per-IP rate limit, and logs it', () => {
      const acl = only(resources, 'AWS::WAFv2::WebACL').Properties;
      expect(acl.Scope).toBe('REGIONAL');
      expect(acl.Rules.map((r: any) => r.Statement.ManagedRuleGroupStatement?.Name ?? 'rate')).toEqual([
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'AWSManagedRulesAmazonIpReputationList',
        'rate',
      ]);
      expect(acl.Rules[3]).toMatchObject({
        Action: { Block: {} },
        Statement: { RateBasedStatement: { Limit: config.app.wafRateLimitPer5Minutes, AggregateKeyType: 'IP' } },
      });
      expect(only(resources, 'AWS::WAFv2::WebACLAssociation').Properties).toEqual({
        ResourceArn: { Ref: alb.id },
        WebACLArn: { 'Fn::GetAtt': [only(resources, 'AWS::WAFv2::WebACL').id, 'Arn'] },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `aws-waf-logs-${stackName}`, KmsKeyId: Match.anyValue() });
      expect(only(resources, 'AWS::WAFv2::LoggingConfiguration').Properties.LogDestinationConfigs).toEqual([
        `arn:aws:logs:${region}:${config.account}:log-group:aws-waf-logs-${stackName}`,
      ]);
    });

    it('launches the AMI pinned in config for this region, resolving no SSM parameter at deploy', () => {
      expect(launchData.ImageId).toBe(config.app.amiIds[region]);
      const ssmParameters = Object.entries(parameters).filter(([, p]: [string, any]) => p.Type.startsWith('AWS::SSM::Parameter'));
      expect(ssmParameters.map(([id]) => id)).toEqual(['BootstrapVersion']);
    });

    it('requires IMDSv2, encrypts a gp3 root volume, monitors in detail and has no key pair', () => {
      expect(launchData).toMatchObject({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        Monitoring: { Enabled: true },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } }],
      });
      expect(launchData.KeyName).toBeUndefined();
    });

    it('serves the application and /health from a small boot script that installs only the PostgreSQL client', () => {
      const script = userDataText(launchData.UserData['Fn::Base64']);
      // EC2 takes at most 16 KB of user data.
      expect(script.length).toBeLessThan(16_384);
      expect(script).toContain(`Environment=PORT=${config.app.port}`);
      expect(script).toContain(`Environment=REGION=${region}`);
      expect(script).toContain(`Environment=WRITER_PARAMETER=${envName}-data-${region}-writer-endpoint`);
      expect(script).toContain(`Environment=HEALTH_CHECK_PATH=${HEALTH_CHECK_PATH}`);
      expect(script).toContain(`Environment=WRITER_HEALTH_CHECK_PATH=${WRITER_HEALTH_CHECK_PATH}`);
      expect(script).toContain('ThreadingHTTPServer');
      expect(script).toContain('systemctl enable --now webtier.service');
      // Nothing else is fetched at boot: curl only asks the local server; dnf installs the PostgreSQL
      // client the health checks log in with, and cfn-signal only on an image without it.
      expect(script).not.toMatch(/wget|yum/);
      expect(script.match(/curl .*/g)).toEqual([expect.stringContaining('"$url"')]);
      expect(script.match(/.*dnf .*/g)).toEqual([
        '[ -x /opt/aws/bin/cfn-signal ] || dnf install -y aws-cfn-bootstrap',
        'command -v psql >/dev/null || dnf install -y postgresql16 || {',
        '  echo "psql is missing and dnf could not install postgresql16" >&2',
      ]);
    });

    it('signals the group only after the local /health/live answers, with the stack, group and region', () => {
      const script = userDataText(launchData.UserData['Fn::Base64']);
      const lastLine = script.trim().split('\n').pop();
      const attempts = config.app.healthCheckGraceSeconds / HEALTH_WAIT_INTERVAL_SECONDS;
      expect(script).toContain('export PATH=/opt/aws/bin:$PATH');
      expect(lastLine).toBe(
        `${SIGNAL_SCRIPT_PATH} http://127.0.0.1:${config.app.port}${LIVENESS_CHECK_PATH} ${attempts} ${HEALTH_WAIT_INTERVAL_SECONDS} ` +
          `--stack ${stackName} --resource ${asg.id} --region ${region}`,
      );
    });

    it('creates and updates the group only on signals, within the health wait plus boot time', () => {
      const timeoutSeconds = config.app.healthCheckGraceSeconds + 300;
      const timeout = `PT${timeoutSeconds / 60}M`;
      expect(asg.CreationPolicy).toEqual({ ResourceSignal: { Count: config.app.desiredCapacity, Timeout: timeout } });
      expect(asg.UpdatePolicy.AutoScalingRollingUpdate).toEqual({
        MaxBatchSize: 1,
        MinInstancesInService: config.app.desiredCapacity,
        WaitOnResourceSignals: true,
        PauseTime: timeout,
        SuspendProcesses: ['AZRebalance', 'ScheduledActions'],
      });
    });

    it('keeps health checks, unhealthy-instance replacement and alarm-driven scaling on during a rollout', () => {
      for (const process of ['HealthCheck', 'ReplaceUnhealthy', 'AlarmNotification', 'Launch', 'Terminate']) {
        expect(asg.UpdatePolicy.AutoScalingRollingUpdate.SuspendProcesses).not.toContain(process);
      }
    });

    it('spreads the group over the private subnets of all AZs with ELB health checks and rolling updates', () => {
      expect(asg.Properties).toMatchObject({
        AvailabilityZones: config.regions[region].availabilityZones,
        MinSize: String(config.app.minCapacity),
        DesiredCapacity: String(config.app.desiredCapacity),
        MaxSize: String(config.app.maxCapacity),
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: config.app.healthCheckGraceSeconds,
        TargetGroupARNs: [{ Ref: only(resources, 'AWS::ElasticLoadBalancingV2::TargetGroup').id }],
      });
      expect(asg.Properties.VPCZoneIdentifier.map((s: any) => outputFrom(s).OutputName.match(/appSubnet\d/)?.[0])).toEqual(['appSubnet1', 'appSubnet2', 'appSubnet3']);
      expect(asg.Properties.MixedInstancesPolicy.LaunchTemplate.Overrides).toEqual(config.app.instanceTypes.map((t) => ({ InstanceType: t })));
      expect(asg.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, MinInstancesInService: config.app.desiredCapacity });
    });

    it('scales on CPU with step policies driven by a high and a low CloudWatch alarm', () => {
      const policies = ofType(resources, 'AWS::AutoScaling::ScalingPolicy');
      const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      expect(policies).toHaveLength(2);
      const policyFor = (alarm: any) => resources[alarm.AlarmActions[0].Ref].Properties;
      const high = alarms.find((a) => a.ComparisonOperator === 'GreaterThanOrEqualToThreshold')!;
      const low = alarms.find((a) => a.ComparisonOperator === 'LessThanOrEqualToThreshold')!;
      for (const alarm of [high, low]) {
        expect(alarm).toMatchObject({
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          Statistic: 'Average',
          Period: config.alarms.periodSeconds,
          EvaluationPeriods: config.alarms.evaluationPeriods,
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: asg.id } }],
        });
      }
      expect(high.Threshold).toBe(config.alarms.cpuHighPercent);
      expect(low.Threshold).toBe(config.alarms.cpuLowPercent);
      expect(policyFor(high)).toMatchObject({ PolicyType: 'StepScaling', StepAdjustments: [{ ScalingAdjustment: 1, MetricIntervalLowerBound: 0 }] });
      expect(policyFor(low)).toMatchObject({ PolicyType: 'StepScaling', StepAdjustments: [{ ScalingAdjustment: -1, MetricIntervalUpperBound: 0 }] });
    });

    it('lets the internet reach the ALB on 443 and 80 only, and the ALB reach only the app port', () => {
      const albIngress = resources[albSg].Properties.SecurityGroupIngress;
      expect(albIngress.map((r: any) => [r.CidrIp, r.FromPort, r.ToPort])).toEqual([
        ['0.0.0.0/0', 443, 443],
        ['0.0.0.0/0', 80, 80],
      ]);
      const egress = ofType(resources, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties);
      expect(egress.filter((e) => e.GroupId['Fn::GetAtt'][0] === albSg)).toEqual([
        expect.objectContaining({ DestinationSecurityGroupId: { 'Fn::GetAtt': [instanceSg, 'GroupId'] }, FromPort: config.app.port, ToPort: config.app.port }),
      ]);
      expect(resources[albSg].Properties.SecurityGroupEgress).toBeUndefined();
    });

    it('lets the instances take the app port from the ALB only, and reach only HTTPS and the database', () => {
      const ingress = ofType(resources, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
      expect(ingress.filter((r) => r.GroupId['Fn::GetAtt']?.[0] === instanceSg)).toEqual([
        expect.objectContaining({ SourceSecurityGroupId: { 'Fn::GetAtt': [albSg, 'GroupId'] }, FromPort: config.app.port, ToPort: config.app.port }),
      ]);
      expect(resources[instanceSg].Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]);
      const egress = ofType(resources, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties);
      const toDatabase = egress.filter((e) => e.GroupId['Fn::GetAtt'][0] === instanceSg);
      expect(toDatabase).toEqual([expect.objectContaining({ FromPort: 5432, ToPort: 5432 })]);
      expect(outputFrom(toDatabase[0].DestinationSecurityGroupId).StackName).toBe(`${envName}-data-${region}`);
    });

    it('opens the database to the instances on 5432, with the rule in this stack to avoid a cycle', () => {
      const ingress = ofType(resources, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
      const toDatabase = ingress.filter((r) => outputFrom(r.GroupId));
      expect(toDatabase).toEqual([
        expect.objectContaining({ FromPort: 5432, ToPort: 5432, IpProtocol: 'tcp', SourceSecurityGroupId: { 'Fn::GetAtt': [instanceSg, 'GroupId'] } }),
      ]);
      expect(outputFrom(toDatabase[0].GroupId).StackName).toBe(`${envName}-data-${region}`);
    });

    it('gives the instances Session Manager, the CloudWatch agent, read access to the DB secret and the writer parameter, and signals to their own stack only', () => {
      const role = only(resources, 'AWS::IAM::Role').Properties;
      expect(JSON.stringify(role.ManagedPolicyArns)).toContain('AmazonSSMManagedInstanceCore');
      expect(JSON.stringify(role.ManagedPolicyArns)).toContain('CloudWatchAgentServerPolicy');
      expect(role.ManagedPolicyArns).toHaveLength(2);
      const statements = only(resources, 'AWS::IAM::Policy').Properties.PolicyDocument.Statement;
      const actions = statements.flatMap((s: any) => [s.Action].flat());
      const parameterRead = ['ssm:DescribeParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters'];
      // Each region's own secret, encrypted with its own region's key.
      expect(actions.sort()).toEqual(['cloudformation:SignalResource', 'kms:Decrypt', ...parameterRead, 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'].sort());
      const secretStatement = statements.find((s: any) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
      expect(secretStatement.Resource['Fn::GetStackOutput']).toMatchObject({ StackName: `${envName}-data-${region}`, Region: region });
      const keyStatement = statements.find((s: any) => s.Action === 'kms:Decrypt');
      expect(JSON.stringify(keyStatement.Resource)).toContain(`arn:aws:kms:${region}:${config.account}:key/`);
      const parameterStatement = statements.find((s: any) => [s.Action].flat().includes('ssm:GetParameter'));
      expect(parameterStatement.Resource).toEqual(`arn:aws:ssm:${region}:${config.account}:parameter/${envName}-data-${region}-writer-endpoint`);
      expect(statements.find((s: any) => s.Action === 'cloudformation:SignalResource').Resource).toEqual({ Ref: 'AWS::StackId' });
      expect(JSON.stringify(statements)).not.toContain(`${envName}-data-${region === 'us-east-1' ? 'eu-west-1' : 'us-east-1'}`);
      for (const statement of statements) expect(statement.Resource).not.toBe('*');
    });

    it('names the security groups and instances with the naming helper', () => {
      const nameOf = (id: string) => resources[id].Properties.Tags.find((t: any) => t.Key === 'Name')?.Value;
      expect(nameOf(albSg)).toBe(`${stackName}-alb`);
      expect(nameOf(instanceSg)).toBe(`${stackName}-instances`);
      expect(asg.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: `${stackName}-instance`, PropagateAtLaunch: true }]));
    });
  });

  it(`keeps at least ${envName === 'prod' ? 2 : 1} instances in each region`, () => {
    expect(config.app.minCapacity).toBeGreaterThanOrEqual(envName === 'prod' ? 2 : 1);
  });
});

describe('an app stack with an existing certificate', () => {
  const certificateArn = 'arn:aws:acm:us-east-1:111111111111:certificate/12345678-1234-1234-1234-123456789012';
  const config = validateConfig('dev', { ...ENVIRONMENTS.dev, app: { ...ENVIRONMENTS.dev.app, certificateArns: { 'us-east-1': certificateArn } } });
  const app = testApp();
  const network = new NetworkStack(app, { config, region: 'us-east-1' });
  const data = new DataStack(app, { config, region: 'us-east-1', network });
  const template = Template.fromStack(new AppStack(app, { config, region: 'us-east-1', network, database: data.endpoint }));

  it('uses it instead of requesting one', () => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Certificates: [{ CertificateArn: certificateArn }] });
  });
});
