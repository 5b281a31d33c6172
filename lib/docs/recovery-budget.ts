import { PROBE_INTERVAL } from '../constructs/peer-region-probe';
import { STEP_TIMEOUT_MINUTES } from '../constructs/region-switch';
import { SWITCH_ACTION_TIMEOUT } from '../constructs/switch-actions';
import { ALIAS_TTL_SECONDS, ENVIRONMENT_NAMES, failoverTimings, loadConfig, type EnvironmentConfig } from '../config';

/**
 * How long the plan's approval step waits for a person, or undefined where the plan has no
 * approval step. The one place the docs read `dns.regionSwitch.approval`, so a change
 * to that setting's shape touches one line here.
 */
export function approvalTimeoutMinutes(config: EnvironmentConfig): number | undefined {
  const { approval } = config.dns.regionSwitch;
  return approval === false ? undefined : approval.timeoutMinutes;
}

/** Each switch-action Lambda run's timeout (lib/constructs/switch-actions.ts), in seconds. */
const SWITCH_ACTION_TIMEOUT_SECONDS = SWITCH_ACTION_TIMEOUT.toSeconds();

/** The longest each phase of a switch may take in one environment, in minutes, from config and the plan's timeouts. */
export interface RecoveryBudget {
  /** Route 53 marks the active region unhealthy: interval × failure threshold, in seconds. */
  readonly detectionSeconds: number;
  /** The cross-region probe alarm pages: threshold × one-minute probes. */
  readonly probeAlarmMinutes: number;
  /** The approval step's timeout, or undefined without an approval step. */
  readonly approvalMinutes?: number;
  /** The plan's steps up to traffic, ungraceful (fence and backup skipped): promote, publish, scale, DNS. */
  readonly ungracefulStepsMinutes: number;
  /** The same, graceful: the fence before, and DNS in parallel with the backup. */
  readonly gracefulStepsMinutes: number;
  /** The whole plan execution (approval and steps) at every timeout, ungraceful. */
  readonly ungracefulPlanMinutes: number;
  /** The whole plan execution at every timeout, graceful. */
  readonly gracefulPlanMinutes: number;
  /** The plan's recovery time objective. */
  readonly rtoMinutes: number;
}

/** The recovery-time budget of one environment. */
export function recoveryBudget(config: EnvironmentConfig): RecoveryBudget {
  const t = STEP_TIMEOUT_MINUTES;
  const approvalMinutes = approvalTimeoutMinutes(config);
  const ungracefulStepsMinutes = t['promote-database'] + t['publish-writer'] + t['scale-app'] + t['shift-dns'];
  const gracefulStepsMinutes = t['fence-deactivating-region'] + t['promote-database'] + t['publish-writer'] + t['scale-app'] + Math.max(t['shift-dns'], t.backup);
  return {
    detectionSeconds: failoverTimings(config.dns.healthCheckIntervalSeconds, config.dns.healthCheckFailureThreshold).detectionSeconds,
    probeAlarmMinutes: config.dns.healthCheckFailureThreshold * PROBE_INTERVAL.toMinutes(),
    approvalMinutes,
    ungracefulStepsMinutes,
    gracefulStepsMinutes,
    ungracefulPlanMinutes: (approvalMinutes ?? 0) + ungracefulStepsMinutes,
    gracefulPlanMinutes: (approvalMinutes ?? 0) + gracefulStepsMinutes,
    rtoMinutes: config.dns.regionSwitch.recoveryTimeObjectiveMinutes,
  };
}

const SOURCES = {
  route53Values: 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html',
  rdsPromote: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html',
  lambdaBlock: 'https://docs.aws.amazon.com/r53recovery/latest/dg/custom-action-lambda-block.html',
  asgBlock: 'https://docs.aws.amazon.com/r53recovery/latest/dg/ec2-auto-scaling-block.html',
  route53Block: 'https://docs.aws.amazon.com/r53recovery/latest/dg/route53-health-check-block.html',
  route53Faq: 'https://aws.amazon.com/route53/faqs/',
  plans: 'https://docs.aws.amazon.com/r53recovery/latest/dg/region-switch-plans.html',
} as const;

const minutes = (value: number | undefined): string => (value === undefined ? 'no approval step' : `≤ ${value} min`);

/**
 * The recovery-time budget per environment: each phase's bound, where it comes from, the total and
 * whether it fits the plan's recovery time objective.
 */
