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
  /** This region's writer parameter, which the last step points at the promoted instance. */
  readonly writerParameter: ssm.IStringParameter;
}

/**
 * An SSM Automation runbook that promotes the read replica to a standalone
 * writer, waits until it is available and publishes its endpoint in this region's
 * writer parameter, run under a role that can do nothing else. CloudFormation puts
 * the parameter's template value back when the parameter changes in a later deploy:
 * set `primaryRegion` in config before deploying this region's data stack
 * after a switch (docs/disaster-recovery.md).
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
          new iam.PolicyStatement({
            actions: ['ssm:PutParameter'],
            resources: [props.writerParameter.parameterArn],
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
        description: `Promotes the cross-region read replica ${instanceId} to a standalone, writable PostgreSQL instance and publishes its endpoint in ${props.writerParameter.parameterName}.`,
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
          {
            // Read from RDS rather than written into the document: the endpoint the instances
            // get is the one the promoted instance answers on.
            name: 'ReadWriterEndpoint',
            action: 'aws:executeAwsApi',
            onFailure: 'Abort',
            inputs: {
              Service: 'rds',
              Api: 'DescribeDBInstances',
              DBInstanceIdentifier: instanceId,
            },
            outputs: [{ Name: 'Address', Selector: '$.DBInstances[0].Endpoint.Address', Type: 'String' }],
          },
          {
            // Overwriting with the same value is harmless, so this step can be repeated by hand.
            name: 'PublishWriterEndpoint',
            action: 'aws:executeAwsApi',
            onFailure: 'Abort',
            inputs: {
              Service: 'ssm',
              Api: 'PutParameter',
              Name: props.writerParameter.parameterName,
              Value: '{{ReadWriterEndpoint.Address}}',
              Overwrite: true,
            },
          },
        ],
      },
    });
  }
}
