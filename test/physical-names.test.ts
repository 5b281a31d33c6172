import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { ResourceImpact, fullDiff } from '@aws-cdk/cloudformation-diff';
import { synthesized } from './support/assembly';
import { offlineConfig } from './support/synth';
import { UNCHANGED_PROD_SETTINGS, changedProd } from './support/variants';

/**
 * CloudFormation cannot replace a resource that has a custom physical name: the new
 * resource would need the name the old one still holds ("cannot update a stack when a
 * custom-named resource requires replacing"). So a configurable setting must never
 * replace a named resource unless the name changes with it. This test changes every
 * setting of prod that can change, synthesizes, and asks @aws-cdk/cloudformation-diff
 * (which knows from the resource spec which property changes replace a resource, and
 * follows references to replaced resources in the same stack) which resources would be
 * replaced. A replacement that travels through a cross-stack reference is not followed;
 * the named resources that take one (alarms, records) change their names with their stack.
 */

/** Every leaf of a config as `path → value`; arrays are leaves. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return new Map([[prefix, JSON.stringify(value)]]);
  return new Map(Object.entries(value).flatMap(([key, child]) => [...leaves(child, prefix ? `${prefix}.${key}` : key)]));
}

/**
 * Property changes the spec calls conditional replacements ("maybe") whose condition
 * does not hold here, so CloudFormation updates the resource in place; each with its source.
 */
const UPDATED_IN_PLACE: ReadonlyArray<{ type: string; property: string; when?: (properties: Record<string, unknown>) => boolean; source: string }> = [
  {
    type: 'AWS::SSM::Document',
    property: 'Content',
    when: (properties) => properties.UpdateMethod === 'NewVersion',
    source: 'AWS::SSM::Document UpdateMethod: with NewVersion a changed Content becomes a new default version of the same document',
  },
  { type: 'AWS::RDS::DBInstance', property: 'PreferredMaintenanceWindow', source: 'AWS::RDS::DBInstance reference: "Update requires: No interruption"' },
  { type: 'AWS::RDS::DBInstance', property: 'BackupRetentionPeriod', source: 'AWS::RDS::DBInstance reference: "Update requires: Some interruptions" (from or to 0 only)' },
];

const spec = loadAwsServiceSpecSync();

/** The properties of `type` that name the resource itself: replacement-causing, named `…Name` or `…Identifier`. */
function nameProperties(type: string): string[] {
  const [resource] = spec.lookup('resource', 'cloudFormationType', 'equals', type);
  if (!resource) return [];
  return Object.entries(resource.properties)
    .filter(([name, property]) => /(Name|Identifier)$/.test(name) && property.causesReplacement === 'yes')
    .map(([name]) => name);
}

const inPlace = (type: string, property: string, properties: Record<string, unknown>) =>
  UPDATED_IN_PLACE.some((rule) => rule.type === type && rule.property === property && (rule.when?.(properties) ?? true));

describe('physical names and replacement', () => {
  const prod = offlineConfig('prod');
  const changed = changedProd(prod);
  const base = synthesized('prod');
  // The global setup synthesizes the changed prod as the `prod-changed` assembly.
  const assembly = synthesized('prod-changed');

  it('change every setting of prod except a few, each with a reason', () => {
    const before = leaves(prod);
    const after = leaves(changed);
    const same = [...before].filter(([path, value]) => after.get(path) === value && !path.startsWith('app.certificateArns')).map(([path]) => path);
    expect(same.sort()).toEqual(Object.keys(UNCHANGED_PROD_SETTINGS).sort());
  });

  it('replace no resource whose custom name stays the same', () => {
    const blocked: string[] = [];
    let replaced = 0;
    for (const stackName of base.stackNames) {
      const after = assembly.template(stackName).toJSON();
      const diff = fullDiff(base.template(stackName).toJSON(), after);
      diff.resources.forEachDifference((logicalId, change) => {
        if (change.changeImpact !== ResourceImpact.WILL_REPLACE && change.changeImpact !== ResourceImpact.MAY_REPLACE) return;
        const type = change.resourceType ?? '';
        const before = (change.oldValue?.Properties ?? {}) as Record<string, unknown>;
        const now = (change.newValue?.Properties ?? {}) as Record<string, unknown>;
        const replacing = Object.entries(change.propertyUpdates)
          .filter(([, update]) => update.changeImpact === ResourceImpact.WILL_REPLACE || update.changeImpact === ResourceImpact.MAY_REPLACE)
          .map(([property]) => property);
        const causes = replacing.filter((property) => !inPlace(type, property, now));
        // Only properties that CloudFormation updates in place: not replaced. No property at all: a referenced resource is replaced.
        if (replacing.length > 0 && causes.length === 0) return;
        replaced += 1;
        const kept = nameProperties(type).filter((name) => typeof before[name] === 'string' && before[name] === now[name]);
        if (kept.length > 0) {
          blocked.push(`${stackName}/${logicalId} (${type}): ${causes.join(', ') || 'a replaced reference'} replaces it while ${kept.map((n) => `${n}=${String(before[n])}`).join(', ')} stays`);
        }
      });
    }
    expect(replaced).toBeGreaterThan(10);
    expect(blocked).toEqual([]);
  });
});
