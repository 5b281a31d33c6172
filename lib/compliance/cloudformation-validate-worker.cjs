'use strict';
// Runs aws-cdk-lib's own CloudFormationValidatePlugin on a worker thread for
// background-cloudformation-validation.ts. Plain CommonJS, so it loads the same under
// tsx, jest and node. Protocol: the main thread posts { id, context, done } on `port`, where
// `done` is an Int32Array over a SharedArrayBuffer; this thread posts back { id, report } or
// { id, error } and then sets done[0] to 1, which wakes the main thread's Atomics.wait.
const { workerData } = require('node:worker_threads');

const { port } = workerData;
const describe = (error) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

let plugin;
let startupError;
try {
  const { CloudFormationValidatePlugin } = require('aws-cdk-lib');
  plugin = new CloudFormationValidatePlugin();
  // Validating no templates starts the engine (WebAssembly compile and set-up), so the
  // first real run pays less. The app is still being built on the main thread meanwhile.
  plugin.validate({ templatePaths: [], stackTemplates: [] });
} catch (error) {
  startupError = describe(error);
}

port.on('message', ({ id, context, done }) => {
  try {
    if (startupError) throw new Error(`the worker could not start: ${startupError}`);
    port.postMessage({ id, report: plugin.validate(context) });
  } catch (error) {
    port.postMessage({ id, error: describe(error) });
  }
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
