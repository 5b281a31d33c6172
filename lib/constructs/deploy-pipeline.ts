import { DefaultStackSynthesizer, Duration, Stack, Token, type CfnElement, type RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, type Acknowledgement } from '../compliance/acknowledge';
import { checkName } from '../naming';
import { EncryptionKey } from './encryption-key';
import { ManagedPolicyRole } from './managed-policy-role';

/** The CDK bootstrap roles the CLI assumes to look up, publish assets and deploy. */
const BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'lookup'] as const;

/** The stages before the deploy waves, in order; `Approve` only where an approval is required. */
const PIPELINE_STAGES = { source: 'Source', synth: 'Synth', diff: 'Diff', approve: 'Approve' } as const;

/** The file the diff step writes and exports, for the reviewer. */
const DIFF_FILE = 'cdk-diff.txt';

/** The Synth action's output artifact: the cloud assembly and the CLI that deploys it. */
const ASSEMBLY_ARTIFACT = 'CloudAssembly';

/** The Source action's output artifact; a build step reads it (extra input) under `$CODEBUILD_SRC_DIR_Source`. */
const SOURCE_ARTIFACT = 'Source';

/** Where synth writes the cloud assembly, which diff and deploy read instead of synthesizing again. */
const ASSEMBLY_DIR = 'cdk.out';

/**
 * The CDK CLI as `npm ci` installed it for synth, shipped in the Synth artifact: it has no
 * dependencies, so the deploy steps run the tested CLI without installing anything.
 */
const ARTIFACT_CDK = 'node node_modules/aws-cdk/bin/cdk';

/** The Node.js major version the build image runs; the CDK CLI needs 20 or later. */
const NODE_VERSION = '20';
/** The Python the tests run with, a runtime of the standard 7.0 image. */
const PYTHON_VERSION = '3.11';
/** What `npm test` needs besides Node.js: the Python packages pinned in requirements-test.txt and PostgreSQL's server. */
const TEST_TOOLS_INSTALL = [
  'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql',
  'python3 -m pip install -q -r requirements-test.txt',
];

/**
 * What the Diff step's account check (`scripts/preflight.py`, boto3) needs: the versions
 * requirements-test.txt pins (a test keeps them equal), without the test-only packages.
 */
export const PREFLIGHT_PACKAGES = ['boto3==1.43.11', 'botocore==1.43.11'] as const;

/**
 * Run by each deploy step before `cdk deploy`, shipped in the CloudAssembly artifact (the
 * deploy steps have no source): turns termination protection off on the wave's stacks that
 * a failed first create left in ROLLBACK_COMPLETE, so the CLI can delete and recreate them.
 */
export const UNPROTECT_FAILED_CREATES_SCRIPT = 'scripts/unprotect-failed-creates.sh';

/**
 * Run by each deploy step, from the source (it reviews the assembly against the deployed
 * templates with the change-safety code, so it needs `npm ci`): `before` sets each deployed
 * stack's policy with the acknowledged replacements exempt, `after` (in `finally`, so also
 * after a failed deploy) the strict one. docs/change-review.md, "Stack policies".
 */
export const STACK_POLICIES_SCRIPT = 'scripts/apply-stack-policies.sh';

/** A CloudFormation deploy of both regions (a database replica among it) outlasts CodeBuild's one-hour default. */
const DEPLOY_TIMEOUT = Duration.hours(4);

/** Where a pipeline gets its source. */
export interface PipelineSource {
  /** ARN of a CodeConnections connection that is already approved in the console. */
  readonly connectionArn: string;
  /** The repository, as `owner/name`. */
  readonly repository: string;
  /** The branch whose pushes start the pipeline. */
  readonly branch: string;
}

/** What the check after a wave asks of the region the wave deployed. */
export interface RegionCheck {
  /** The region the wave deployed. */
  readonly region: string;
  /** The region's `/health` URL on its own name, e.g. `https://eu-west-1.app.example.com/health`, which must answer 200. */
  readonly healthUrl: string;
  /** The region's app stack, whose output `loadBalancerDnsOutput` names its load balancer. */
  readonly appStackName: string;
  /** The output of `appStackName` that holds the load balancer's DNS name. */
  readonly loadBalancerDnsOutput: string;
  /**
   * The stack whose output `alarmNamesOutput` names, space-separated, the alarms that describe
   * the region itself; each must be OK after the bake time. Read when the check runs, from the
   * stack the wave just deployed, so the list is always the deployed one: a list written into
   * this pipeline's buildspec would go stale whenever an alarm changes, since a person, not a
   * run, deploys the pipeline's stack.
   */
  readonly alarmsStackName: string;
  /** The output of `alarmsStackName` that names the alarms to check. */
  readonly alarmNamesOutput: string;
  /** Every alarm the output names starts with this: the check's role may read only alarms under it. */
  readonly alarmNamePrefix: string;
  /** How long the alarms watch the new version before the check reads them: one full evaluation window. */
  readonly bakeTime: Duration;
}

