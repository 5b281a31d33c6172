import { PROBE_INTERVAL } from '../constructs/peer-region-probe';
import { STEP_TIMEOUT_MINUTES, UNGRACEFUL_MINIMUM_CAPACITY_PERCENT } from '../constructs/region-switch';
import { REPLICATION_CATCH_UP, SWITCH_ACTION_TIMEOUT } from '../constructs/switch-actions';
import { WRITER_CACHE_SECONDS } from '../constructs/web-server-user-data';
import { ALIAS_TTL_SECONDS, autoActivationTarget, ENVIRONMENT_NAMES, failoverTimings, FOUNDING_REGION, loadConfig, peerOf, type EnvironmentConfig, type RegionName } from '../config';

/**
 * How long the approval step of the workflow that activates `activating` (by default the standby, the
 * one an outage needs) waits for a person, or undefined where that workflow has none: no approval in
 * config, or the workflow a trigger starts. The one place the docs read `dns.regionSwitch.approval`,
 * so a change to that setting's shape touches one line here.
 */
export function approvalTimeoutMinutes(config: EnvironmentConfig, activating: RegionName = peerOf(FOUNDING_REGION)): number | undefined {
  const { approval } = config.dns.regionSwitch;
  return approval === false || autoActivationTarget(config) === activating ? undefined : approval.timeoutMinutes;
}

/**
 * Minutes both signals must agree before the plan's trigger activates the standby, or undefined where
 * no trigger does (off in config). The one place the docs read `dns.regionSwitch.autoActivation`.
 */
export function autoActivationMinutes(config: EnvironmentConfig): number | undefined {
  const auto = config.dns.regionSwitch.autoActivation;
  return auto === false ? undefined : auto.afterMinutes;
}

/** Each switch-action Lambda run's timeout (lib/constructs/switch-actions.ts), in seconds. */
const SWITCH_ACTION_TIMEOUT_SECONDS = SWITCH_ACTION_TIMEOUT.toSeconds();

/** The phases of a switch that take time, in the order they happen. */
export type Phase = 'page' | 'decide' | 'approve' | 'fence' | 'await-replication' | 'promote' | 'publish-writer' | 'scale-app' | 'shift-dns' | 'dns-ttl';

/** A planning estimate of one phase: minutes in an environment, and why. */
export interface Estimate {
  /** The expected duration, in whole minutes, in one environment. */
  readonly minutes: (config: EnvironmentConfig) => number;
  /** Why this figure, in one line. */
  readonly reason: string;
}

/** Launch and boot of one instance until its health wait begins: "usually 1–3 minutes on AL2023" (BOOT_ALLOWANCE, lib/constructs/web-tier.ts). */
const EXPECTED_BOOT_MINUTES = 2;
/** How late CloudWatch shows a one-minute RDS datapoint, as planned for (not documented as a figure). */
const EXPECTED_METRIC_DELAY_SECONDS = 60;
/** How long the on-call person takes from the page to a started plan (runbook steps 1–5). */
const EXPECTED_DECISION_MINUTES = 10;
/** How long a second, already paged person takes to approve. */
const EXPECTED_APPROVAL_MINUTES = 5;

/**
 * The expected duration of each phase: **planning estimates**, not measurements. Replace each
 * with what the first drill measures: Region switch reports every execution's `actualRecoveryTime`
 * (`aws arc-region-switch get-plan-execution`) and each step's start and end (`stepStates`).
 */
