import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CloudFormationTemplate, StackTemplates } from './change-safety';

const TEMPLATE_SUFFIX = '.template.json';

/** A directory or template that cannot be read. Its message is one line. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

interface StackArtifact {
  readonly type: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
}

/**
 * Reads a template file. `aws cloudformation get-template --query TemplateBody`
 * prints a JSON template as an object but one kept as text as a JSON string: both are read.
 */
function readTemplate(file: string): CloudFormationTemplate {
  const parse = (text: string, what: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new TemplateError(`${file}: ${what} is not JSON (YAML templates are not supported)`);
    }
  };
  const content = parse(readFileSync(file, 'utf8'), 'the file');
  return (typeof content === 'string' ? parse(content, 'the template body') : content) as CloudFormationTemplate;
}

/**
 * The templates in `dir` by stack name: the stacks of a cloud assembly when it has a
 * manifest, otherwise every `<stack>.template.json` (templates fetched from CloudFormation).
 */
export function readTemplates(dir: string): Record<string, CloudFormationTemplate> {
  if (!existsSync(dir)) throw new TemplateError(`${dir}: no such directory`);
  const manifestFile = path.join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, StackArtifact> };
    return Object.fromEntries(
      Object.entries(manifest.artifacts ?? {})
        .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
        .map(([id, artifact]) => [artifact.properties?.stackName ?? id, readTemplate(path.join(dir, artifact.properties?.templateFile ?? `${id}${TEMPLATE_SUFFIX}`))]),
    );
  }
  return Object.fromEntries(
    readdirSync(dir)
      .filter((file) => file.endsWith(TEMPLATE_SUFFIX))
      .map((file) => [file.slice(0, -TEMPLATE_SUFFIX.length), readTemplate(path.join(dir, file))]),
  );
}

/** The templates of one environment's stacks, which the naming convention prefixes with its name. */
export function environmentStacks(templates: StackTemplates, envName: string): Record<string, CloudFormationTemplate> {
  return Object.fromEntries(Object.entries(templates).filter(([stack]) => stack.startsWith(`${envName}-`)));
}
