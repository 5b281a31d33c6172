'use strict';
// A worker thread for background-validation.ts: runs a stock validation plugin on
// templates already written to disk while the main thread runs the other plugins.
// Plain CommonJS, so that tsx, jest and node all load it unchanged.
//
// Protocol: the main thread posts { id, job, done } on `port`, where `done` is an
// Int32Array over a SharedArrayBuffer. This thread posts back { id, report } or
// { id, error }, then sets done[0] to 1, which wakes the main thread's Atomics.wait.
// Jobs:
//   { kind: 'cloudformation', context }     aws-cdk-lib's CloudFormationValidatePlugin
//   { kind: 'cfn-guard', context, runs }    @cdklabs/cdk-validator-cfnguard's plugin, once
//                                           per { templatePath, rules } run, reports merged
const { workerData } = require('node:worker_threads');

const { port, warm } = workerData;
const describe = (error) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

let cloudFormation;
function cloudFormationPlugin() {
  if (!cloudFormation) {
    const { CloudFormationValidatePlugin } = require('aws-cdk-lib');
    cloudFormation = new CloudFormationValidatePlugin();
  }
  return cloudFormation;
}

function cfnGuard(context, runs) {
  const { CfnGuardValidator } = require('@cdklabs/cdk-validator-cfnguard');
  const violations = [];
  let success = true;
  for (const { templatePath, rules } of runs) {
    const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate({ ...context, templatePaths: [templatePath] });
    violations.push(...report.violations);
    success = success && report.success;
  }
  return { success, violations };
}

const run = {
  cloudformation: ({ context }) => cloudFormationPlugin().validate(context),
  'cfn-guard': ({ context, runs }) => cfnGuard(context, runs),
};

let startupError;
try {
  // Validating no templates starts the CloudFormation engine (a WebAssembly compile and
  // set-up of about 1.5 s), while the main thread is still building the app.
  if (warm === 'cloudformation') cloudFormationPlugin().validate({ templatePaths: [], stackTemplates: [] });
} catch (error) {
  startupError = describe(error);
}

port.on('message', ({ id, job, done }) => {
  try {
    if (startupError) throw new Error(`the worker could not start: ${startupError}`);
    port.postMessage({ id, report: run[job.kind](job) });
  } catch (error) {
    port.postMessage({ id, error: describe(error) });
  }
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