export const EXPECTED_MINUTES: Readonly<Record<Phase, Estimate>> = {
  page: {
    minutes: (c) => c.dns.healthCheckFailureThreshold * PROBE_INTERVAL.toMinutes(),
    reason: "the eu-west-1 probe alarm: the page that needs nothing from us-east-1, whose own topic may not deliver during its outage",
  },
  decide: { minutes: () => EXPECTED_DECISION_MINUTES, reason: 'on-call reads the page and runs steps 1–5 of the runbook: two checks, the replica lag, the plan ARN, the start' },
  approve: {
    minutes: (c) => (approvalTimeoutMinutes(c) === undefined ? 0 : EXPECTED_APPROVAL_MINUTES),
    reason: 'a second person, paged with the first, approves; no approval step in dev, nor in the eu-west-1 workflow where a trigger starts it (test, prod)',
  },
  fence: { minutes: () => 2, reason: 'two runs one 1-min retry interval apart: the first asks RDS, the second confirms `in-sync` and the fenced group `active`' },
  'await-replication': {
    minutes: () => Math.ceil((REPLICATION_CATCH_UP.settleSeconds + REPLICATION_CATCH_UP.samples * 60 + EXPECTED_METRIC_DELAY_SECONDS) / 60),
    reason: `${REPLICATION_CATCH_UP.settleSeconds} s settle + ${REPLICATION_CATCH_UP.samples} whole minute of the source's \`OldestReplicationSlotLag\` at 0 + about ${EXPECTED_METRIC_DELAY_SECONDS} s until CloudWatch shows it`,
  },
  promote: { minutes: () => 10, reason: 'AWS gives no figure ("several minutes or longer", and RDS reboots the instance); 10 min until a drill measures it' },
  'publish-writer': { minutes: () => 1, reason: 'one run, at most one retry: the promoted instance is writable as soon as the promotion ends' },
  'scale-app': {
    minutes: (c) => EXPECTED_BOOT_MINUTES + Math.ceil(c.app.healthCheckGraceSeconds / 60),
    reason: `one scale-out: launch and boot (~${EXPECTED_BOOT_MINUTES} min) + config \`app.healthCheckGraceSeconds\`; none when the standby already runs the capacity`,
  },
  'shift-dns': { minutes: () => 1, reason: "the plan's two Route 53 health checks change state; the calculated parents follow at the next evaluation" },
  'dns-ttl': { minutes: () => Math.ceil(ALIAS_TTL_SECONDS / 60), reason: `a resolver keeps the old answer for at most the alias TTL, ${ALIAS_TTL_SECONDS} s` },
};

/** The plan's steps an ungraceful execution runs to traffic (fence, await-replication and backup are skipped). */
const UNGRACEFUL_STEPS: readonly Phase[] = ['approve', 'promote', 'publish-writer', 'scale-app', 'shift-dns'];
/** The steps a triggered execution runs to traffic, ungraceful: no approval step in the triggered workflow. */
const AUTOMATIC_STEPS: readonly Phase[] = ['promote', 'publish-writer', 'scale-app', 'shift-dns'];
/** The plan's steps a graceful execution runs to traffic (backup runs beside shift-dns and ends with it). */
const GRACEFUL_STEPS: readonly Phase[] = ['approve', 'fence', 'await-replication', 'promote', 'publish-writer', 'scale-app', 'shift-dns'];

/** The sum of the expected minutes of `phases` in one environment. */
function expectedSum(config: EnvironmentConfig, phases: readonly Phase[]): number {
  return phases.reduce((sum, phase) => sum + EXPECTED_MINUTES[phase].minutes(config), 0);
}

/** The longest each phase of a switch may take in one environment, in minutes, from config and the plan's timeouts, and what it is expected to take. */
export interface RecoveryBudget {
  /** Route 53 marks the active region unhealthy: interval × failure threshold, in seconds. */
  readonly detectionSeconds: number;
  /** The cross-region probe alarm pages: threshold × one-minute probes. */
  readonly probeAlarmMinutes: number;
  /** The approval step's timeout, or undefined without an approval step. */
  readonly approvalMinutes?: number;
  /** The plan's steps up to traffic, ungraceful (fence, await-replication and backup skipped): promote, publish, scale, DNS. */
  readonly ungracefulStepsMinutes: number;
  /** The same, graceful: the fence and the wait for the replica before, and DNS in parallel with the backup. */
  readonly gracefulStepsMinutes: number;
  /** The whole plan execution (approval and steps) at every timeout, ungraceful. */
  readonly ungracefulPlanMinutes: number;
  /** The whole plan execution at every timeout, graceful. */
  readonly gracefulPlanMinutes: number;
  /** The plan execution (approval and steps) as expected, ungraceful: what Region switch should report as its recovery time. */
  readonly expectedUngracefulPlanMinutes: number;
  /** The same, graceful. */
  readonly expectedGracefulPlanMinutes: number;
  /** Expected, from the outage to every client on the activated region: page, decision, plan (ungraceful), one TTL. */
  readonly expectedUngracefulMinutes: number;
  /** The same with a graceful plan (the old region still answers). */
  readonly expectedGracefulMinutes: number;
  /** The plan's recovery time objective. */
  readonly rtoMinutes: number;
}

