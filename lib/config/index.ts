export * from './environments';
export * from './load';
export * from './schema';
export * from './dns';
