import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

export interface PromotionRunbookProps {
  /** The cross-region read replica to promote. */
  readonly replica: rds.IDatabaseInstance;
  /** The document's name, from the naming helper. */
  readonly documentName: string;
  /** Automated backup retention the promoted writer starts with. */
  readonly backupRetentionDays: number;
}

/**
 * An SSM Automation runbook that promotes the read replica to a standalone
 * writer and waits until it is available, run under a role that can do nothing else.
 */
export class PromotionRunbook extends Construct {
  /** The Automation document; start it with `aws ssm start-automation-execution`. */
  public readonly document: ssm.CfnDocument;
  /** The role the automation runs as. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PromotionRunbookProps) {
    super(scope, id);
    const instanceId = props.replica.instanceIdentifier;

    this.role = new iam.Role(this, 'Role', {
      description: `Runs the promotion of ${instanceId}; nothing else`,
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com'),
    });
    this.role.addManagedPolicy(
      new iam.ManagedPolicy(this, 'Policy', {
        description: `Promote ${instanceId} and watch it become available`,
        statements: [
          new iam.PolicyStatement({
            actions: ['rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
            resources: [props.replica.instanceArn],
          }),
        ],
      }),
    );

    this.document = new ssm.CfnDocument(this, 'Document', {
      name: props.documentName,
      documentType: 'Automation',
      documentFormat: 'YAML',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '0.3',
        description: `Promotes the cross-region read replica ${instanceId} to a standalone, writable PostgreSQL instance.`,
        assumeRole: this.role.roleArn,
        mainSteps: [
          {
            name: 'PromoteReadReplica',
            action: 'aws:executeAwsApi',
            onFailure: 'Abort',
            inputs: {
              Service: 'rds',
              Api: 'PromoteReadReplica',
              DBInstanceIdentifier: instanceId,
              BackupRetentionPeriod: props.backupRetentionDays,
            },
          },
          {
            // RDS reports the replica "available" for a moment before the promotion starts.
            name: 'WaitForPromotionToStart',
            action: 'aws:waitForAwsResourceProperty',
            timeoutSeconds: 600,
            onFailure: 'Abort',
            inputs: {
              Service: 'rds',
              Api: 'DescribeDBInstances',
              DBInstanceIdentifier: instanceId,
              PropertySelector: '$.DBInstances[0].DBInstanceStatus',
              DesiredValues: ['modifying', 'rebooting', 'backing-up'],
            },
          },
          {
            name: 'WaitForWriterAvailable',
            action: 'aws:waitForAwsResourceProperty',
            timeoutSeconds: 3600,
            onFailure: 'Abort',
            inputs: {
              Service: 'rds',
              Api: 'DescribeDBInstances',
              DBInstanceIdentifier: instanceId,
              PropertySelector: '$.DBInstances[0].DBInstanceStatus',
              DesiredValues: ['available'],
            },
          },
        ],
      },
    });
  }
}