/** The automatic path of one environment, where a trigger activates the standby: expected minutes from the outage. */
export interface AutomaticRecovery {
  /** Config `dns.regionSwitch.autoActivation.afterMinutes`: how long both signals must agree. */
  readonly afterMinutes: number;
  /** Both trigger alarms in ALARM: the later of N failed one-minute probes and N minutes of replica silence, plus CloudWatch's delay. */
  readonly detectionMinutes: number;
  /** The standby's writer takes writes (through its own name): detection, promote, publish-writer; no approval step. */
  readonly writesMinutes: number;
  /** Every client on the standby: detection, the plan's steps to DNS (ungraceful), one alias TTL. */
  readonly trafficMinutes: number;
  /** The same if ARC runs the triggered execution graceful: the fence times out and a person switches it to ungraceful. */
  readonly trafficIfGracefulMinutes: number;
}

/** The automatic path's expected figures, or undefined where config turns the trigger off. */
export function automaticRecovery(config: EnvironmentConfig): AutomaticRecovery | undefined {
  const afterMinutes = autoActivationMinutes(config);
  if (afterMinutes === undefined) return undefined;
  const detectionMinutes = afterMinutes + Math.ceil(EXPECTED_METRIC_DELAY_SECONDS / 60);
  const writesMinutes = detectionMinutes + expectedSum(config, ['promote', 'publish-writer']);
  const trafficMinutes = detectionMinutes + expectedSum(config, AUTOMATIC_STEPS) + EXPECTED_MINUTES['dns-ttl'].minutes(config);
  const trafficIfGracefulMinutes = trafficMinutes + STEP_TIMEOUT_MINUTES['fence-deactivating-region'] + EXPECTED_MINUTES.decide.minutes(config);
  return { afterMinutes, detectionMinutes, writesMinutes, trafficMinutes, trafficIfGracefulMinutes };
}

/** The recovery-time budget of one environment. */
export function recoveryBudget(config: EnvironmentConfig): RecoveryBudget {
  const t = STEP_TIMEOUT_MINUTES;
  const approvalMinutes = approvalTimeoutMinutes(config);
  const ungracefulStepsMinutes = t['promote-database'] + t['publish-writer'] + t['scale-app'] + t['shift-dns'];
  const gracefulStepsMinutes = t['fence-deactivating-region'] + t['await-replication'] + t['promote-database'] + t['publish-writer'] + t['scale-app'] + Math.max(t['shift-dns'], t.backup);
  const expectedUngracefulPlanMinutes = expectedSum(config, UNGRACEFUL_STEPS);
  const expectedGracefulPlanMinutes = expectedSum(config, GRACEFUL_STEPS);
  const beforeAndAfter = expectedSum(config, ['page', 'decide', 'dns-ttl']);
  return {
    detectionSeconds: failoverTimings(config.dns.healthCheckIntervalSeconds, config.dns.healthCheckFailureThreshold).detectionSeconds,
    probeAlarmMinutes: config.dns.healthCheckFailureThreshold * PROBE_INTERVAL.toMinutes(),
    approvalMinutes,
    ungracefulStepsMinutes,
    gracefulStepsMinutes,
    ungracefulPlanMinutes: (approvalMinutes ?? 0) + ungracefulStepsMinutes,
    gracefulPlanMinutes: (approvalMinutes ?? 0) + gracefulStepsMinutes,
    expectedUngracefulPlanMinutes,
    expectedGracefulPlanMinutes,
    expectedUngracefulMinutes: beforeAndAfter + expectedUngracefulPlanMinutes,
    expectedGracefulMinutes: beforeAndAfter + expectedGracefulPlanMinutes,
    rtoMinutes: config.dns.regionSwitch.recoveryTimeObjectiveMinutes,
  };
}

const SOURCES = {
  route53Values: 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html',
  rdsPromote: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html',
  rdsSlots: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Mechanisms-versions.html',
  rdsIdleLag: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.html',
  lambdaBlock: 'https://docs.aws.amazon.com/r53recovery/latest/dg/custom-action-lambda-block.html',
  asgBlock: 'https://docs.aws.amazon.com/r53recovery/latest/dg/ec2-auto-scaling-block.html',
  route53Block: 'https://docs.aws.amazon.com/r53recovery/latest/dg/route53-health-check-block.html',
  route53Faq: 'https://aws.amazon.com/route53/faqs/',
  plans: 'https://docs.aws.amazon.com/r53recovery/latest/dg/region-switch-plans.html',
} as const;