export function recoveryBudgetTable(): string {
  const envs = ENVIRONMENT_NAMES.map((envName) => ({ config: loadConfig(envName), envName }));
  const budgets = envs.map(({ config }) => ({ config, budget: recoveryBudget(config) }));
  const t = STEP_TIMEOUT_MINUTES;
  const row = (phase: string, cell: (b: RecoveryBudget, c: EnvironmentConfig) => string, source: string) =>
    `| ${phase} | ${budgets.map(({ budget, config }) => cell(budget, config)).join(' | ')} | ${source} |`;
  const same = (text: string) => () => text;
  return [
    `| phase | ${envs.map((e) => e.envName).join(' | ')} | where the figure comes from |`,
    `|---|${envs.map(() => '---|').join('')}---|`,
    row('1. Detection: Route 53 marks the active region unhealthy (its alarm pages one 60 s period later)', (b, c) => `${b.detectionSeconds} s (${c.dns.healthCheckIntervalSeconds} s × ${c.dns.healthCheckFailureThreshold})`, `config \`dns.healthCheckIntervalSeconds\` × \`healthCheckFailureThreshold\` (Route 53's request interval and failure threshold, ${SOURCES.route53Values})`),
    row('1. Detection: the other region\'s probe alarm pages', (b) => `${b.probeAlarmMinutes} min`, `\`healthCheckFailureThreshold\` failed one-minute probes in a row (lib/constructs/peer-region-probe.ts)`),
    row('2. Decide, then start the plan', same('not bounded'), 'a person; nothing in config or the plan limits it'),
    row('3. `approve`', (b) => minutes(b.approvalMinutes), 'config `dns.regionSwitch.approval.timeoutMinutes` (read by `approvalTimeoutMinutes()`, lib/docs/recovery-budget.ts): the execution fails if no one approves within it; `approval: false` (dev) has no approval step'),
    row('4. `fence-deactivating-region` (graceful only)', same(`≤ ${t['fence-deactivating-region']} min`), `step timeout; each run ≤ ${SWITCH_ACTION_TIMEOUT_SECONDS} s (Lambda timeout), rerun "if it does not succeed within" the 1-min retry interval (${SOURCES.lambdaBlock})`),
    row('5. `promote-database`', same(`≤ ${t['promote-database']} min`), `step timeout. AWS gives no figure: "The promotion process can take several minutes or longer to complete, depending on the size of the read replica" (${SOURCES.rdsPromote}); no measured range yet`),
    row('6. `publish-writer`', same(`≤ ${t['publish-writer']} min`), `step timeout; each run ≤ ${SWITCH_ACTION_TIMEOUT_SECONDS} s, retried every minute until the promoted instance is \`available\``),
    row('7. `scale-app`', (_b, c) => `≤ ${t['scale-app']} min; instance grace ${c.app.healthCheckGraceSeconds} s`, `step timeout; the block waits until the group's InService instances reach the other region's desired capacity and goes on at once when they already do (${SOURCES.asgBlock}); config \`app.healthCheckGraceSeconds\`. No duration documented`),
    row(`8. \`shift-dns\` (∥ \`backup\`, graceful only, ≤ ${t.backup} min)`, same(`≤ ${t['shift-dns']} min`), `step timeout; "the Route 53 health check state is updated" (${SOURCES.route53Block}); how soon the CALCULATED parent follows: not documented`),
    row('9. Clients resolve the new region', same(`≤ ${ALIAS_TTL_SECONDS} s`), `alias records to a load balancer have a fixed TTL of ${ALIAS_TTL_SECONDS} s (Route 53 FAQ, ${SOURCES.route53Faq})`),
    row('**Plan execution at every timeout, ungraceful** (3 + 5–8)', (b) => `≤ ${b.ungracefulPlanMinutes} min`, 'sum of the rows above'),
    row('**Plan execution at every timeout, graceful** (3 + 4–8, backup ∥ DNS)', (b) => `≤ ${b.gracefulPlanMinutes} min`, 'sum of the rows above'),
    row('**Recovery time objective**', (b) => `${b.rtoMinutes} min`, `config \`dns.regionSwitch.recoveryTimeObjectiveMinutes\`; Region switch "calculates an actual recovery time value for each plan execution" (${SOURCES.plans})`),
    row('**Fits at every timeout?**', (b) => (b.ungracefulPlanMinutes <= b.rtoMinutes ? 'yes' : `no: ${b.ungracefulPlanMinutes - b.rtoMinutes} min over`), 'the RTO holds only if the steps finish well inside their timeouts: compare it with the recovery time Region switch reports for each drill'),
  ].join('\n');
}

/** The README's summary: detection, the plan's worst case and the RTO per environment. */
export function recoverySummaryTable(): string {
  const rows = ENVIRONMENT_NAMES.map((envName) => {
    const b = recoveryBudget(loadConfig(envName));
    const approval = b.approvalMinutes === undefined ? 'none' : `${b.approvalMinutes} min`;
    return `| ${envName} | ${b.detectionSeconds} s | ${b.probeAlarmMinutes} min | ${approval} | ≤ ${b.ungracefulPlanMinutes} min | ${b.rtoMinutes} min | ${b.ungracefulPlanMinutes <= b.rtoMinutes ? 'yes' : 'no'} | ≤ ${ALIAS_TTL_SECONDS} s |`;
  });
  return [
    '| environment | Route 53 detects | probe alarm pages | approval timeout | plan at every timeout (ungraceful) | RTO | fits at every timeout | then DNS TTL |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
