import type { MethodMap } from './rpc';
import type { Check } from './validate';
import type { GraphMethods } from './graph';
import type { StatsMethods } from './stats';
import type { RunMethods } from './run';
import type { ExplainMethods } from './explain';
import { graphValidators } from './graph';
import { statsValidators } from './stats';
import { runValidators } from './run';
import { explainValidators } from './explain';
import type { PromptMethods } from './prompt';
import { promptValidators } from './prompt';
import type { AttentionMethods } from './attention';
import { attentionValidators } from './attention';

/**
 * Feature requests a view makes about its model. The webview sends them without a modelId; the host checks them
 * with `forwardedValidators`, adds the panel's modelId and forwards them to the engine unchanged.
 */
export type ForwardedMethods = GraphMethods & StatsMethods & RunMethods & ExplainMethods & PromptMethods & AttentionMethods;

export const forwardedValidators: { [K in keyof ForwardedMethods]: Check } = {
  ...graphValidators,
  ...statsValidators,
  ...runValidators,
  ...explainValidators,
  ...promptValidators,
  ...attentionValidators,
};

export const forwardedMethodNames = Object.keys(forwardedValidators) as (keyof ForwardedMethods & string)[];

/** The engine-side form of a forwarded method map: every params object also names the model. */
export type WithModel<M extends MethodMap> = {
  [K in keyof M]: { params: M[K]['params'] & { modelId: string }; result: M[K]['result'] };
};