/** A bound and the phase's planning estimate, in one cell. */
const cell = (bound: string, config: EnvironmentConfig, phase: Phase): string => `${bound} · ~${EXPECTED_MINUTES[phase].minutes(config)} min`;
/** The estimate's reason, for the source column. */
const estimate = (phase: Phase): string => `*Estimate:* ${EXPECTED_MINUTES[phase].reason}`;

/**
 * The recovery-time budget per environment: each phase's bound, where it comes from, its expected
 * duration (a planning estimate), the totals and whether they fit the plan's recovery time objective.
 */
export function recoveryBudgetTable(): string {
  const envs = ENVIRONMENT_NAMES.map((envName) => ({ config: loadConfig(envName), envName }));
  const budgets = envs.map(({ config }) => ({ config, budget: recoveryBudget(config) }));
  const t = STEP_TIMEOUT_MINUTES;
  const row = (phase: string, value: (b: RecoveryBudget, c: EnvironmentConfig) => string, source: string) =>
    `| ${phase} | ${budgets.map(({ budget, config }) => value(budget, config)).join(' | ')} | ${source} |`;
  const step = (phase: Phase, bound: number) => (_b: RecoveryBudget, c: EnvironmentConfig) => cell(`≤ ${bound} min`, c, phase);
  const over = (minutes: number, rto: number) => (minutes <= rto ? `yes: ${rto - minutes} min to spare` : `no: ${minutes - rto} min over`);
  return [
    `| phase (each cell: the bound · ~ the expected duration, an estimate) | ${envs.map((e) => e.envName).join(' | ')} | where the figures come from |`,
    `|---|${envs.map(() => '---|').join('')}---|`,
    row('1. Detection: Route 53 marks the active region unhealthy (its alarm pages one 60 s period later)', (b, c) => `${b.detectionSeconds} s (${c.dns.healthCheckIntervalSeconds} s × ${c.dns.healthCheckFailureThreshold})`, `config \`dns.healthCheckIntervalSeconds\` × \`healthCheckFailureThreshold\` (Route 53's request interval and failure threshold, ${SOURCES.route53Values})`),
    row("1. Detection: the other region's probe alarm pages", (b, c) => cell(`${b.probeAlarmMinutes} min`, c, 'page'), `\`healthCheckFailureThreshold\` failed one-minute probes in a row (lib/constructs/peer-region-probe.ts). ${estimate('page')}`),
    row('2. Decide, then start the plan', (_b, c) => cell('not bounded', c, 'decide'), `a person; nothing in config or the plan limits it. ${estimate('decide')}`),
    row('3. `approve`', (b, c) => (b.approvalMinutes === undefined ? 'no approval step' : cell(`≤ ${b.approvalMinutes} min`, c, 'approve')), `config \`dns.regionSwitch.approval.timeoutMinutes\` (read by \`approvalTimeoutMinutes()\`, lib/docs/recovery-budget.ts): the execution fails if no one approves within it; \`approval: false\` (dev) has no approval step, and neither has the eu-west-1 workflow while \`autoActivation\` is on (a trigger waits for no one; fail-back to us-east-1 keeps it). ${estimate('approve')}`),
    row('4. `fence-deactivating-region` (graceful only)', step('fence', t['fence-deactivating-region']), `step timeout; each run ≤ ${SWITCH_ACTION_TIMEOUT_SECONDS} s (Lambda timeout), rerun "if it does not succeed within" the 1-min retry interval (${SOURCES.lambdaBlock}). ${estimate('fence')}`),
    row('5. `await-replication` (graceful only)', step('await-replication', t['await-replication']), `step timeout; retried every minute until the source's \`OldestReplicationSlotLag\` (WAL its replica has not yet received; "Each read replica has its own physical slot on the source DB instance", ${SOURCES.rdsSlots}) reached 0 in ${REPLICATION_CATCH_UP.samples} whole minute that began ≥ ${REPLICATION_CATCH_UP.settleSeconds} s after the fence. Not the replica's \`ReplicaLag\`, which on an idle source "reports a replication lag of up to five minutes" (${SOURCES.rdsIdleLag}). ${estimate('await-replication')}`),
    row('6. `promote-database`', step('promote', t['promote-database']), `step timeout. AWS gives no figure: "The promotion process can take several minutes or longer to complete, depending on the size of the read replica" (${SOURCES.rdsPromote}); no measured range yet. ${estimate('promote')}`),
    row('7. `publish-writer`', step('publish-writer', t['publish-writer']), `step timeout; each run ≤ ${SWITCH_ACTION_TIMEOUT_SECONDS} s, retried every minute until the promoted instance is standalone and in a state that takes writes (\`available\`, \`backing-up\`, \`modifying\`, …); the instances reread the parameter within ${WRITER_CACHE_SECONDS} s. ${estimate('publish-writer')}`),
    row('8. `scale-app`', step('scale-app', t['scale-app']), `step timeout; the block waits until the group's InService instances reach the other region's desired capacity (ungraceful: ${UNGRACEFUL_MINIMUM_CAPACITY_PERCENT} % of it) and goes on at once when they already do (${SOURCES.asgBlock}). No duration documented. ${estimate('scale-app')}`),
    row(`9. \`shift-dns\` (∥ \`backup\`, graceful only, ≤ ${t.backup} min)`, step('shift-dns', t['shift-dns']), `step timeout; "the Route 53 health check state is updated" (${SOURCES.route53Block}); how soon the CALCULATED parent follows: not documented. ${estimate('shift-dns')}`),
    row('10. Clients resolve the new region', (_b, c) => cell(`≤ ${ALIAS_TTL_SECONDS} s`, c, 'dns-ttl'), `alias records to a load balancer have a fixed TTL of ${ALIAS_TTL_SECONDS} s (Route 53 FAQ, ${SOURCES.route53Faq})`),
    row('**Plan execution at every timeout, ungraceful** (3 + 6–9)', (b) => `≤ ${b.ungracefulPlanMinutes} min`, 'sum of the bounds above'),
    row('**Plan execution at every timeout, graceful** (3–9, backup ∥ DNS)', (b) => `≤ ${b.gracefulPlanMinutes} min`, 'sum of the bounds above'),
    row('**Plan execution expected, ungraceful** (3 + 6–9; estimate)', (b) => `~${b.expectedUngracefulPlanMinutes} min`, 'sum of the estimates above; compare with the `actualRecoveryTime` Region switch reports for the execution'),
    row('**Plan execution expected, graceful** (3–9; estimate)', (b) => `~${b.expectedGracefulPlanMinutes} min`, 'the same, graceful'),
    row('**Expected, ungraceful: outage to every client on the new region** (1–10; estimate)', (b) => `~${b.expectedUngracefulMinutes} min`, 'probe page + decision + plan + one TTL; the minute-by-minute view: [what users see](#what-users-see-during-a-us-east-1-outage)'),
    row('**Expected, graceful: the same with the old region still answering** (1–10; estimate)', (b) => `~${b.expectedGracefulMinutes} min`, 'the same with the fence and the wait for the replica'),
    row('**Recovery time objective**', (b) => `${b.rtoMinutes} min`, `config \`dns.regionSwitch.recoveryTimeObjectiveMinutes\`; Region switch "calculates an actual recovery time value for each plan execution" (${SOURCES.plans})`),
    row('**Fits the objective (expected, ungraceful)?**', (b) => over(b.expectedUngracefulMinutes, b.rtoMinutes), 'the whole outage as estimated, detection and decision included; `test/docs.test.ts` fails when it does not fit. Replace the estimates with the first drill\'s figures'),
    row('**Fits at every timeout (ungraceful plan)?**', (b) => over(b.ungracefulPlanMinutes, b.rtoMinutes), 'the plan alone, every step at its timeout: where it does not fit, the objective holds only if the steps finish well inside their timeouts'),
    row('Data at risk, ungraceful: writes after the replica\'s last replayed transaction; the replica-lag alarm pages above', (_b, c) => `${c.alarms.replicaLagSeconds} s`, 'config `alarms.replicaLagSeconds` (alarm `<env>-monitoring-eu-west-1-rds-replica-lag`, `ReplicaLag` Maximum); a graceful switch loses nothing acknowledged ([RPO](#what-a-switch-can-lose-rpo))'),
  ].join('\n');
}

