#!/usr/bin/env node
import { Stack } from 'aws-cdk-lib';
import { buildApp, cliApp } from '../lib/app';
import { AcknowledgementError } from '../lib/compliance/acknowledge';
import { CONTEXT_KEYS, ConfigError, includePipelineFrom, loadConfig, strictFrom, unresolvedCredentialsWarning } from '../lib/config';
import { NamingError } from '../lib/naming';

// `cdk ls` and other commands that read no template skip the rule packs; synth, diff and deploy run them all.
const { app, readsTemplates } = cliApp();
const credentialsWarning = unresolvedCredentialsWarning(process.env);
if (credentialsWarning) console.error(credentialsWarning);
try {
  const config = loadConfig(app.node.tryGetContext(CONTEXT_KEYS.environment) ?? 'dev', {
    // An empty variable means no credentials, as an unset one does.
    defaultAccount: process.env.CDK_DEFAULT_ACCOUNT || undefined,
    // Placeholders are refused only with -c strict=true (the pipeline sets it): anyone may look at the templates.
    strict: strictFrom(app.node.tryGetContext(CONTEXT_KEYS.strict)),
    note: (line) => console.error(line),
  });
  buildApp(app, config, { includePipeline: includePipelineFrom(app.node.tryGetContext(CONTEXT_KEYS.pipeline)), rulePacks: readsTemplates });
  if (readsTemplates) {
    // Synth then runs the rule packs for 5-30 s without a word; say what it is doing.
    const stacks = app.node.children.filter(Stack.isStack).length;
    console.error(`${config.name}: synthesizing ${stacks} stacks and checking them with cdk-nag, cfn-guard and the organisation's rules…`);
  }
} catch (error) {
  if (error instanceof ConfigError || error instanceof NamingError || error instanceof AcknowledgementError) {
    // One line, no stack trace, and no assembly written: the CLI stops here.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
app.synth();
