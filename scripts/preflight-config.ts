/**
 * Prints, as JSON, the settings of one environment that scripts/preflight.py checks against its
 * AWS account: the account, each region's Availability Zone names and the hosted zone.
 * Usage: npx tsx scripts/preflight-config.ts <env> > preflight.json
 * An unknown environment or an invalid config stops it with the config's one-line message.
 */
import { ConfigError, ENVIRONMENT_NAMES, REGIONS, loadConfig, type EnvironmentConfig } from '../lib/config';

/** What preflight.py reads; the setting names match the config's, for its messages. */
function preflightSettings(config: EnvironmentConfig) {
  return {
    environment: config.name,
    account: config.account,
    regions: Object.fromEntries(REGIONS.map((region) => [region, { availabilityZones: config.regions[region].availabilityZones }])),
    dns: { hostedZoneId: config.dns.hostedZoneId, hostedZoneName: config.dns.hostedZoneName, domainName: config.dns.domainName },
  };
}

const [envName, ...rest] = process.argv.slice(2);
if (envName === undefined || rest.length > 0) {
  console.error(`usage: npx tsx scripts/preflight-config.ts <env>, one of ${ENVIRONMENT_NAMES.join(', ')}`);
  process.exit(2);
}
if (!ENVIRONMENT_NAMES.includes(envName)) {
  console.error(`Unknown environment "${envName}": expected one of ${ENVIRONMENT_NAMES.join(', ')}`);
  process.exit(1);
}
try {
  // Like the report: the account comes from the config, else from CDK_DEFAULT_ACCOUNT where set.
  const config = loadConfig(envName, { defaultAccount: process.env.CDK_DEFAULT_ACCOUNT || undefined });
  console.log(JSON.stringify(preflightSettings(config), null, 2));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
