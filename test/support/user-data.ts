import { synthesized } from './assembly';

/** User data as text, with every CloudFormation reference in it (`Ref`, `Fn::GetAtt`, …) shown as `<ref>`. */
export function userDataText(userData: unknown): string {
  if (typeof userData === 'string') return userData;
  const join = (userData as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(userDataText).join(join[0]) : '<ref>';
}

/** The text between `cat > <file> <<'<marker>'` and the line `<marker>` of a boot script. */
export function heredoc(script: string, file: string, marker: string): string {
  const start = script.indexOf(`cat > ${file} <<'${marker}'\n`);
  if (start < 0) throw new Error(`the boot script writes no ${file}`);
  const body = script.slice(script.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf(`\n${marker}\n`) + 1);
}

/** The variables a systemd unit's `Environment=NAME=value` lines set. */
export function unitEnvironment(unit: string): Record<string, string> {
  return Object.fromEntries([...unit.matchAll(/^Environment=([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [name, value]));
}

/** The text of the boot script in an app stack's launch template. */
export function bootScript(envName: string, stackName: string): string {
  const template = synthesized(envName).template(stackName).toJSON();
  const launchTemplate = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::EC2::LaunchTemplate');
  return userDataText(launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64']);
}
