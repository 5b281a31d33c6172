import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';
import { acknowledgeOutputBucket, privateBucketSettings } from './private-bucket';

export interface AccessLogBucketProps {
  /** How long a log object (and any older version of it) is kept; whole days. */
  readonly expiration: Duration;
  /** What happens to the bucket when it leaves the stack or is replaced. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The bucket the load balancer writes its access logs to: SSL-only, no public
 * access, no ACLs, versioned, objects expired by a lifecycle rule.
 */
export class AccessLogBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...privateBucketSettings('expire-access-logs', props.expiration),
      // Elastic Load Balancing delivers access logs only to buckets encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy: props.removalPolicy,
    });

    acknowledgeOutputBucket(
      this.bucket,
      'This bucket only receives load-balancer access logs; logging, replicating, locking or notifying on the log bucket itself would only create more logs about logs.',
    );
    const sseS3Only = 'Elastic Load Balancing can deliver access logs only to a bucket encrypted with S3-managed keys (SSE-S3); a customer-managed KMS key would stop log delivery.';
    acknowledge(
      this.bucket,
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: sseS3Only },
      { id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check', reason: sseS3Only },
    );
  }
}
