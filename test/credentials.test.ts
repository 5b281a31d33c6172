import { REGIONS, peerOf, withRegionRoles, type EnvironmentConfig, type RegionName } from '../lib/config';
import { NO_WRITER } from '../lib/constructs/writer-endpoint';
import { offlineConfig, synthEnvironment } from './support/synth';

/**
 * Credentials follow the writer (lib/constructs/credentials-rotation.ts): each region keeps its own
 * secret with the one login of the replicated database, and both rotate on the same schedule in
 * every state of the environment's life. Where the region holds the writer, the rotation sets a new
 * password on that instance; elsewhere it copies the other region's. The three states are those of
 * test/region-roles.test.ts: A as created, B after a switch to eu-west-1, C after switching back.
 * test/credentials-rotation-handler.test.ts runs the function itself against moto.
 */

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Template = { Resources: Record<string, Resource>; Outputs?: Record<string, { Value: unknown }>; Transform?: unknown };

const ROTATION_POLICY_ID = /^CredentialsRotationPolicy/;

for (const envName of ['dev', 'prod']) {
  const a = offlineConfig(envName);
  const states: Array<[string, EnvironmentConfig]> = [
    ['A (as created)', a],
    ['B (switched to eu-west-1)', withRegionRoles(a, 'eu-west-1', { 'us-east-1': 1 })],
    ['C (switched back)', withRegionRoles(a, 'us-east-1', { 'us-east-1': 1, 'eu-west-1': 1 })],
  ];

  describe.each(states)(`${envName} %s`, (_state, config) => {
    const assembly = synthEnvironment(config, undefined, { rulePacks: false, includePipeline: false });
    const template = (name: string) => assembly.getStackByName(name).template as Template;
    const data = (region: RegionName) => template(`${envName}-data-${region}`);
    const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
    const only = (t: Template, type: string, filter: (id: string, r: Resource) => boolean = () => true) => {
      const found = ofType(t, type).filter(([id, r]) => filter(id, r));
      expect(found.map(([id]) => id)).toHaveLength(1);
      return { id: found[0][0], ...found[0][1] };
    };
    const secretOf = (region: RegionName) => only(data(region), 'AWS::SecretsManager::Secret');
    const instanceOf = (region: RegionName) => only(data(region), 'AWS::RDS::DBInstance');
    const functionOf = (region: RegionName) => only(data(region), 'AWS::Lambda::Function', (_, r) => r.Properties.FunctionName === `${envName}-data-${region}-credentials-rotation`);
    const scheduleOf = (region: RegionName) => only(data(region), 'AWS::SecretsManager::RotationSchedule');
    const writerParameterOf = (region: RegionName) => only(data(region), 'AWS::SSM::Parameter', (_, r) => r.Properties.Name === `${envName}-data-${region}-writer-endpoint`);

    it.each(REGIONS)('%s keeps its own credentials, encrypted with its own key and never replicated', (region) => {
      const secret = secretOf(region);
      expect(secret.Properties.Name).toBe(`${envName}-data-${region}-credentials`);
      expect(secret.Properties.ReplicaRegions).toBeUndefined();
      const [keyId] = secret.Properties.KmsKeyId['Fn::GetAtt'];
      expect(data(region).Resources[keyId].Properties.Description).toMatch(/credentials/);
    });

    it.each(REGIONS)(`%s's secret ${a.protectStatefulResources ? 'cannot be deleted by anyone in the account' : 'can be deleted with its stack'}`, (region) => {
      const policies = ofType(data(region), 'AWS::SecretsManager::ResourcePolicy').map(([, r]) => r.Properties);
      if (!a.protectStatefulResources) {
        expect(policies).toEqual([]);
        return;
      }
      expect(policies).toEqual([
        {
          SecretId: { Ref: secretOf(region).id },
          ResourcePolicy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Action: 'secretsmanager:DeleteSecret', Principal: { AWS: `arn:aws:iam::${config.account}:root` }, Resource: '*' }],
          },
        },
      ]);
    });

    it.each(REGIONS)('%s rotates its secret with its own function, outside any VPC, every rotationDays', (region) => {
      const schedule = scheduleOf(region);
      const fn = functionOf(region);
      expect(schedule.Properties).toEqual({
        SecretId: { Ref: secretOf(region).id },
        RotationLambdaARN: { 'Fn::GetAtt': [fn.id, 'Arn'] },
        RotationRules: { AutomaticallyAfterDays: config.database.rotationDays },
      });
      expect(fn.Properties.VpcConfig).toBeUndefined();
      expect(fn.Properties.Handler).toBe('credentials_rotation.handler');
      // Creating the schedule rotates at once: the function must be invocable and find the instance and the parameter.
      const permission = only(data(region), 'AWS::Lambda::Permission', (_, r) => r.Properties.Principal === 'secretsmanager.amazonaws.com');
      expect(permission.Properties).toMatchObject({ FunctionName: { 'Fn::GetAtt': [fn.id, 'Arn'] }, SourceArn: { Ref: secretOf(region).id } });
      expect(schedule.DependsOn).toEqual(expect.arrayContaining([permission.id, fn.id, instanceOf(region).id, writerParameterOf(region).id]));
    });

    it.each(REGIONS)("%s's function acts on the region's current instance and copies from or to the other region's secret", (region) => {
      const peer = peerOf(region);
      expect(functionOf(region).Properties.Environment.Variables).toEqual({
        DB_INSTANCE_ID: instanceOf(region).Properties.DBInstanceIdentifier,
        WRITER_PARAMETER: `${envName}-data-${region}-writer-endpoint`,
        PEER_REGION: peer,
        PEER_SECRET_ID: `${envName}-data-${peer}-credentials`,
      });
      const statements = only(data(region), 'AWS::IAM::ManagedPolicy', (id) => ROTATION_POLICY_ID.test(id)).Properties.PolicyDocument.Statement as Array<Record<string, any>>;
      const granting = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
      expect(granting('rds:ModifyDBInstance').map((s) => s.Resource)).toEqual([`arn:aws:rds:${region}:${config.account}:db:${instanceOf(region).Properties.DBInstanceIdentifier}`]);
      expect(granting('secretsmanager:PutSecretValue').map((s) => s.Resource)).toEqual([{ Ref: secretOf(region).id }]);
      const peerSecret = `arn:aws:secretsmanager:${peer}:${config.account}:secret:${envName}-data-${peer}-credentials-??????`;
      expect(granting('secretsmanager:RotateSecret').map((s) => s.Resource)).toEqual([peerSecret]);
      expect(granting('lambda:InvokeFunction').map((s) => s.Resource)).toEqual([`arn:aws:lambda:${peer}:${config.account}:function:${envName}-data-${peer}-credentials-rotation`]);
      // The other region's key only through its Secrets Manager and only for its credentials secret.
      const peerKey = granting('kms:Decrypt').find((s) => s.Resource === `arn:aws:kms:${peer}:${config.account}:key/*`);
      expect(peerKey?.Condition).toEqual({
        StringEquals: { 'kms:ViaService': `secretsmanager.${peer}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': peerSecret },
      });
      expect(statements.flatMap((s) => [s.Action].flat()).filter((action: string) => /Delete|\*/.test(action))).toEqual([]);
    });

    it(`the writer's region (${config.primaryRegion}) rotates the writer itself; the other region's instance is a replica`, () => {
      const writer = config.primaryRegion;
      const other = peerOf(writer);
      expect(writerParameterOf(writer).Properties.Value).toEqual({ 'Fn::GetAtt': [instanceOf(writer).id, 'Endpoint.Address'] });
      expect(instanceOf(writer).Properties.DBInstanceIdentifier).toBe(functionOf(writer).Properties.Environment.Variables.DB_INSTANCE_ID);
      expect(writerParameterOf(other).Properties.Value).toBe(NO_WRITER);
      expect(instanceOf(other).Properties.SourceDBInstanceIdentifier).toBeDefined();
    });

    it.each(REGIONS)("%s's app reads the credentials of its own region's data stack, and only those", (region) => {
      const app = JSON.stringify(template(`${envName}-app-${region}`));
      const imports = [...app.matchAll(/"Fn::GetStackOutput":\{"StackName":"([^"]+)","Region":"([^"]+)","OutputName":"([^"]*Credentials[^"]*)"\}/g)];
      expect(imports.length).toBeGreaterThan(0);
      for (const [, stackName, importRegion, outputName] of imports) {
        expect([stackName, importRegion]).toEqual([`${envName}-data-${region}`, region]);
        expect(data(region).Outputs?.[outputName]?.Value).toEqual({ Ref: secretOf(region).id });
      }
    });

    it('no template uses a transform or a nested stack (no Serverless Application Repository rotation)', () => {
      for (const stack of assembly.stacks) {
        expect([stack.stackName, (stack.template as Template).Transform]).toEqual([stack.stackName, undefined]);
        expect(ofType(stack.template as Template, 'AWS::CloudFormation::Stack').concat(ofType(stack.template as Template, 'AWS::Serverless::Application'))).toEqual([]);
      }
    });
  });
}