/** The README's summary: detection, the expected and the worst case, and the RTO per environment. */
export function recoverySummaryTable(): string {
  const rows = ENVIRONMENT_NAMES.map((envName) => {
    const b = recoveryBudget(loadConfig(envName));
    const approval = b.approvalMinutes === undefined ? 'none' : `${b.approvalMinutes} min`;
    const fits = (minutes: number) => (minutes <= b.rtoMinutes ? 'yes' : 'no');
    return `| ${envName} | ${b.detectionSeconds} s | ${b.probeAlarmMinutes} min | ${approval} | ~${b.expectedUngracefulMinutes} min | ~${b.expectedGracefulMinutes} min | ${b.rtoMinutes} min | ${fits(b.expectedUngracefulMinutes)} | ≤ ${b.ungracefulPlanMinutes} min + ${ALIAS_TTL_SECONDS} s | ${fits(b.ungracefulPlanMinutes)} |`;
  });
  return [
    '| environment | Route 53 detects | probe alarm pages | approval timeout | expected outage, ungraceful (estimate) | expected, graceful (estimate) | RTO | fits (expected) | plan at every timeout, ungraceful, + DNS TTL | fits at every timeout |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/**
 * The README's summary of the automatic path: when the trigger fires, when the standby takes writes and
 * when every client is on it, per environment, each with where it comes from.
 */
export function automaticRecoveryTable(): string {
  const autos = ENVIRONMENT_NAMES.map((envName) => ({ envName, config: loadConfig(envName) })).map(({ envName, config }) => ({ envName, auto: automaticRecovery(config), rto: config.dns.regionSwitch.recoveryTimeObjectiveMinutes }));
  const row = (what: string, value: (a: AutomaticRecovery, rto: number) => string, source: string) =>
    `| ${what} | ${autos.map(({ auto, rto }) => (auto === undefined ? 'off: a person starts the plan' : value(auto, rto))).join(' | ')} | ${source} |`;
  return [
    `| automatic path (expected, from the outage) | ${autos.map((a) => a.envName).join(' | ')} | where the figures come from |`,
    `|---|${autos.map(() => '---|').join('')}---|`,
    row('Detection: the trigger\'s two alarms in eu-west-1 are in ALARM', (a) => `~${a.detectionMinutes} min (N = ${a.afterMinutes})`, `config \`dns.regionSwitch.autoActivation.afterMinutes\` (N): N failed one-minute probes of us-east-1 (\`probe-us-east-1-lost\`) and N minutes without a replayed transaction (\`replication-stopped\`), + ~${EXPECTED_METRIC_DELAY_SECONDS} s until CloudWatch has the last datapoint. How soon ARC starts the execution once both are red: not documented`),
    row('Writes accepted in eu-west-1 (its own name)', (a) => `~${a.writesMinutes} min`, `detection + \`promote-database\` + \`publish-writer\` (estimates: [the budget](docs/disaster-recovery.md#how-long-a-switch-may-take-the-recovery-time-budget)); the triggered workflow has no approval step; instances reread the writer within ${WRITER_CACHE_SECONDS} s`),
    row('Traffic moved: every client on eu-west-1', (a) => `~${a.trafficMinutes} min`, `detection + the plan's steps to DNS, ungraceful (promote, publish, scale, DNS) + one alias TTL (${ALIAS_TTL_SECONDS} s)`),
    row('If ARC runs the triggered execution graceful (not documented)', (a) => `~${a.trafficIfGracefulMinutes} min`, `the fence in us-east-1 fails after its ${STEP_TIMEOUT_MINUTES['fence-deactivating-region']}-min timeout and the execution pauses until a person switches it to ungraceful (~${EXPECTED_DECISION_MINUTES} min): [If the execution pauses](docs/disaster-recovery.md#if-the-execution-pauses)`),
    row('Fits the objective (ungraceful)?', (a, rto) => (a.trafficMinutes <= rto ? `yes: ${rto - a.trafficMinutes} min to spare` : `no: ${a.trafficMinutes - rto} min over`), 'config `dns.regionSwitch.recoveryTimeObjectiveMinutes`'),
  ].join('\n');
}

/** What one phase of the timeline does to each name: `<domain>`, `eu-west-1.<domain>`, `us-east-1.<domain>`. */
interface Moment {
  readonly after: Phase | 'outage' | 'detection';
  readonly what: string;
  readonly domain: string;
  readonly standby: string;
  readonly primary: string;
}

/** A us-east-1 outage and an ungraceful switch, phase by phase. */
const TIMELINE: readonly Moment[] = [
  {
    after: 'outage',
    what: 'us-east-1 fails',
    domain: 'reads and writes fail: Route 53 still answers the PRIMARY (us-east-1)',
    standby: 'reads (data as of the replica\'s last replayed transaction); writes refused',
    primary: 'reads and writes fail',
  },
  {
    after: 'detection',
    what: "Route 53 marks us-east-1 unhealthy. eu-west-1's record is unhealthy too (the plan has not made it active), and with both unhealthy Route 53 answers the PRIMARY",
    domain: 'reads and writes fail',
    standby: 'reads; writes refused',
    primary: 'reads and writes fail',
  },
  { after: 'page', what: 'the eu-west-1 probe alarm pages', domain: 'reads and writes fail', standby: 'reads; writes refused', primary: 'reads and writes fail' },
  { after: 'decide', what: 'on-call has decided and started the plan (ungraceful)', domain: 'reads and writes fail', standby: 'reads; writes refused', primary: 'reads and writes fail' },
  {
    after: 'approve',
    what: 'approved, where the workflow has an approval step; `promote-database` starts, fence and await-replication skipped. RDS reboots the replica during the promotion',
    domain: 'reads and writes fail',
    standby: 'reads fail while the instance reboots (`/health` 503); writes refused',
    primary: 'reads and writes fail',
  },
  { after: 'promote', what: 'promoted: a standalone instance, not yet named in the writer parameter', domain: 'reads and writes fail', standby: 'reads; writes refused', primary: 'reads and writes fail' },
  {
    after: 'publish-writer',
    what: `\`publish-writer\` names it; each instance rereads the parameter within ${WRITER_CACHE_SECONDS} s`,
    domain: 'reads and writes fail',
    standby: '**reads and writes**',
    primary: 'reads and writes fail',
  },
  { after: 'scale-app', what: "`scale-app`: eu-west-1 runs us-east-1's capacity (ungraceful: at least half)", domain: 'reads and writes fail', standby: 'reads and writes', primary: 'reads and writes fail' },
  {
    after: 'shift-dns',
    what: "`shift-dns`: the plan's checks make eu-west-1's record healthy and us-east-1's unhealthy",
    domain: 'a resolver that asks now gets eu-west-1: reads and writes; one that cached us-east-1 still fails',
    standby: 'reads and writes',
    primary: 'reads and writes fail',
  },
  {
    after: 'dns-ttl',
    what: 'one alias TTL later every resolver answers eu-west-1',
    domain: '**reads and writes**',
    standby: 'reads and writes',
    primary: 'fails; once it answers again, fence it (runbook step 10): until then it can take writes',
  },
];

/** Minutes and seconds since the outage, e.g. `13 min`, `30 s`. */
const at = (seconds: number): string => (seconds < 60 ? `${seconds} s` : seconds % 60 === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`);

/**
 * What users of each name see during a us-east-1 outage in one environment, at the expected time of
 * each phase (EXPECTED_MINUTES, ungraceful): a planning picture, to be redrawn from the first drill.
 */
export function outageTimelineTable(envName = 'prod'): string {
  const config = loadConfig(envName);
  const { detectionSeconds } = recoveryBudget(config);
  let elapsed = 0;
  const rows = TIMELINE.map((moment) => {
    if (moment.after === 'detection') elapsed = detectionSeconds;
    else if (moment.after !== 'outage') elapsed = (moment.after === 'page' ? 0 : elapsed) + EXPECTED_MINUTES[moment.after].minutes(config) * 60;
    return `| ${at(elapsed)} | ${moment.what} | ${moment.domain} | ${moment.standby} | ${moment.primary} |`;
  });
  return [`| t (${envName}, expected) | what happens | \`<domain>\` | \`eu-west-1.<domain>\` | \`us-east-1.<domain>\` |`, '|---|---|---|---|---|', ...rows].join('\n');
}

/**
 * Tables of this module that lib/docs/tables.ts does not list (yet): `npm run docs` (scripts/docs.ts)
 * rewrites them with the others and test/docs.test.ts checks them the same way.
 */
export const RECOVERY_TABLES = [{ file: 'docs/disaster-recovery.md', name: 'outage-timeline', render: () => outageTimelineTable('prod') }] as const;
