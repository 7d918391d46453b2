// vscode-free: the Run tab's remembered inputs per model (dims the user confirmed, input sources, image presets, runs),
// kept in the host's validated state store under the model's path. Nothing here executes the model, so it is
// allowed in Restricted Mode.
import type { Handlers } from '../protocol/rpc';
import type { RunParams } from '../protocol/run';
import type { WebviewMethods } from '../protocol/webview';
import { RpcError } from '../protocol/wire';
import type { HostState, StateStore } from './state-store';
import type { LogFn } from './webview-channel';

/** The part of the state store the prefs need (StateStore<HostState> satisfies it). */
export type RunPrefsState = Pick<StateStore<HostState>, 'get' | 'set'>;

type PrefsHandlers = Pick<Handlers<WebviewMethods>, 'getRunPrefs' | 'setRunPrefs'>;
type TokenizerHandlers = Pick<Handlers<WebviewMethods>, 'getTokenizer' | 'pickTokenizer'>;

/**
 * `getRunPrefs` / `setRunPrefs` for one model. A model without a path on disk has nothing to key by: it gets null
 * and its prefs are not kept. Stored values are re-validated on read (the store drops corrupt ones with a warning).
 */
export function runPrefsHandlers(state: RunPrefsState, model: { path: string | undefined; fileName: string }, log: LogFn): PrefsHandlers {
  return {
    getRunPrefs: () => (model.path === undefined ? null : state.get('runInputs', model.path)),
    setRunPrefs: async ({ prefs }) => {
      if (model.path === undefined) return;
      try {
        await state.set('runInputs', prefs, model.path);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log('warn', `${model.fileName}: run inputs not remembered: ${message}`);
        throw new RpcError('bad-request', `${model.fileName}: run inputs not remembered: ${message}`);
      }
    },
  };
}

/** What Quick Inference reuses from the Run tab: the confirmed dims, seed and providers (never the timed-run count). */
export function rememberedRunDefaults(state: RunPrefsState, path: string): Pick<RunParams, 'dims' | 'seed' | 'providers'> & { inputs?: RunParams['inputs'] } {
  const prefs = state.get('runInputs', path);
  if (!prefs) return {};
  const out: Pick<RunParams, 'dims' | 'seed' | 'providers' | 'inputs'> = {};
  if (prefs.dims && Object.keys(prefs.dims).length) out.dims = prefs.dims;
  if (prefs.seed !== undefined) out.seed = prefs.seed;
  if (prefs.providers?.length) out.providers = prefs.providers;
  if (prefs.inputs?.length) out.inputs = prefs.inputs;
  return out;
}

/**
 * `getTokenizer` / `pickTokenizer` for one language model: the tokenizer.json the user picked instead of the model's
 * own, remembered under the model's path (a model without a path, or a host without state, keeps the pick for this
 * panel only). `pick` shows the open dialog; `clear` goes back to the model's own tokenizer.
 */
export function tokenizerPrefHandlers(state: RunPrefsState | undefined, model: { path: string | undefined; fileName: string },
  pick: () => Promise<string | undefined>, log: LogFn): TokenizerHandlers {
  let session: string | null = null;
  const remember = async (path: string | null) => {
    session = path;
    if (!state || model.path === undefined) return;
    try {
      await state.set('tokenizer', path, model.path);
    } catch (e) {
      log('warn', `${model.fileName}: tokenizer choice not remembered: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return {
    getTokenizer: () => ({ path: state && model.path !== undefined ? state.get('tokenizer', model.path) : session }),
    pickTokenizer: async ({ clear }) => {
      if (clear) {
        await remember(null);
        return { path: null };
      }
      const path = await pick();
      if (path === undefined) return null;
      await remember(path);
      return { path };
    },
  };
}
