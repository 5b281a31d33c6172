/**
 * The dev environment as bin/app.ts builds it (the same `cliApp` and `buildApp`), plus one
 * bucket that breaks the rule packs, for test/cli.test.ts: `cdk synth` must fail on it,
 * while `cdk ls`, which reads no template, lists its stacks.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp, cliApp } from '../../lib/app';
import { offlineConfig } from './synth';

const { app, readsTemplates } = cliApp();
const stacks = buildApp(app, offlineConfig('dev'), { includePipeline: false, rulePacks: readsTemplates });
new s3.Bucket(stacks.web['us-east-1'], 'UncheckedBucket', { removalPolicy: RemovalPolicy.DESTROY });
app.synth();
