/** User data as text, with every CloudFormation reference in it (`Ref`, `Fn::GetAtt`, …) shown as `<ref>`. */
export function userDataText(userData: unknown): string {
  if (typeof userData === 'string') return userData;
  const join = (userData as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(userDataText).join(join[0]) : '<ref>';
}
