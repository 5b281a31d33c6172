import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * The resource types whose loss loses data or access to it, each with why. Removal
 * policies, the state tests and the change review read this one list.
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  'AWS::RDS::DBInstance': 'the application data; a new instance starts empty',
  'AWS::KMS::Key': 'a new key cannot decrypt what the old one encrypted: storage, snapshots, logs, secrets, backups',
  'AWS::SecretsManager::Secret': 'the database credentials; a new secret holds a password the database does not know',
  'AWS::Backup::BackupVault': 'the recovery points that undo a bad write the replica has already copied',
  'AWS::Logs::LogGroup': 'flow, database, WAF and build logs kept for a year as audit evidence',
  'AWS::S3::Bucket': 'load-balancer access logs and pipeline artifacts, kept as audit evidence',
};

/**
 * The removal policy of stateful resources where state is protected. CloudFormation's
 * `RetainExceptOnCreate` keeps the resource when it leaves the template or is replaced, but
 * deletes it when its own first create rolls back: a failed first deploy leaves no fixed-name
 * resource behind to make the retry fail with "already exists".
 */
export const PROTECTED_STATE_REMOVAL = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/**
 * The DeletionPolicy a stateful resource gets where state is protected. A writer keeps a
 * final snapshot instead (its deletion protection already refuses a delete); RDS takes no
 * final snapshot of a read replica, so the replica is retained.
 */
export function protectedDeletionPolicy(resource: { Type: string; Properties?: Record<string, unknown> }): 'RetainExceptOnCreate' | 'Snapshot' {
  const isWriter = resource.Type === 'AWS::RDS::DBInstance' && resource.Properties?.SourceDBInstanceIdentifier === undefined;
  return isWriter ? 'Snapshot' : 'RetainExceptOnCreate';
}