/** Stacks deployed together, as one stage of the pipeline. */
export interface DeployWave {
  /** Names the wave's stage (`Deploy<id>`) and its check's (`Verify<id>`). */
  readonly id: string;
  /** The stacks the wave deploys; dependencies among them still order them, the others deploy side by side. */
  readonly stackNames: readonly string[];
  /** A check that must pass before the next wave starts. @default - none */
  readonly verify?: RegionCheck;
}

/** What a `DeployPipeline` builds, for which environment, and how it treats its state. */
export interface DeployPipelineProps {
  /** The pipeline's name. */
  readonly pipelineName: string;
  /** Each build step's project and log group is named `<namePrefix>-<step>`, e.g. `prod-pipeline-us-east-1-synth`. */
  readonly namePrefix: string;
  /** The connection, repository and branch to build. */
  readonly source: PipelineSource;
  /** CDK context given to synth (`-c key=value`); diff and deploy read the assembly synth wrote. */
  readonly cdkContext: Readonly<Record<string, string>>;
  /** The environment's name, given to the diff step's review. */
  readonly environmentName: string;
  /** The deploy, in order: each wave starts once the one before it (and its check) succeeded. */
  readonly waves: readonly DeployWave[];
  /** Whether a person approves the diff before the deploy step runs. */
  readonly requireApproval: boolean;
  /** The account the app deploys to, whose bootstrap roles the diff and deploy steps may assume. */
  readonly targetAccount: string;
  /** The bootstrapped regions of `targetAccount` the app deploys to. */
  readonly targetRegions: readonly string[];
  /** How long the build logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the buckets, keys and log groups when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** The qualifier the target regions were bootstrapped with. @default DefaultStackSynthesizer.DEFAULT_QUALIFIER */
  readonly bootstrapQualifier?: string;
}

/** What one CodeBuild step runs and may do. */
interface BuildStep {
  readonly name: string;
  readonly description: string;
  /** Install-phase commands after the Node.js runtime is selected. */
  readonly install: string[];
  /** Runtimes besides Node.js, by CodeBuild's runtime-versions name. @default - none */
  readonly runtimes?: Record<string, string>;
  readonly commands: string[];
  /** Build-phase commands that run after `commands` even when one of them failed. @default - none */
  readonly finally?: string[];
  /** Files exported as the action's output artifact. */
  readonly outputFiles?: string[];
  /** Whether the step calls AWS through the CDK bootstrap roles; synth is offline and does not. */
  readonly assumesBootstrapRoles: boolean;
  /** What else the step's role may do. @default - nothing else */
  readonly statements?: iam.PolicyStatement[];
  /** Why the wildcards in `statements` are safe (cdk-nag AwsSolutions-IAM5). @default - none */
  readonly acknowledgements?: Acknowledgement[];
  readonly timeout?: Duration;
}

/**
 * A CodePipeline (V2) that checks out the app, tests and synthesizes it once,
 * shows `cdk diff` of that cloud assembly as a log and an artifact, waits for a
 * manual approval where asked, and deploys the same assembly in waves, each
 * wave's stacks side by side, with a check between waves that stops the run
 * before the next region is touched. Each build step has its own role that may
 * only write its own logs, use the artifacts, and (diff and deploy) assume the
 * CDK bootstrap roles of the target account: CloudFormation's execution role,
 * not the build, holds the permissions to change resources.
 */
export class DeployPipeline extends Construct {
  /** The pipeline. */
  public readonly pipeline: codepipeline.Pipeline;
  /** The bucket that holds the source, assembly, diff and other artifacts, encrypted with `artifactKey`. */
  public readonly artifactBucket: s3.Bucket;
  /** The customer-managed key of the artifacts and the build projects. */
  public readonly artifactKey: EncryptionKey;
  /** The build projects, by step: `synth`, `diff`, `deploy` and `verify-<wave id>`. */
  public readonly projects: Readonly<Record<string, codebuild.PipelineProject>>;

  private readonly props: DeployPipelineProps;
  private readonly logKey: EncryptionKey;
  private readonly bootstrapRoles: iam.IRole[];

