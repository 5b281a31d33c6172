/** Prints the configuration reference table that README.md embeds. Usage: npm run config-reference */
import { configReferenceTable } from '../lib/docs/config-reference';

console.log(configReferenceTable());
