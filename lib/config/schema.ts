import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';

/**
 * The two regions this app deploys to. Which one holds the writer is config (`primaryRegion`);
 * the first is where every environment's first writer was created (see {@link FOUNDING_REGION}).
 */
export const REGIONS = ['us-east-1', 'eu-west-1'] as const;
export type RegionName = (typeof REGIONS)[number];

/**
 * Where every environment's first database instance was created as a standalone writer; every
 * other instance, in either region, is created as a read replica (and may later be promoted).
 * An instance's lineage decides how its template describes it, so this never changes.
 */
export const FOUNDING_REGION: RegionName = REGIONS[0];

/** The other region of the two. */
export function peerOf(region: RegionName): RegionName {
  return region === REGIONS[0] ? REGIONS[1] : REGIONS[0];
}

/**
 * The region a Region switch trigger may activate in `config`'s state, or undefined for none: the
 * standby, while the founding region holds the writer and `dns.regionSwitch.autoActivation` is on.
 * Never the founding region: returning to it is a person's decision (docs/disaster-recovery.md).
 */
export function autoActivationTarget(config: {
  readonly primaryRegion: RegionName;
  readonly dns: { readonly regionSwitch: { readonly autoActivation: false | { readonly afterMinutes: number } } };
}): RegionName | undefined {
  return config.dns.regionSwitch.autoActivation !== false && config.primaryRegion === FOUNDING_REGION ? peerOf(FOUNDING_REGION) : undefined;
}

/** What an environment's name may look like: it starts every stack and resource name, so it is short and plain. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{1,11}$/;

/** Used when neither the config nor CDK_DEFAULT_ACCOUNT names an account, so synth works offline. */
export const PLACEHOLDER_ACCOUNT = '111111111111';

const INSTANCE_CLASSES = new Set<string>(Object.values(ec2.InstanceClass));
const INSTANCE_SIZES = new Set<string>(Object.values(ec2.InstanceSize));

/** True when `value` is `<class>.<size>` with both parts known to aws-cdk-lib's EC2 enums. */
function isKnownInstanceType(value: string): boolean {
  const [instanceClass, size, ...rest] = value.split('.');
  return rest.length === 0 && INSTANCE_CLASSES.has(instanceClass) && INSTANCE_SIZES.has(size ?? '');
}

const ec2InstanceType = z
  .string()
  .refine(isKnownInstanceType, { message: 'is not a known EC2 instance type (expected e.g. t3.small)' });

const dbInstanceType = z
  .string()
  .refine((v) => v.startsWith('db.') && isKnownInstanceType(v.slice(3)), {
    message: 'is not a known RDS instance class (expected e.g. db.t4g.medium)',
  });

/** Parses `a.b.c.d/n` into its numeric range, or undefined when malformed. */
export function parseCidr(cidr: string): { first: number; last: number; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { first: address, last: address + size - 1, prefix };
}

const vpcCidr = z
  .string()
  .refine((v) => parseCidr(v) !== undefined, { message: 'is not a valid IPv4 network CIDR (e.g. 10.10.0.0/16)' })
  .refine((v) => { const p = parseCidr(v); return p === undefined || (p.prefix >= 16 && p.prefix <= 18); }, {
    message: 'must have a prefix between /16 and /18 to hold three /24 public, /20 app and /24 data subnets',
  });

/** AWS Control Tower's CT.CLOUDWATCH.PR.2 asks for at least a year of log retention. */
const MIN_LOG_RETENTION_DAYS = 365;
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v >= MIN_LOG_RETENTION_DAYS);

