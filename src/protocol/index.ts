export * from './wire';
export * from './rpc';
export * from './validate';
export * from './summary';
export * from './engine';
export * from './webview';
