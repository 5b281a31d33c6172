import { ArnFormat, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import { windowsOverlap } from '../config';

/** This region's vault: created here, or one that already exists in the region. */
export type BackupVaultSource = { readonly vaultName: string; readonly key: kms.IKey } | { readonly vault: backup.IBackupVault };

export type CrossRegionBackupProps = BackupVaultSource & {
  /** The writer to back up; absent in a region without one, which then keeps only its vault. */
  readonly instance?: rds.IDatabaseInstance;
  /** Name of the plan. */
  readonly planName: string;
  /** The region the copies go to. */
  readonly copyRegion: string;
  /** Name of the vault in `copyRegion`, created by that region's data stack. */
  readonly copyVaultName: string;
  /** How long recovery points are kept, here and in the copy region. */
  readonly retention: Duration;
  /** The instance's `hh:mm-hh:mm` automated backup window, which the plan's job must not meet. */
  readonly backupWindow: string;
  /** The instance's `ddd:hh:mm-ddd:hh:mm` maintenance window, which the plan's job must not meet either. */
  readonly maintenanceWindow: string;
  /** Removal policy of the vault. */
  readonly removalPolicy: RemovalPolicy;
};

/**
 * A daily AWS Backup snapshot of the instance, copied to a vault in the standby
 * region: the read replica repeats a bad write or a dropped table at once, and
 * only a point-in-time copy that is out of reach of the primary region undoes it.
 */
export class CrossRegionBackup extends Construct {
  /** The vault in this region. */
  public readonly vault: backup.IBackupVault;
  /** The plan, where this region holds the writer. */
  public readonly plan?: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: CrossRegionBackupProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.vault =
      'vault' in props
        ? props.vault
        : new backup.BackupVault(this, 'Vault', { backupVaultName: props.vaultName, encryptionKey: props.key, removalPolicy: props.removalPolicy });
    const instance = props.instance;
    if (!instance) return;

    // An ARN built from the naming helper instead of a cross-region reference: the
    // standby's data stack reads this region's database, so a reference back would be a cycle.
    const copyVault = backup.BackupVault.fromBackupVaultArn(
      this,
      'CopyVault',
      stack.formatArn({
        service: 'backup',
        region: props.copyRegion,
        resource: 'backup-vault',
        resourceName: props.copyVaultName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );

    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: props.planName,
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'daily-with-copy',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: String(firstFreeHour(props.backupWindow, props.maintenanceWindow)) }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: props.retention,
          copyActions: [{ destinationBackupVault: copyVault, deleteAfter: props.retention }],
        }),
      ],
    });

    const role = new iam.Role(this, 'Role', {
      description: `Lets AWS Backup snapshot and copy ${instance.instanceIdentifier}`,
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForBackup')],
    });
    acknowledge(role, {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: 'AWS maintains this policy for the AWS Backup service role; it covers the RDS snapshot, cross-region copy and KMS calls a backup job makes, which change as AWS Backup evolves.',
    });
    this.plan.addSelection('Database', {
      resources: [backup.BackupResource.fromRdsDatabaseInstance(instance)],
      role,
    });
  }
}

/**
 * The first whole hour after the automated backup window whose hour-long start
 * window meets neither that window nor the weekly maintenance window, on any day.
 */
export function firstFreeHour(backupWindow: string, maintenanceWindow: string): number {
  const backupEnd = Number(backupWindow.split('-')[1].split(':')[0]);
  for (let offset = 1; offset < 24; offset++) {
    const hour = (backupEnd + offset) % 24;
    const slot = `${pad(hour)}:00-${pad((hour + 1) % 24)}:00`;
    const meetsBackup = windowsOverlap(slot, `mon:${backupWindow.replace('-', '-mon:')}`);
    if (!meetsBackup && !windowsOverlap(slot, maintenanceWindow)) return hour;
  }
  throw new Error(`No free hour for AWS Backup between backup window ${backupWindow} and maintenance window ${maintenanceWindow}`);
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