const percent = z.number().gt(0, { message: 'must be a percentage between 0 and 100' }).lt(100, { message: 'must be a percentage between 0 and 100' });
const email = z.email({ message: 'is not a valid e-mail address' });
/** A `ddd:hh:mm-ddd:hh:mm` or `hh:mm-hh:mm` UTC window, as RDS expects. */
const dailyWindow = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, {
  message: 'must be hh:mm-hh:mm in UTC',
});
const weeklyWindow = z
  .string()
  .regex(/^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/, {
    message: 'must be ddd:hh:mm-ddd:hh:mm in UTC',
  });

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** Minutes since Monday 00:00 UTC of `ddd:hh:mm`, or since midnight of `hh:mm`. */
function minutesOf(time: string): number {
  const parts = time.split(':');
  const [hours, minutes] = parts.slice(-2).map(Number);
  const day = parts.length === 3 ? DAYS.indexOf(parts[0]) : 0;
  return day * MINUTES_PER_DAY + hours * 60 + minutes;
}

/** Whether the daily `hh:mm-hh:mm` window meets the weekly `ddd:hh:mm-ddd:hh:mm` window on any day. */
export function windowsOverlap(dailyWindow: string, weeklyWindow: string): boolean {
  const [weeklyStart, weeklyEnd] = weeklyWindow.split('-').map(minutesOf);
  const weeklyLength = (weeklyEnd - weeklyStart + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  const [dailyStart, dailyEnd] = dailyWindow.split('-').map(minutesOf);
  const dailyLength = (dailyEnd - dailyStart + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  return DAYS.some((_, day) => {
    const start = day * MINUTES_PER_DAY + dailyStart;
    const offset = (start - weeklyStart + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
    const backOffset = (weeklyStart - start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
    return offset < weeklyLength || backOffset < dailyLength;
  });
}

export const regionSchema = z.strictObject({
  /** CIDR of the region's VPC; must not overlap the other region's. */
  vpcCidr,
  /** The three Availability Zones the VPC spans, named in full (e.g. us-east-1a). */
  availabilityZones: z.array(z.string()).length(3, { message: 'must list exactly 3 Availability Zones' }),
  /** NAT gateways in the region; one per AZ keeps egress zonal. */
  natGateways: z
    .number()
    .int()
    .min(1, { message: 'must be at least 1: private subnets need egress' })
    .max(3, { message: 'cannot exceed the 3 AZs' })
    .default(3),
});

/** An EC2 image id, as `ami-` and 8 or 17 hex digits. */
const amiId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, { message: 'must be an AMI id: ami- followed by 8 to 17 lowercase hex digits (e.g. ami-0123456789abcdef0)' });

/** A CodeConnections connection, under either of the service's two ARN prefixes. */
const CONNECTION_ARN =
  /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d:\d{12}:connection\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const pipelineSchema = z.strictObject({
  /** The CodeConnections connection to the repository host, created and approved once in the console. */
  connectionArn: z.string().regex(CONNECTION_ARN, {
    message: 'must be a CodeConnections connection ARN: arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections)',
  }),
  /** The repository the pipeline builds, as `owner/name`. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'must be owner/name' }),
  /** The branch whose pushes start the pipeline. */
  branch: z.string().regex(/^(?!\/|.*(\.\.|\/\/|@\{|\/$|\.lock$))[A-Za-z0-9._/-]+$/, { message: 'must be a git branch name' }),
});

export const environmentConfigSchema = z
  .object({
    /** Environment name, the first part of every name. */
    name: z.string().regex(ENVIRONMENT_NAME, { message: 'must be 2-12 lowercase letters or digits, starting with a letter' }),
    /** 12-digit AWS account id, the same in both regions; defaults to CDK_DEFAULT_ACCOUNT, then a placeholder. */
    account: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' }),
    /**
     * The region that holds the writer and takes traffic; the other is the warm standby with the
     * read replica. Changed only after a Region switch has promoted the standby (docs/disaster-recovery.md).
     */
    primaryRegion: z.enum(REGIONS, { message: `must be one of ${REGIONS.join(', ')}` }),
    /** Per-region network settings, keyed by region. */
    regions: z.strictObject({
      'us-east-1': regionSchema,
      'eu-west-1': regionSchema,
    }),
    /** Values of the mandatory tags. */
    tags: z.strictObject({
      project: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, { message: 'must be 2-31 lowercase letters, digits or hyphens' }),
      owner: z.string().min(1, { message: 'must not be empty' }).max(256),
      costCenter: z.string().min(1, { message: 'must not be empty' }).max(256),
    }),
    /** Web tier capacity and instance type. */
    app: z.strictObject({
      /** Instance types in order of preference, at least two of one architecture so a shortage of one does not stop scaling. */
      instanceTypes: z.array(ec2InstanceType).min(2, { message: 'must list at least 2 instance types (AWS Control Tower CT.AUTOSCALING.PR.6)' }),
      port: z.number().int().min(1024, { message: 'must be an unprivileged port (1024-65535)' }).max(65535),
      minCapacity: z.number().int().min(1),
      desiredCapacity: z.number().int().min(1),
      maxCapacity: z.number().int().min(1).max(100),
      /** Seconds a new instance has before failed health checks replace it. */
      healthCheckGraceSeconds: z.number().int().min(0).max(7200),
      /** Requests one client IP may make in 5 minutes before WAF blocks it. */
      wafRateLimitPer5Minutes: z.number().int().min(100, { message: 'must be at least 100 (WAF minimum)' }).max(2_000_000_000),
      /**
       * The AMI the instances boot, per region: an Amazon Linux 2023 image of the instance types'
       * architecture, pinned so that a new image arrives as a reviewed config change
       * (`scripts/print-latest-ami.sh` prints the current ones).
       */
      amiIds: z.strictObject({ 'us-east-1': amiId, 'eu-west-1': amiId }),
      /** An existing ACM certificate per region instead of a new DNS-validated one. */
      certificateArns: z
        .strictObject({ 'us-east-1': z.string().optional(), 'eu-west-1': z.string().optional() })
        .default({}),
    }),
    /** PostgreSQL settings. */
    database: z.strictObject({
      instanceType: dbInstanceType,
      replicaInstanceType: dbInstanceType,
      multiAz: z.boolean(),
      allocatedStorageGiB: z.number().int().min(20).max(65536),
      maxAllocatedStorageGiB: z.number().int().min(20).max(65536),
      backupRetentionDays: z
        .number()
        .int()
        .min(7, { message: 'must be 7-35 days (AWS Control Tower CT.RDS.PR.8 asks for at least 7)' })
        .max(35, { message: 'must be 7-35 days (RDS keeps at most 35)' }),
      backupWindow: dailyWindow,
      maintenanceWindow: weeklyWindow,
      deletionProtection: z.boolean(),
      /** Days between automatic rotations of the master password. */
      rotationDays: z.number().int().min(1, { message: 'must be 1-365 days' }).max(365, { message: 'must be 1-365 days' }),
      /** Enhanced Monitoring granularity in seconds. */
      monitoringIntervalSeconds: z.union([1, 5, 10, 15, 30, 60].map((v) => z.literal(v)), { message: 'must be 1, 5, 10, 15, 30 or 60' }),
      /**
       * How many times each region's instance has been rebuilt as a new read replica, by region;
       * 0 (the default) is the instance the environment was created with. After a switch, the old
       * primary region's writer cannot become a replica in place: raise its generation by one with
       * `primaryRegion`, and the next deploy builds a replica named `<env>-data-<region>-g<n>` beside
       * the old instance (retained where state is protected, snapshotted and deleted elsewhere).
       */
      generations: z
        .strictObject({ 'us-east-1': z.number().int().min(0).max(99).optional(), 'eu-west-1': z.number().int().min(0).max(99).optional() })
        .default({}),
    }),
    /** CloudWatch alarm thresholds. */
    alarms: z.strictObject({
      cpuHighPercent: percent,
      cpuLowPercent: percent,
      periodSeconds: z.union([z.literal(10), z.literal(30), z.number().int().multipleOf(60).min(60).max(86400)], {
        message: 'must be 10, 30 or a multiple of 60 up to 86400',
      }),
      /** Consecutive periods beyond a CPU threshold before the scaling alarms add or remove an instance. */
      evaluationPeriods: z.number().int().min(1).max(10),
      /** N: the periods a paging alarm looks back over. */
      pagingEvaluationPeriods: z.number().int().min(1).max(10),
      /** M: how many of those N periods must breach before on-call is paged, so one bad minute does not page. */
      pagingDatapointsToAlarm: z.number().int().min(1, { message: 'must be at least 1 (M out of N periods)' }),
      /** 5xx answered by the load balancer itself, in % of requests. */
      elb5xxPercent: percent,
      /** 5xx answered by the instances, in % of requests. */
      target5xxPercent: percent,
      /** Requests per period below which the 5xx rates count as 0: a few errors among a handful of requests are noise. */
      errorRateMinRequests: z.number().int().min(1),
      targetResponseTimeP99Seconds: z.number().gt(0).max(60),
      unhealthyHostCount: z.number().int().min(1),
      dbCpuHighPercent: percent,
      dbFreeStorageLowGiB: z.number().gt(0),
      dbFreeableMemoryLowMiB: z.number().gt(0),
      dbConnectionsHigh: z.number().int().min(1),
      replicaLagSeconds: z.number().gt(0).max(3600),
    }),
    /** DNS and failover. */
    dns: z.strictObject({
      /** The application's name, e.g. app.example.com. */
      domainName: z.hostname({ message: 'must be a DNS name' }),
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route 53 hosted zone id (Z…)' }),
      hostedZoneName: z.hostname({ message: 'must be a DNS name' }),
      healthCheckIntervalSeconds: z.union([z.literal(10), z.literal(30)], { message: 'must be 10 or 30 (Route 53 allows no other)' }),
      healthCheckFailureThreshold: z.number().int().min(1).max(10),
      /** The Amazon ARC Region switch plan that alone makes a region active (docs/disaster-recovery.md). */
      regionSwitch: z.strictObject({
        /** The recovery time objective the plan reports each execution against (AWS::ARCRegionSwitch::Plan allows 1–10080). */
        recoveryTimeObjectiveMinutes: z.number().int().min(1).max(10080),
        /**
         * The manual approval each activation starts with, or `false` for none: the plan then starts
         * by fencing, so one engineer can run a drill alone. With it, a second person (one who may
         * assume the plan's approval role) confirms each switch; required where
         * `protectStatefulResources` is true, since a switch promotes a database and cannot be undone.
         */
        approval: z.union(
          [
            z.literal(false),
            z.strictObject({
              /** How long the approval step waits for a person before the switch fails. */
              timeoutMinutes: z.number().int().min(1).max(1440),
            }),
          ],
          { message: 'must be { timeoutMinutes } or false' },
        ),
        /**
         * Automatic activation of the standby (eu-west-1) when, seen from the standby, the founding
         * region has been lost for `afterMinutes`: its probe of us-east-1 has failed every minute and its
         * replica has received nothing for as long. A Region switch trigger starts that activation with no
         * approval step and never activates us-east-1: fail-back stays a person's act. `false`: only a
         * person starts a switch. On unless set (docs/disaster-recovery.md, "Automatic activation").
         */
        autoActivation: z
          .union(
            [
              z.literal(false),
              z.strictObject({
                /** Minutes both signals must agree before the trigger fires: one-minute probes and replica lag, 2–60. */
                afterMinutes: z
                  .number({ message: 'must be a whole number of minutes from 2 to 60' })
                  // A refinement, not .int(): inside the union, .int() would report only the union's message.
                  .refine(Number.isInteger, { message: 'must be a whole number of minutes from 2 to 60' })
                  .min(2, { message: 'must be a whole number of minutes from 2 to 60: one failed probe is not an outage' })
                  .max(60, { message: 'must be a whole number of minutes from 2 to 60' }),
              }),
            ],
            { message: 'must be { afterMinutes } or false' },
          )
          .default({ afterMinutes: 5 }),
      }),
    }),
    /** Days every log group (flow logs, database logs, …) keeps its events: a CloudWatch Logs period of at least 365. */
    logRetentionDays: z.number().refine((v) => RETENTION_DAYS.includes(v), {
      message: `must be a CloudWatch Logs retention period of at least a year (AWS Control Tower CT.CLOUDWATCH.PR.2): one of ${RETENTION_DAYS.join(', ')}`,
    }),
    /** Who receives alarm notifications. */
    alertEmails: z.array(email).min(1, { message: 'must list at least one address' }),
    /** Termination protection on stateful stacks and RETAIN/SNAPSHOT removal for keys, logs and data. */
    protectStatefulResources: z.boolean(),
    /** Whether a person approves the `cdk diff` before the pipeline deploys. */
    requireApproval: z.boolean(),
    /** Where the environment's pipeline gets the app's source. */
    pipeline: pipelineSchema,
  })
  .superRefine((config, ctx) => {
    for (const region of REGIONS) {
      config.regions[region].availabilityZones.forEach((az, i) => {
        if (!new RegExp(`^${region}[a-z]$`).test(az)) {
          ctx.addIssue({ code: 'custom', path: ['regions', region, 'availabilityZones', i], message: `"${az}" is not an Availability Zone of ${region}` });
        }
      });
      if (new Set(config.regions[region].availabilityZones).size !== config.regions[region].availabilityZones.length) {
        ctx.addIssue({ code: 'custom', path: ['regions', region, 'availabilityZones'], message: 'lists the same Availability Zone twice' });
      }
    }
    const [a, b] = REGIONS.map((r) => parseCidr(config.regions[r].vpcCidr));
    if (a && b && a.first <= b.last && b.first <= a.last) {
      ctx.addIssue({ code: 'custom', path: ['regions', REGIONS[1], 'vpcCidr'], message: `overlaps ${REGIONS[0]}'s ${config.regions[REGIONS[0]].vpcCidr}; peering and failover need distinct ranges` });
    }
    const { minCapacity, desiredCapacity, maxCapacity } = config.app;
    if (minCapacity > maxCapacity) {
      ctx.addIssue({ code: 'custom', path: ['app', 'minCapacity'], message: `(${minCapacity}) exceeds app.maxCapacity (${maxCapacity})` });
    } else if (desiredCapacity < minCapacity || desiredCapacity > maxCapacity) {
      ctx.addIssue({ code: 'custom', path: ['app', 'desiredCapacity'], message: `(${desiredCapacity}) must lie between minCapacity ${minCapacity} and maxCapacity ${maxCapacity}` });
    } else if (desiredCapacity === maxCapacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['app', 'maxCapacity'],
        message: `(${maxCapacity}) must exceed app.desiredCapacity: a rolling update keeps desiredCapacity instances in service and launches each new one above it`,
      });
    }
    const architectures = new Set(config.app.instanceTypes.filter(isKnownInstanceType).map((t) => new ec2.InstanceType(t).architecture));
    if (architectures.size > 1) {
      ctx.addIssue({ code: 'custom', path: ['app', 'instanceTypes'], message: 'mixes CPU architectures; one AMI must boot on all of them' });
    }
    for (const region of REGIONS) {
      const arn = config.app.certificateArns[region];
      if (arn !== undefined && !new RegExp(`^arn:aws:acm:${region}:${config.account}:certificate/[0-9a-f-]{36}$`).test(arn)) {
        ctx.addIssue({ code: 'custom', path: ['app', 'certificateArns', region], message: `is not an ACM certificate ARN of account ${config.account} in ${region}` });
      }
    }
    if (config.alarms.pagingDatapointsToAlarm > config.alarms.pagingEvaluationPeriods) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'pagingDatapointsToAlarm'],
        message: `(${config.alarms.pagingDatapointsToAlarm}) must be at most alarms.pagingEvaluationPeriods (${config.alarms.pagingEvaluationPeriods}): M out of N periods`,
      });
    }
    if (config.alarms.cpuLowPercent >= config.alarms.cpuHighPercent) {
      ctx.addIssue({ code: 'custom', path: ['alarms', 'cpuLowPercent'], message: `(${config.alarms.cpuLowPercent}) must be below alarms.cpuHighPercent (${config.alarms.cpuHighPercent})` });
    }
    if (windowsOverlap(config.database.backupWindow, config.database.maintenanceWindow)) {
      ctx.addIssue({ code: 'custom', path: ['database', 'maintenanceWindow'], message: `overlaps database.backupWindow (${config.database.backupWindow}) on some day` });
    }
    if (config.database.maxAllocatedStorageGiB < config.database.allocatedStorageGiB) {
      ctx.addIssue({ code: 'custom', path: ['database', 'maxAllocatedStorageGiB'], message: `must be at least database.allocatedStorageGiB (${config.database.allocatedStorageGiB})` });
    }
    const zone = config.dns.hostedZoneName.replace(/\.$/, '');
    if (config.dns.domainName !== zone && !config.dns.domainName.endsWith(`.${zone}`)) {
      ctx.addIssue({ code: 'custom', path: ['dns', 'domainName'], message: `"${config.dns.domainName}" is not inside hosted zone ${zone}` });
    }
    const replicaRegion = peerOf(config.primaryRegion);
    if (replicaRegion === FOUNDING_REGION && (config.database.generations[FOUNDING_REGION] ?? 0) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'generations', FOUNDING_REGION],
        message: `must be at least 1 while ${FOUNDING_REGION} is the standby: its first instance was created as the writer and cannot become a replica of ${config.primaryRegion}; generation 1 builds a new replica beside it`,
      });
    }
    if (config.protectStatefulResources && config.dns.regionSwitch.approval === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'regionSwitch', 'approval'],
        message: 'must be { timeoutMinutes } where protectStatefulResources is true: a switch promotes a database and cannot be undone, so a second person approves it',
      });
    }
    const auto = config.dns.regionSwitch.autoActivation;
    if (auto !== false && auto.afterMinutes >= config.dns.regionSwitch.recoveryTimeObjectiveMinutes) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns', 'regionSwitch', 'autoActivation', 'afterMinutes'],
        message: `(${auto.afterMinutes}) must be below dns.regionSwitch.recoveryTimeObjectiveMinutes (${config.dns.regionSwitch.recoveryTimeObjectiveMinutes}): detection alone would use the whole objective`,
      });
    }
    if (config.name === 'prod') {
      if (minCapacity < 2) ctx.addIssue({ code: 'custom', path: ['app', 'minCapacity'], message: 'must be at least 2 in prod so every AZ outage leaves a serving instance' });
      if (!config.database.multiAz) ctx.addIssue({ code: 'custom', path: ['database', 'multiAz'], message: 'must be true in prod: a single-AZ writer stops taking writes for as long as its AZ is out' });
      if (!config.database.deletionProtection) ctx.addIssue({ code: 'custom', path: ['database', 'deletionProtection'], message: 'must be true in prod: no stack deletion or mistaken call may delete the writer' });
      if (!config.protectStatefulResources) ctx.addIssue({ code: 'custom', path: ['protectStatefulResources'], message: 'must be true in prod' });
      if (!config.requireApproval) ctx.addIssue({ code: 'custom', path: ['requireApproval'], message: 'must be true in prod: a person reviews the diff before it deploys' });
    }
  });

/** One environment's complete, validated settings. */
export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;
/** The settings as written in `environments.ts`, before defaults and the account are filled in. */
export type EnvironmentInput = z.input<typeof environmentConfigSchema>;
