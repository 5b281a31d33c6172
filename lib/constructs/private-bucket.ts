import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { acknowledge } from '../compliance/acknowledge';

/**
 * Settings every bucket of this app shares: SSL only, no public access, no ACLs,
 * versioned, each object (and any older version of it) expired after `expiration`.
 */
export function privateBucketSettings(lifecycleRuleId: string, expiration: Duration): s3.BucketProps {
  return {
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    lifecycleRules: [
      {
        id: lifecycleRuleId,
        expiration,
        noncurrentVersionExpiration: Duration.days(1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ],
  };
}

/** Acknowledges the logging, replication, locking and notification rules on a bucket whose objects are themselves short-lived output. */
export function acknowledgeOutputBucket(bucket: IConstruct, reason: string): void {
  acknowledge(
    bucket,
    { id: 'AwsSolutions::AwsSolutions-S1', reason },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled', reason },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason },
    { id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', reason },
    { id: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check', reason },
    { id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check', reason },
  );
}
