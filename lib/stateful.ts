import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * Resource types whose replacement or removal loses something a redeploy cannot bring
 * back, each with what would be lost. The change review blocks replacing or removing
 * them. Constructs set their removal policy by hand (a stack's `statefulRemovalPolicy`);
 * test/state.test.ts checks every resource of {@link RETAINED_TYPES} against this file, so
 * one that is missed fails there.
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  'AWS::RDS::DBInstance': 'it holds the database: a new instance starts empty',
  'AWS::RDS::DBCluster': 'it holds the database: a new cluster starts empty',
  'AWS::KMS::Key': 'what it encrypted (storage, snapshots, logs, secrets) cannot be decrypted with a new key',
  'AWS::SecretsManager::Secret': 'it holds the database credentials: a new secret has a password the database never had',
  'AWS::Backup::BackupVault': 'it holds the recovery points that undo a bad write the replica has already copied',
  'AWS::Logs::LogGroup': 'it holds logs kept for a year as audit evidence: a new group starts empty',
  'AWS::S3::Bucket': 'it holds objects (access logs, artifacts) that a new bucket does not have',
  'AWS::DynamoDB::Table': 'it holds items: a new table starts empty',
  'AWS::DynamoDB::GlobalTable': 'it holds items: a new table starts empty',
  'AWS::EFS::FileSystem': 'it holds files: a new file system starts empty',
  'AWS::SSM::Parameter': 'its value may have been changed since the deploy: a new one reverts to the template',
  'AWS::SNS::Topic': 'its e-mail subscriptions were confirmed by hand: a new topic notifies no one until they confirm again',
  'AWS::Route53::HostedZone': 'its name servers are delegated from the parent domain: a new zone gets others',
};

/**
 * The stateful types whose resources outlive their stack where state is protected.
 * The rest of {@link STATEFUL_TYPES} hold nothing a deploy cannot recreate once
 * their stack is gone on purpose (a topic, a parameter, a zone the app does not own).
 */
export const RETAINED_TYPES: readonly string[] = [
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::Backup::BackupVault',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::EFS::FileSystem',
];

/**
 * The removal policy of retained resources where state is protected. CloudFormation's
 * `RetainExceptOnCreate` keeps the resource when it leaves the template or is replaced, but
 * deletes it when its own first create rolls back: a failed first deploy leaves no fixed-name
 * resource behind to make the retry fail with "already exists".
 */
export const PROTECTED_STATE_REMOVAL = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
