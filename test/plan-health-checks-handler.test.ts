import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { healthCheckAttribute } from '../lib/constructs/plan-health-checks';

// Runs lib/lambda/plan_health_checks.py with python3, a recording boto3 stand-in first on
// PYTHONPATH (test/support/fake-boto3) and a local server as CloudFormation's response URL.
const FAKE = path.join(__dirname, 'support', 'fake-boto3');
const HANDLER_DIR = path.join(__dirname, '..', 'lib', 'lambda');

const PLAN = 'arn:aws:arc-region-switch::111111111111:plan/prod-dns-global-switch:abc123';
const ZONE = 'Z00000000000000PROD';
const RECORD = 'app.example.com';
const PROPERTIES = { PlanArn: PLAN, Regions: ['us-east-1', 'eu-west-1'], HostedZoneId: ZONE, RecordName: RECORD, PlanHealthChecks: ['hc-b', 'hc-a'] };

interface HealthCheck {
  hostedZoneId: string;
  recordName: string;
  healthCheckId: string;
  region: string;
  status?: string;
}
const check = (region: string, healthCheckId: string, extra: Partial<HealthCheck> = {}): HealthCheck => ({ hostedZoneId: ZONE, recordName: RECORD, healthCheckId, region, status: 'healthy', ...extra });

function world(state: Record<string, unknown>): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'plan-health-checks-')), 'state.json');
  writeFileSync(file, JSON.stringify({ calls: [], planHealthChecks: {}, ...state }));
  return file;
}

