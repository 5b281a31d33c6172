/**
 * Runs in every jest worker before its test file (jest.config.js `setupFiles`).
 *
 * aws-cdk-lib validates every synthesized template against the CloudFormation resource schemas
 * unless told not to, in WebAssembly: about 2 s of CPU for each `app.synth()` or
 * `Template.fromStack()`, which is most of what a construct test costs. The tests assert the
 * properties they care about; the schema validation of what is deployed belongs to CI's
 * `cdk synth` of every environment (.ci/run), and test/validation-plugins.test.ts checks that
 * the app's own worker-thread validation reports what aws-cdk-lib's does. A test that wants
 * the validation in a process it starts sets CDK_VALIDATION itself (test/cli.test.ts).
 */
process.env.CDK_VALIDATION = 'false';