  constructor(scope: Construct, id: string, props: DeployPipelineProps) {
    super(scope, id);
    this.props = props;
    this.artifactKey = new EncryptionKey(this, 'ArtifactKey', {
      description: `Encrypts the artifacts and builds of ${props.pipelineName}`,
      removalPolicy: props.removalPolicy,
    });
    this.logKey = new EncryptionKey(this, 'LogKey', {
      description: `Encrypts the build logs of ${props.pipelineName}`,
      removalPolicy: props.removalPolicy,
    });
    this.artifactBucket = this.createArtifactBucket();
    this.bootstrapRoles = this.importBootstrapRoles();

    const cdkArgs = Object.entries(props.cdkContext).map(([key, value]) => `-c ${key}=${value}`).join(' ');
    // Every wave's stacks may deploy at once; dependencies among them still come first.
    const concurrency = Math.max(...props.waves.map((wave) => wave.stackNames.length));
    const projects: Record<string, codebuild.PipelineProject> = {
      synth: this.createProject({
        name: 'synth',
        description: 'Installs, tests and synthesizes the app into the cloud assembly that diff and deploy use',
        // npm test also runs Python (the switch handlers under moto) and PostgreSQL (the health checks
        // against a real primary and standby): scripts/check-test-tools.sh stops it without them.
        install: ['npm ci', ...TEST_TOOLS_INSTALL],
        runtimes: { python: PYTHON_VERSION },
        commands: [
          'npm test',
          `npx cdk synth ${cdkArgs} --output ${ASSEMBLY_DIR}`,
          // cfn-lint (pinned in requirements-test.txt, installed above) over every template the
          // waves will deploy, with the short ignore list CI uses; a finding fails the run here.
          `python3 scripts/lint-templates.py ${ASSEMBLY_DIR}`,
        ],
        outputFiles: [`${ASSEMBLY_DIR}/**/*`, 'node_modules/aws-cdk/**/*', UNPROTECT_FAILED_CREATES_SCRIPT],
        assumesBootstrapRoles: false,
      }),
      diff: this.createProject({
        name: 'diff',
        description: 'Shows what deploying the synthesized assembly would change, for the reviewer',
        // The review scripts come from the source; the assembly is the Synth artifact's.
        install: ['npm ci', `python3 -m pip install -q ${PREFLIGHT_PACKAGES.join(' ')}`],
        runtimes: { python: PYTHON_VERSION },
        commands: [
          // Before anything reads the account: the hosted zone, ACM's validation records and the
          // configured AZs, as the environment's lookup role sees them (see preflightRoleArn()).
          `python3 scripts/preflight.py --env ${props.environmentName} --role-arn ${this.preflightRoleArn()}`,
          `ln -sfn "$CODEBUILD_SRC_DIR_${ASSEMBLY_ARTIFACT}/${ASSEMBLY_DIR}" ${ASSEMBLY_DIR}`,
          // pipefail: without it, tee's success would hide a failed diff.
          `set -o pipefail; npx cdk diff --app ${ASSEMBLY_DIR} 2>&1 | tee ${DIFF_FILE}`,
          `bash scripts/fetch-deployed-templates.sh ${props.environmentName} deployed && npm run review -- --base deployed --head ${ASSEMBLY_DIR} -c env=${props.environmentName}`,
        ],
        outputFiles: [DIFF_FILE],
        assumesBootstrapRoles: true,
      }),
      deploy: this.createDeployProject(concurrency),
    };
    for (const wave of props.waves) {
      if (wave.verify) projects[verifyStep(wave)] = this.createVerifyProject(wave, wave.verify);
    }
    this.projects = projects;
    this.pipeline = this.createPipeline();
  }

