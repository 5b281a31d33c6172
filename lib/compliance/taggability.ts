import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { SpecDatabase, TagInformation } from '@aws-cdk/service-spec-types';

let database: SpecDatabase | undefined;
const cache = new Map<string, TagInformation | undefined>();

/**
 * How resources of a CloudFormation type take tags, from the AWS service spec that
 * aws-cdk-lib's L1 classes are generated from; undefined when the type takes none
 * (or is not an AWS type, like `Custom::…` and `AWS::CDK::Metadata`).
 */
export function tagInformationOf(resourceType: string): TagInformation | undefined {
  if (!cache.has(resourceType)) {
    database ??= loadAwsServiceSpecSync();
    const [resource] = database.lookup('resource', 'cloudFormationType', 'equals', resourceType);
    cache.set(resourceType, resource?.tagInformation);
  }
  return cache.get(resourceType);
}

/** Whether CloudFormation resources of `resourceType` take tags. */
export function isTaggableType(resourceType: string): boolean {
  return tagInformationOf(resourceType) !== undefined;
}
