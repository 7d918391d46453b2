export * from './dtype';
export * from './shape';
export * from './errors';
export * from './tensor';
export * from './graph';
export * from './walk';
export * from './link';
