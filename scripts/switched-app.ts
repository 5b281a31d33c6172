/**
 * The app in the region roles it has after a Region switch (`-c roles=switched`: the standby's
 * replica promoted, the founding region rebuilt as its replica) or after the switch back
 * (`-c roles=switched-back`), as the config change in docs/disaster-recovery.md ("After a
 * switch") makes it. CI synthesizes it through the CLI, with every rule pack, and fails on any
 * finding as for the environments as configured: the packs see the topology a team deploys after
 * a switch, not only the founding one. bin/app.ts has no such switch: deployed roles come from
 * lib/config/environments.ts only.
 * Usage: npx cdk synth -q --app 'node --import tsx scripts/switched-app.ts' -c env=prod -c roles=switched -o <dir>
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { CONTEXT_KEYS, FOUNDING_REGION, loadConfig, peerOf, withRegionRoles, type EnvironmentConfig } from '../lib/config';

const app = new App();
const founded = loadConfig(app.node.tryGetContext(CONTEXT_KEYS.environment));
const standby = peerOf(FOUNDING_REGION);
const roles: Record<string, () => EnvironmentConfig> = {
  switched: () => withRegionRoles(founded, standby, { [FOUNDING_REGION]: 1 }),
  'switched-back': () => withRegionRoles(founded, FOUNDING_REGION, { [FOUNDING_REGION]: 1, [standby]: 1 }),
};
const state = String(app.node.tryGetContext('roles'));
if (!Object.hasOwn(roles, state)) {
  console.error(`-c roles=${state}: expected one of ${Object.keys(roles).join(', ')}`);
  process.exit(1);
}
const config = roles[state]();
buildApp(app, config);
console.error(`${config.name} ${state}: primaryRegion ${config.primaryRegion}, database.generations ${JSON.stringify(config.database.generations)}`);
app.synth();
