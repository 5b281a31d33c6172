import * as path from 'node:path';
import { ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import { acknowledge, asNagShowsIt } from '../compliance/acknowledge';
import { checkName } from '../naming';
import type { EncryptionKey } from './encryption-key';

/** How long one step of a rotation may run: setting a master password usually applies within a minute or two. */
export const ROTATION_STEP_TIMEOUT = Duration.minutes(5);

export interface CredentialsRotationProps {
  /** This region's credentials secret. */
  readonly secret: secretsmanager.ISecret;
  /** The key that encrypts it (this region's). */
  readonly key: EncryptionKey;
  /** This region's current instance, whose master password the rotation sets while it is the writer. */
  readonly dbInstanceIdentifier: string;
  /** This region's writer parameter, which says whether the region holds the writer. */
  readonly writerParameterName: string;
  /** The other region, whose secret holds the same login. */
  readonly peerRegion: string;
  /** The other region's credentials secret, by name. */
  readonly peerSecretName: string;
  /** Name of this function; the other region's is `peerFunctionName`. */
  readonly functionName: string;
  /** The other region's rotation function, which its secret's rotation invokes. */
  readonly peerFunctionName: string;
  /** Time between scheduled rotations. */
  readonly rotationInterval: Duration;
  /** How long the function's logs are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** What must exist before the first rotation, which runs when the schedule is created: the instance and the writer parameter. */
  readonly rotatesAfter: IDependable[];
}

/**
 * Rotation of one region's credentials secret by lib/lambda/credentials_rotation.py: where the
 * region holds the writer, a new master password set through RDS and then copied by the other
 * region's secret; elsewhere, the other region's current login copied here. Both regions rotate
 * on the same schedule, in every state, so whichever region holds the writer changes the password
 * and neither secret drifts from it. The function runs outside the VPC: it calls only AWS APIs.
 */
export class CredentialsRotation extends Construct {
  /** The rotation function. */
  public readonly function: lambda.Function;
  /** The secret's rotation schedule. */
  public readonly schedule: secretsmanager.CfnRotationSchedule;

  constructor(scope: Construct, id: string, props: CredentialsRotationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const functionName = checkName('lambdaFunction', props.functionName);
    const logGroupName = checkName('logGroup', functionName);
    props.key.allowLogGroups(logGroupName);
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, encryptionKey: props.key, retention: props.logRetention, removalPolicy: props.removalPolicy });

    // Secrets Manager appends a hyphen and six random characters to the name in the ARN.
    const peerSecretArn = stack.formatArn({
      service: 'secretsmanager',
      region: props.peerRegion,
      resource: 'secret',
      resourceName: `${props.peerSecretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // The other region's key is not known here by ARN (no reference crosses regions): any key of that
    // region, used only by Secrets Manager there and only for that one secret (its encryption context).
    const peerKeys = stack.formatArn({ service: 'kms', region: props.peerRegion, resource: 'key', resourceName: '*' });
    const instanceArn = stack.formatArn({ service: 'rds', resource: 'db', resourceName: props.dbInstanceIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const role = new iam.Role(this, 'Role', {
      description: `Rotates ${props.secret.secretName} (lib/lambda/credentials_rotation.py); nothing else`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    // As AWS's example policy for a rotation function's role, without the VPC's network interfaces
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html).
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Rotate ${props.secret.secretName}: its secret and key, the instance's master password, the other region's copy`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          resources: [props.secret.secretArn],
        }),
        // GetRandomPassword acts on no resource (Service Authorization Reference, Secrets Manager).
        new iam.PolicyStatement({ actions: ['secretsmanager:GetRandomPassword'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: props.writerParameterName })] }),
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], resources: [instanceArn] }),
        // Copying from the other region (GetSecretValue), and asking it to copy from here (RotateSecret,
        // which also needs lambda:InvokeFunction on the rotation function it starts: API_RotateSecret).
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:RotateSecret'], resources: [peerSecretArn] }),
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [stack.formatArn({ service: 'lambda', region: props.peerRegion, resource: 'function', resourceName: props.peerFunctionName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [peerKeys],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${props.peerRegion}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:SecretARN': peerSecretArn },
          },
        }),
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}:log-stream:*`] }),
      ],
    });
    acknowledge(
      policy,
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'secretsmanager:GetRandomPassword acts on no resource; it only returns random characters.',
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${asNagShowsIt(this, peerKeys)}]`,
        reason: "The other region's key has an id AWS assigned, unknown here without a cross-region reference; the conditions allow decrypting only through that region's Secrets Manager and only the other region's credentials secret (kms:EncryptionContext:SecretARN).",
      },
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>:log-stream:*]`,
        reason: 'Lambda names a log stream per execution environment, unknown in advance; the statement names this function’s own log group.',
      },
    );

    this.function = new lambda.Function(this, 'Function', {
      functionName,
      description: `Rotates ${props.secret.secretName}: a new master password where this region holds the writer, else a copy of ${props.peerRegion}'s`,
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'credentials_rotation.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda'), { exclude: ['*', '!credentials_rotation.py'] }),
      role,
      environment: {
        DB_INSTANCE_ID: props.dbInstanceIdentifier,
        WRITER_PARAMETER: props.writerParameterName,
        PEER_REGION: props.peerRegion,
        PEER_SECRET_ID: props.peerSecretName,
      },
      logGroup,
      timeout: ROTATION_STEP_TIMEOUT,
    });
    this.function.node.addDependency(policy);
    const outsideVpc = 'The function calls only AWS APIs (Secrets Manager in both regions, RDS, SSM): it sets the password through RDS ModifyDBInstance and never logs in, so it needs no path into the VPC.';
    acknowledge(
      this.function,
      { id: 'cdk-validator-cfnguard::lambda_inside_vpc_check', reason: outsideVpc },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC', reason: outsideVpc },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason: 'Secrets Manager invokes each rotation step synchronously and records a failed rotation on the secret (and retries it); there is no asynchronous event to lose.' },
      {
        id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
        reason: 'Secrets Manager runs one rotation of the secret at a time; a reservation would only take from the account’s pool and fails on a new account’s low concurrency quota.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'Pinned to python3.12, a supported runtime the handler is written and tested for; moving to a newer runtime is a reviewed change with its own test run, not something a library upgrade does silently.',
      },
    );

    // Only Secrets Manager, for this secret (the confused-deputy guard AWS recommends for rotation functions).
    const permission = new lambda.CfnPermission(this, 'InvokedBySecretsManager', {
      action: 'lambda:InvokeFunction',
      functionName: this.function.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: stack.account,
      sourceArn: props.secret.secretArn,
    });
    // The L1s rather than secret.addRotationSchedule(): that grant writes the rotation's secret and key
    // permissions into an inline default policy on the role, beside the managed policy above.
    this.schedule = new secretsmanager.CfnRotationSchedule(this, 'Schedule', {
      secretId: props.secret.secretArn,
      rotationLambdaArn: this.function.functionArn,
      rotationRules: { automaticallyAfterDays: props.rotationInterval.toDays() },
    });
    // Creating the schedule starts a rotation at once, which invokes the function and reads the instance and parameter.
    this.schedule.node.addDependency(permission, this.function, ...props.rotatesAfter);
  }
}