  /**
   * The wildcards that the L2 grants write into a role's policy (cdk-nag
   * AwsSolutions-IAM5), each scoped to this pipeline's bucket, key or log group.
   * The bucket's grants arrive when the pipeline binds its actions; an
   * acknowledgement names the finding, so it may come first.
   */
  private acknowledgeGrantWildcards(role: ManagedPolicyRole, access: { writesArtifacts: boolean; project?: codebuild.PipelineProject }): void {
    const stack = Stack.of(this);
    const logicalId = (construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const readReason = 'From the artifact bucket\'s grantRead(): the wildcard covers only the read variants of the action (versions, tagging, ACL), on this pipeline\'s artifact bucket and its objects alone.';
    const writeReason = 'From the artifact bucket\'s grantReadWrite(), needed to store output artifacts: the wildcard covers the variants of one action, on this pipeline\'s artifact bucket and its objects alone.';
    const keyReason = 'From the artifact key\'s grantEncryptDecrypt(), needed to write encrypted artifacts: the statement names this pipeline\'s artifact key only, whose policy also bars grants to non-AWS principals.';
    const acknowledgements = [
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((action) => ({ id: `Action::${action}`, reason: readReason })),
      ...(access.writesArtifacts ? ['s3:DeleteObject*', 's3:Abort*'].map((action) => ({ id: `Action::${action}`, reason: writeReason })) : []),
      ...['kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((action) => ({ id: `Action::${action}`, reason: keyReason })),
      {
        id: `Resource::<${logicalId(this.artifactBucket)}.Arn>/*`,
        reason: 'The objects of this pipeline\'s own artifact bucket, which holds nothing but the artifacts of its executions; object keys are chosen by CodePipeline per run.',
      },
      ...(access.project
        ? [
            {
              id: `Resource::arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/aws/codebuild/<${logicalId(access.project)}>:*`,
              reason: 'CodeBuild\'s L2 always grants the streams of the project\'s default log group /aws/codebuild/<project>; the project logs to its own encrypted group, so this reaches nothing else.',
            },
          ]
        : []),
    ];
    if (!role.permissions) throw new Error(`${role.node.path} has no permissions to acknowledge`);
    acknowledge(role.permissions, ...acknowledgements.map(({ id, reason }) => ({ id: `AwsSolutions::AwsSolutions-IAM5[${id}]`, reason })));
  }

  private createPipeline(): codepipeline.Pipeline {
    const { pipelineName, source, requireApproval, waves } = this.props;
    const sourceOutput = new codepipeline.Artifact(SOURCE_ARTIFACT);
    const assembly = new codepipeline.Artifact(ASSEMBLY_ARTIFACT);
    const diffOutput = new codepipeline.Artifact('CdkDiff');
    const [owner, repo] = source.repository.split('/');
    const build = (actionName: string, step: string, input: codepipeline.Artifact, options: Partial<actions.CodeBuildActionProps> = {}) =>
      new actions.CodeBuildAction({ actionName, project: this.projects[step], input, ...options });

    const stages: codepipeline.StageProps[] = [
      {
        stageName: PIPELINE_STAGES.source,
        actions: [
          new ConnectionSourceAction({
            actionName: PIPELINE_STAGES.source,
            connectionArn: source.connectionArn,
            owner,
            repo,
            branch: source.branch,
            output: sourceOutput,
          }),
        ],
      },
      { stageName: PIPELINE_STAGES.synth, actions: [build(PIPELINE_STAGES.synth, 'synth', sourceOutput, { outputs: [assembly] })] },
      {
        stageName: PIPELINE_STAGES.diff,
        actions: [build(PIPELINE_STAGES.diff, 'diff', sourceOutput, { extraInputs: [assembly], outputs: [diffOutput] })],
      },
      ...(requireApproval
        ? [
            {
              stageName: PIPELINE_STAGES.approve,
              actions: [
                new actions.ManualApprovalAction({
                  actionName: 'ReviewDiff',
                  additionalInformation:
                    `Review the cdk diff before approving: it is in the log of the ${PIPELINE_STAGES.diff} action (Details) ` +
                    `and in ${DIFF_FILE} inside this execution's ${diffOutput.artifactName} artifact in bucket ${this.artifactBucket.bucketName}.`,
                }),
              ],
            },
          ]
        : []),
      ...waves.flatMap((wave) => [
        {
          stageName: `Deploy${wave.id}`,
          actions: [
            build(`Deploy${wave.id}`, 'deploy', assembly, {
              // The source, for the stack-policy step; the assembly stays the primary input the CLI deploys.
              extraInputs: [sourceOutput],
              environmentVariables: { STACKS: { value: wave.stackNames.join(' ') } },
            }),
          ],
        },
        // The check reads AWS, not files: the small source artifact is its input because an action needs one.
        ...(wave.verify ? [{ stageName: `Verify${wave.id}`, actions: [build(`Verify${wave.id}`, verifyStep(wave), sourceOutput)] }] : []),
      ]),
    ];

    const role = new ManagedPolicyRole(this, 'PipelineRole', {
      assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com'),
      description: `Runs ${pipelineName}: reads the connection, starts its builds, moves artifacts`,
    });
    const pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactBucket,
      role,
      // One role for the pipeline and its actions: per-action roles would be assumable by it anyway.
      usePipelineRoleForActions: true,
      stages,
    });
    this.acknowledgeGrantWildcards(role, { writesArtifacts: true });
    return pipeline;
  }

