/** Prints the configured environment names, one per line, for shell loops such as CI's synth of every environment. */
import { ENVIRONMENT_NAMES } from '../lib/config';

console.log(ENVIRONMENT_NAMES.join('\n'));
