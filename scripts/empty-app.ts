/**
 * An app with one empty stack: the floor of `cdk synth` (the CLI, Node, tsx,
 * aws-cdk-lib and its built-in validation) that scripts/measure-synth.sh compares
 * this app's synth with. Run through the same CLI and runner: scripts/measure-synth.sh takes the runner from cdk.json.
 */
import { App, Stack } from 'aws-cdk-lib';

const app = new App();
new Stack(app, 'Empty');
app.synth();