  private createProject(step: BuildStep): codebuild.PipelineProject {
    const { pipelineName, namePrefix, logRetention, removalPolicy } = this.props;
    const projectName = checkName('buildProject', `${namePrefix}-${step.name}`);
    const logGroupName = checkName('logGroup', `${namePrefix}-${step.name}`);
    this.logKey.allowLogGroups(logGroupName);
    const role = new ManagedPolicyRole(this, `${pascal(step.name)}Role`, {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `Runs the ${step.name} step of ${pipelineName}`,
    });
    if (step.assumesBootstrapRoles) {
      for (const bootstrapRole of this.bootstrapRoles) bootstrapRole.grantAssumeRole(role);
    }
    for (const statement of step.statements ?? []) role.addToPrincipalPolicy(statement);
    const project = new codebuild.PipelineProject(this, `${pascal(step.name)}Project`, {
      projectName,
      description: step.description,
      role,
      encryptionKey: this.artifactKey,
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL },
      timeout: step.timeout,
      // The steps publish no test reports; without this the role could create report groups.
      grantReportGroupPermissions: false,
      logging: {
        cloudWatch: {
          logGroup: new logs.LogGroup(this, `${pascal(step.name)}Logs`, {
            logGroupName,
            encryptionKey: this.logKey,
            retention: logRetention,
            removalPolicy,
          }),
        },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: {
          install: { 'runtime-versions': { nodejs: NODE_VERSION, ...step.runtimes }, ...(step.install.length ? { commands: step.install } : {}) },
          build: { commands: step.commands, ...(step.finally ? { finally: step.finally } : {}) },
        },
        ...(step.outputFiles ? { artifacts: { files: step.outputFiles } } : {}),
      }),
    });
    this.acknowledgeGrantWildcards(role, { writesArtifacts: step.outputFiles !== undefined, project });
    if (step.acknowledgements) acknowledge(role.permissions!, ...step.acknowledgements);
    return project;
  }

  /**
   * The deploy step, shared by the waves (`$STACKS` names a wave's stacks). The CLI deploys
   * through the CDK bootstrap roles; the stack policies are set by the step's own role,
   * which may call SetStackPolicy (and DescribeStacks, to skip a stack not created yet) on
   * the waves' stacks only: the bootstrap deploy role lacks SetStackPolicy, and the pipeline
   * deploys to its own account, so a grant on the stacks needs no custom bootstrap template.
   * An ARN names the stack in each target region, as a wave lists stacks by name alone.
   */
  private createDeployProject(concurrency: number): codebuild.PipelineProject {
    const { environmentName, targetAccount, targetRegions, waves } = this.props;
    const partition = Stack.of(this).partition;
    const stackArns = waves.flatMap((wave) => wave.stackNames).flatMap((name) =>
      targetRegions.map((region) => `arn:${partition}:cloudformation:${region}:${targetAccount}:stack/${name}/*`),
    );
    const stackPolicies = (phase: 'before' | 'after') => `bash "$CODEBUILD_SRC_DIR_${SOURCE_ARTIFACT}/${STACK_POLICIES_SCRIPT}" ${phase} ${environmentName} ${ASSEMBLY_DIR} $STACKS`;
    return this.createProject({
      name: 'deploy',
      description: "Deploys one wave's stacks ($STACKS) of the synthesized assembly through the CDK bootstrap roles, under stack policies",
      // The stack-policy step runs the change-safety review, from the source.
      // A subshell: the build phase runs from the assembly, the primary input.
      install: [`(cd "$CODEBUILD_SRC_DIR_${SOURCE_ARTIFACT}" && npm ci)`],
      commands: [
        // Termination protection would stop the CLI from deleting a failed first create before
        // it retries; the script says why, what it touches, and which role it uses.
        `bash ${UNPROTECT_FAILED_CREATES_SCRIPT} ${ASSEMBLY_DIR} $STACKS`,
        stackPolicies('before'),
        `${ARTIFACT_CDK} deploy $STACKS --app ${ASSEMBLY_DIR} --exclusively --require-approval never --concurrency ${concurrency}`,
      ],
      // Also after a failed deploy: no exemption outlives the deploy it was reviewed for.
      finally: [stackPolicies('after')],
      assumesBootstrapRoles: true,
      statements: [new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks', 'cloudformation:SetStackPolicy'], resources: stackArns })],
      acknowledgements: stackArns.map((arn) => ({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arn}]`,
        reason: 'The trailing wildcard is the stack id CloudFormation appends to the stack\'s name in its ARN; the statement allows only DescribeStacks and SetStackPolicy, on this one stack of the app.',
      })),
      timeout: DEPLOY_TIMEOUT,
    });
  }

  /**
   * The check after a wave: its role may read the outputs of the region's app and monitoring
   * stacks and the alarms under one name prefix in that region, nothing else (no bootstrap role).
   */
  private createVerifyProject(wave: DeployWave, check: RegionCheck): codebuild.PipelineProject {
    const stack = Stack.of(this);
    const { targetAccount } = this.props;
    const stackArn = (name: string) => `arn:${stack.partition}:cloudformation:${check.region}:${targetAccount}:stack/${name}/*`;
    const stackArns = [...new Set([check.appStackName, check.alarmsStackName])].map(stackArn);
    const alarmsArn = `arn:${stack.partition}:cloudwatch:${check.region}:${targetAccount}:alarm:${check.alarmNamePrefix}*`;
    return this.createProject({
      name: verifyStep(wave),
      description: `Checks ${check.region} after the ${wave.id} wave: /health answers 200 and every alarm ${check.alarmsStackName} names is OK`,
      install: [],
      commands: [regionCheckScript(check)],
      assumesBootstrapRoles: false,
      statements: [
        new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: stackArns }),
        // DescribeAlarms can be scoped to metric alarms' ARNs (only composite alarms need "*"; the app has none):
        // the ARC Region switch guide's sample policy for reading alarms names alarm ARNs the same way
        // (docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_cloudwatch.html).
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarmsArn] }),
      ],
      acknowledgements: [
        ...stackArns.map((arn) => ({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${arn}]`,
          reason: `The trailing wildcard is the stack id CloudFormation appends to the stack's name in its ARN; the statement allows only DescribeStacks (the outputs the check reads) on this one stack.`,
        })),
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${alarmsArn}]`,
          reason: `The alarms of ${check.region}'s monitoring stack, whose names the check reads from its output; the statement allows only DescribeAlarms, on names under that prefix alone.`,
        },
      ],
    });
  }

  /**
   * The role the Diff step's account check runs as: the CDK bootstrap lookup role of the first
   * target region, which the step may already assume. The bootstrap template
   * (node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml, LookupRole) names it
   * cdk-<qualifier>-lookup-role-<account>-<region>, trusts the account, and gives it the AWS
   * managed ReadOnlyAccess policy (route53:Get*, route53:List*, ec2:Describe*: GetHostedZone,
   * ListResourceRecordSets and DescribeAvailabilityZones among them) with only kms:Decrypt denied.
   * IAM roles are global, so its credentials serve the checks of every region.
   */
  private preflightRoleArn(): string {
    const [region] = this.props.targetRegions;
    if (!region) throw new Error(`${this.node.path}: targetRegions is empty`);
    return this.bootstrapRoleArn('lookup', region);
  }

  /** The ARN the bootstrap template gives the CLI's `kind` role in `region` of the target account. */
  private bootstrapRoleArn(kind: (typeof BOOTSTRAP_ROLE_KINDS)[number], region: string): string {
    const { targetAccount, bootstrapQualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER } = this.props;
    return Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      account: targetAccount,
      resource: 'role',
      resourceName: `cdk-${bootstrapQualifier}-${kind}-role-${targetAccount}-${region}`,
    });
  }

  /** The CLI's deploy, file-publishing and lookup roles in each target region, which the bootstrap template names. */
  private importBootstrapRoles(): iam.IRole[] {
    return this.props.targetRegions.flatMap((region) =>
      BOOTSTRAP_ROLE_KINDS.map((kind) => iam.Role.fromRoleArn(this, `Bootstrap-${kind}-${region}`, this.bootstrapRoleArn(kind, region), { mutable: false })),
    );
  }

  /** Artifacts encrypted with the pipeline's key, reachable only over TLS, logged to a second bucket. */
  private createArtifactBucket(): s3.Bucket {
    const { removalPolicy } = this.props;
    const accessLogs = new s3.Bucket(this, 'AccessLogBucket', {
      // S3 server access logging delivers only to buckets encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      // Lets an investigation put legal holds on log objects; no default retention, which log delivery does not allow.
      objectLockEnabled: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy,
    });
    sendEventsToEventBridge(accessLogs);
    acknowledge(
      accessLogs,
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason: 'S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3); a KMS default would stop the artifact bucket\'s access logs from arriving.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        reason: 'S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3); a KMS default would stop the artifact bucket\'s access logs from arriving.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        reason: 'This bucket is the access-log destination; logging it would need yet another bucket with the same gap. Access to it is audited by CloudTrail and it allows only TLS.',
      },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
        reason: 'Access logs of a build-artifact bucket whose contents the pipeline recreates on every run; losing the region loses no state a second copy would have to restore.',
      },
    );
    const bucket = new s3.Bucket(this, 'ArtifactBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.artifactKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      // Lets an investigation put legal holds on artifacts; a default retention would make every upload send Content-MD5.
      objectLockEnabled: true,
      // An execution needs its artifacts for hours; a month keeps retries and audits possible.
      lifecycleRules: [
        { expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      removalPolicy,
    });
    sendEventsToEventBridge(bucket);
    acknowledge(bucket, {
      id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: 'Holds only what one pipeline run derives from the repository (source zip, diff); re-running the pipeline recreates it, so a replica in another region would restore nothing.',
    });
    return bucket;
  }
}

