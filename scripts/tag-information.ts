// Writes lib/compliance/tag-information.generated.json: how every CloudFormation
// resource type that takes tags takes them, from the AWS service spec that aws-cdk-lib's
// L1 classes are generated from. Synth reads the table instead of loading the whole
// spec (~0.7 s); a test fails when the table and the installed spec differ.
// Usage: npm run generate:tag-information
import { writeFileSync } from 'node:fs';
import { TAG_INFORMATION_FILE, tagInformationFromSpec } from '../lib/compliance/taggability';

const table = tagInformationFromSpec();
const lines = Object.entries(table).map(([type, info]) => `  ${JSON.stringify(type)}: ${JSON.stringify(info)}`);
writeFileSync(TAG_INFORMATION_FILE, `{\n${lines.join(',\n')}\n}\n`);
console.log(`${TAG_INFORMATION_FILE}: ${lines.length} taggable resource types`);