/** One request; returns the response PUT to CloudFormation and the ARC calls made. */
function run(file: string, requestType: 'Create' | 'Update' | 'Delete', properties: object = PROPERTIES, physicalId?: string) {
  const out = execFileSync('python3', [path.join(FAKE, 'run_custom_resource.py'), requestType, JSON.stringify(properties), ...(physicalId ? [physicalId] : [])], {
    env: { PATH: process.env.PATH, PYTHONPATH: [FAKE, HANDLER_DIR].join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1', FAKE_BOTO3_STATE: file, AWS_REGION: 'us-east-1', LIST_WAIT_SECONDS: '0', LIST_ATTEMPTS: '3' },
    encoding: 'utf8',
  });
  const responses = JSON.parse(out.trim().split('\n').pop()!) as Array<{ contentType: string; body: Record<string, any> }>;
  expect(responses).toHaveLength(1);
  const calls = JSON.parse(readFileSync(file, 'utf8')).calls as Array<{ service: string; operation: string; args: Record<string, unknown> }>;
  return { ...responses[0], calls };
}

describe('the plan health checks custom resource', () => {
  it('names each region by the region ARC gives, whatever order the checks are listed in', () => {
    for (const listed of [
      [check('us-east-1', 'hc-a'), check('eu-west-1', 'hc-b')],
      [check('eu-west-1', 'hc-b'), check('us-east-1', 'hc-a')],
    ]) {
      const { body, contentType, calls } = run(world({ planHealthChecks: { [PLAN]: listed } }), 'Create');
      expect(body).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `${PLAN}/route53-health-checks`,
        RequestId: 'request-1',
        LogicalResourceId: 'PlanHealthChecks221F4D9C',
        Data: { [healthCheckAttribute('us-east-1')]: 'hc-a', [healthCheckAttribute('eu-west-1')]: 'hc-b' },
      });
      // A presigned S3 URL is signed without a content type.
      expect(contentType).toBe('');
      expect(calls).toEqual([{ service: 'arc-region-switch', operation: 'list_route53_health_checks', args: { arn: PLAN, hostedZoneId: ZONE, recordName: RECORD } }]);
    }
  });

  it('uses the attribute names the construct reads', () => {
    expect([healthCheckAttribute('us-east-1'), healthCheckAttribute('eu-west-1')]).toEqual(['HealthCheckIdUsEast1', 'HealthCheckIdEuWest1']);
  });

  it('follows every page, and ignores checks of other records or zones', () => {
    const listed = [check('us-east-1', 'hc-other', { recordName: 'other.example.com' }), check('eu-west-1', 'hc-zone', { hostedZoneId: 'ZOTHER' }), check('us-east-1', 'hc-a', { recordName: 'APP.example.com.' }), check('eu-west-1', 'hc-b')];
    const { body, calls } = run(world({ planHealthChecks: { [PLAN]: listed }, pageSize: 1 }), 'Update', PROPERTIES, `${PLAN}/route53-health-checks`);
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PLAN}/route53-health-checks`, Data: { HealthCheckIdUsEast1: 'hc-a', HealthCheckIdEuWest1: 'hc-b' } });
    expect(calls.map((c) => c.args.nextToken)).toEqual([undefined, '1', '2', '3']);
  });

  it('waits for checks ARC has not listed yet', () => {
    const { body, calls } = run(world({ planHealthChecks: { [PLAN]: [check('us-east-1', 'hc-a'), check('eu-west-1', 'hc-b')] }, appearAfterCalls: 2 }), 'Create');
    expect(body.Status).toBe('SUCCESS');
    expect(calls).toHaveLength(2);
  });

  // IAM applies the function's new policy a moment after CloudFormation creates it.
  it('retries while its new permissions or the new plan are not visible yet', () => {
    const listed = [check('us-east-1', 'hc-a'), check('eu-west-1', 'hc-b')];
    const { body, calls } = run(world({ planHealthChecks: { [PLAN]: listed }, failFirstCalls: { count: 2, code: 'AccessDeniedException' } }), 'Create');
    expect(body).toMatchObject({ Status: 'SUCCESS', Data: { HealthCheckIdUsEast1: 'hc-a', HealthCheckIdEuWest1: 'hc-b' } });
    expect(calls).toHaveLength(3);
  });

  it('fails at once on an error waiting cannot mend, and with the last error when retries run out', () => {
    const invalid = run(world({ planHealthChecks: {}, failFirstCalls: { count: 9, code: 'IllegalArgumentException' } }), 'Create');
    expect(invalid.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('(IllegalArgumentException) when calling the ListRoute53HealthChecks operation') });
    expect(invalid.calls).toHaveLength(1);
    const denied = run(world({ planHealthChecks: {}, failFirstCalls: { count: 9, code: 'AccessDeniedException' } }), 'Create');
    expect(denied.body).toMatchObject({ Status: 'FAILED', Reason: 'RuntimeError: ListRoute53HealthChecks: AccessDeniedException: as told after 3 attempts' });
    expect(denied.calls).toHaveLength(3);
  });

  it('fails the deploy, with the reason, when a region has no check', () => {
    const { body, calls } = run(world({ planHealthChecks: { [PLAN]: [check('us-east-1', 'hc-a')] } }), 'Create');
    expect(body).toMatchObject({ Status: 'FAILED', Data: {}, Reason: `RuntimeError: no Route 53 health check of the plan for eu-west-1 (record ${RECORD} in ${ZONE}) after 3 attempts` });
    expect(calls).toHaveLength(3);
  });

  it('fails at once when a region has two checks: it cannot tell which one the plan flips', () => {
    const { body, calls } = run(world({ planHealthChecks: { [PLAN]: [check('us-east-1', 'hc-a'), check('eu-west-1', 'hc-b'), check('eu-west-1', 'hc-c')] } }), 'Create');
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain("more than one Route 53 health check for a region of app.example.com: {'eu-west-1': ['hc-b', 'hc-c']}");
    expect(calls).toHaveLength(1);
  });

  it('fails with a clear reason where the runtime has no ARC Region switch client', () => {
    const { body } = run(world({ unknownServices: ['arc-region-switch'] }), 'Create');
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('no arc-region-switch client (added in botocore 1.40.1)') });
  });

  it('deletes without a call, keeping the physical ID', () => {
    const { body, calls } = run(world({}), 'Delete', PROPERTIES, `${PLAN}/route53-health-checks`);
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PLAN}/route53-health-checks`, Data: {} });
    expect(calls).toEqual([]);
  });
});