/** What `ConnectionSourceAction` checks out, and where it puts it. */
interface ConnectionSourceActionProps {
  readonly actionName: string;
  /** A CodeConnections connection's ARN, under either service prefix; a literal, so synth can read its service. */
  readonly connectionArn: string;
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
  readonly output: codepipeline.Artifact;
}

/**
 * The IAM action that lets a principal use `connectionArn`: `codeconnections:UseConnection` for
 * an `arn:<partition>:codeconnections:` connection, `codestar-connections:UseConnection` for an
 * `arn:<partition>:codestar-connections:` one. After AWS renamed CodeStar Connections to
 * CodeConnections, "when specifying a resource in the IAM policy, the service prefix needs to
 * match the resource's" (docs.aws.amazon.com/dtconsole/latest/userguide/rename.html); the
 * Service Authorization Reference lists the Connection resource of each prefix with its own
 * ARN form (list_awscodeconnections, list_awscodestarconnections). cfn-lint reports the
 * mismatch as I3510. Both prefixes stay valid, so both forms are accepted.
 */
export function useConnectionAction(connectionArn: string): string {
  if (Token.isUnresolved(connectionArn)) {
    throw new Error('The connection ARN must be a literal: its service prefix decides which UseConnection action the pipeline role needs');
  }
  const service = connectionArn.split(':')[2];
  if (service !== 'codeconnections' && service !== 'codestar-connections') {
    throw new Error(`${connectionArn} is not a connection ARN of codeconnections or codestar-connections`);
  }
  return `${service}:UseConnection`;
}

