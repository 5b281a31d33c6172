export * from './execution-policy';
export * from './handler-permissions';
export * from './permissions-boundary';
