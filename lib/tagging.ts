import { Aspects, CfnResource, TagManager, Tags, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { tagInformationOf } from './compliance/taggability';
import type { EnvironmentConfig } from './config';

/** The tag keys every taggable resource must carry. */
export const MANDATORY_TAG_KEYS = ['environment', 'project', 'owner', 'cost_center'] as const;

/** The mandatory tags, keyed as they appear on resources. */
export function mandatoryTags(config: EnvironmentConfig): Record<(typeof MANDATORY_TAG_KEYS)[number], string> {
  return {
    environment: config.name,
    project: config.tags.project,
    owner: config.tags.owner,
    cost_center: config.tags.costCenter,
  };
}

/**
 * Tags raw `CfnResource`s of taggable types (such as the Lambda behind a CDK
 * custom-resource provider), which `Tags.of()` cannot reach because they have no TagManager.
 */
class TagRawResources implements IAspect {
  constructor(private readonly tags: Record<string, string>) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || TagManager.of(node)) return;
    const tagging = tagInformationOf(node.cfnResourceType);
    if (!tagging) return;
    if (tagging.variant !== 'standard') {
      throw new Error(`${node.node.path}: cannot tag a raw ${node.cfnResourceType} (tag format "${tagging.variant}"); build it with its L1 class`);
    }
    const tags = Object.entries(this.tags).map(([Key, Value]) => ({ Key, Value }));
    node.addPropertyOverride(tagging.tagPropertyName, tags);
  }
}

/** Puts the mandatory tags on every taggable resource under `scope`. */
export function applyMandatoryTags(scope: IConstruct, config: EnvironmentConfig): void {
  const tags = mandatoryTags(config);
  for (const [key, value] of Object.entries(tags)) Tags.of(scope).add(key, value);
  Aspects.of(scope).add(new TagRawResources(tags));
}