/**
 * CodePipeline's CodeStarSourceConnection source action, as the CDK's
 * `CodeStarConnectionsSourceAction` renders it, but with the UseConnection action that
 * matches the connection's ARN. The CDK action's `bound()` (aws-cdk-lib 2.276.0,
 * aws-codepipeline-actions/lib/codestar-connections/source-action.js) always adds
 * `codestar-connections:UseConnection` on the ARN to the action's role, which IAM does not
 * apply to an `arn:aws:codeconnections:` connection: the Source stage would be denied. It
 * offers no way to leave that statement out, so this action does what its `bound()` does
 * (the same configuration; read/write and PutObjectAcl on the artifact bucket) with the
 * statement from `useConnectionAction`, and nothing else.
 */
class ConnectionSourceAction extends codepipeline.Action {
  protected readonly providedActionProperties: codepipeline.ActionProperties;
  private readonly props: ConnectionSourceActionProps;

  constructor(props: ConnectionSourceActionProps) {
    super();
    useConnectionAction(props.connectionArn);
    this.props = props;
    this.providedActionProperties = {
      actionName: props.actionName,
      category: codepipeline.ActionCategory.SOURCE,
      owner: 'AWS',
      provider: 'CodeStarSourceConnection',
      // A source action takes no input and gives one output (the CDK's sourceArtifactBounds()).
      artifactBounds: { minInputs: 0, maxInputs: 0, minOutputs: 1, maxOutputs: 1 },
      outputs: [props.output],
    };
  }

  protected bound(_scope: Construct, _stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    const { connectionArn, owner, repo, branch } = this.props;
    options.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [useConnectionAction(connectionArn)], resources: [connectionArn] }));
    options.bucket.grantReadWrite(options.role);
    options.bucket.grantPutAcl(options.role);
    return { configuration: { ConnectionArn: connectionArn, FullRepositoryId: `${owner}/${repo}`, BranchName: branch } };
  }
}

