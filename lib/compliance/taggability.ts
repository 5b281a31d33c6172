import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TagInformation } from '@aws-cdk/service-spec-types';

/** How each taggable CloudFormation resource type takes tags; written by `npm run generate:tag-information`. */
export const TAG_INFORMATION_FILE = path.join(__dirname, 'tag-information.generated.json');

let table: Readonly<Record<string, TagInformation>> | undefined;

/**
 * How resources of a CloudFormation type take tags, from the AWS service spec that
 * aws-cdk-lib's L1 classes are generated from; undefined when the type takes none
 * (or is not an AWS type, like `Custom::…` and `AWS::CDK::Metadata`). Read from a
 * table generated from the spec, which a test keeps equal to the installed spec.
 */
export function tagInformationOf(resourceType: string): TagInformation | undefined {
  table ??= JSON.parse(readFileSync(TAG_INFORMATION_FILE, 'utf8')) as Record<string, TagInformation>;
  return Object.hasOwn(table, resourceType) ? table[resourceType] : undefined;
}

/** Whether CloudFormation resources of `resourceType` take tags. */
export function isTaggableType(resourceType: string): boolean {
  return tagInformationOf(resourceType) !== undefined;
}

/** The table {@link tagInformationOf} reads, computed from the installed AWS service spec (slow: it loads the whole spec). */
export function tagInformationFromSpec(): Record<string, TagInformation> {
  // Required here, not imported: only the generator and its test load the spec.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadAwsServiceSpecSync } = require('@aws-cdk/aws-service-spec') as typeof import('@aws-cdk/aws-service-spec');
  const entries = loadAwsServiceSpecSync()
    .all('resource')
    .flatMap((resource) =>
      resource.tagInformation
        ? [[resource.cloudFormationType, { tagPropertyName: resource.tagInformation.tagPropertyName, variant: resource.tagInformation.variant }] as const]
        : [],
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}