/**
 * Object events go to EventBridge (AWS Control Tower CT.S3.PR.4), set on the
 * CloudFormation resource: the L2 `eventBridgeEnabled` adds a Lambda to do the same.
 */
function sendEventsToEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
}

/** The build step that checks a wave. */
function verifyStep(wave: DeployWave): string {
  return `verify-${wave.id.toLowerCase()}`;
}

/**
 * One bash script that fails (exit 1) unless the region's `/health` answers 200 and, after
 * the bake time, every alarm that describes the region itself is OK. It connects to the
 * load balancer the app stack names but asks for (and checks the certificate of) the
 * regional name: that record is created by the DNS stack, after this check.
 *
 * Which alarms: the ones the monitoring stack lists in its `alarmNamesOutput` output, its own
 * app and database alarms. Not the probe of the other region (`<prefix>probe-<peer>`): it
 * requests the other region's regional name, which on a first deploy exists only once the
 * primary region's app and the DNS stack (the last wave) have deployed, and it treats missing
 * data as breaching, so it is legitimately in ALARM here until then.
 *
 * What passes: OK only. ALARM fails. INSUFFICIENT_DATA fails too. CloudWatch treats a missing
 * datapoint as within the threshold (`notBreaching`) or breaching (`breaching`), and only with
 * `missing` goes to INSUFFICIENT_DATA, when every datapoint of the evaluation range is missing
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html). Of the
 * listed alarms only asg-cpu-high uses `missing`, over the instances' CPU and group metrics,
 * which detailed monitoring and group metrics collection report every minute while the group
 * has instances. So after a full evaluation window INSUFFICIENT_DATA means a metric that should
 * flow does not (an empty group, say): the alarm has not shown the region healthy. The same
 * page warns that an EC2-metric alarm can rarely go INSUFFICIENT_DATA for a moment while the
 * instances are healthy; the message names the alarm, and retrying the stage settles it.
 * An alarm the output names that does not exist fails as well.
 */
function regionCheckScript(check: RegionCheck): string {
  const host = new URL(check.healthUrl).hostname;
  const bake = check.bakeTime.toSeconds();
  const output = (stackName: string, key: string) =>
    `aws cloudformation describe-stacks --region ${check.region} --stack-name ${stackName} --query "Stacks[0].Outputs[?OutputKey=='${key}'].OutputValue" --output text`;
  return [
    'set -euo pipefail',
    `lb=$(${output(check.appStackName, check.loadBalancerDnsOutput)})`,
    `status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 --retry 5 --retry-delay 10 --retry-all-errors ` +
      `--connect-to "${host}:443:$lb:443" ${check.healthUrl} || true)`,
    `if [ "$status" != 200 ]; then echo "${check.healthUrl} (through $lb) answered $status, not 200" >&2; exit 1; fi`,
    `names=$(${output(check.alarmsStackName, check.alarmNamesOutput)})`,
    `if [ -z "$names" ] || [ "$names" = None ]; then echo "${check.alarmsStackName} has no ${check.alarmNamesOutput} output naming the alarms to check" >&2; exit 1; fi`,
    'read -r -a alarms <<< "$names"',
    `echo "${check.healthUrl} answered 200; letting \${#alarms[@]} alarms watch for ${bake} s: \${alarms[*]}"`,
    `sleep ${bake}`,
    `states=$(aws cloudwatch describe-alarms --region ${check.region} --alarm-names "\${alarms[@]}" --query 'MetricAlarms[].[AlarmName,StateValue]' --output text)`,
    'failed=0',
    'for alarm in "${alarms[@]}"; do',
    `  state=$(awk -F '\\t' -v name="$alarm" '$1 == name { print $2 }' <<< "$states")`,
    '  case "$state" in',
    '    OK) ;;',
    `    ALARM) echo "In ALARM in ${check.region}: $alarm" >&2; failed=1 ;;`,
    `    INSUFFICIENT_DATA) echo "INSUFFICIENT_DATA in ${check.region} after ${bake} s: $alarm has no data to show the region healthy" >&2; failed=1 ;;`,
    `    '') echo "No such alarm in ${check.region}: $alarm (named by ${check.alarmsStackName}'s ${check.alarmNamesOutput} output)" >&2; failed=1 ;;`,
    `    *) echo "Unexpected state $state of $alarm in ${check.region}" >&2; failed=1 ;;`,
    '  esac',
    'done',
    'if [ "$failed" != 0 ]; then exit 1; fi',
    `echo "All \${#alarms[@]} alarms of ${check.region} are OK"`,
  ].join('\n');
}

function pascal(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}
