import type { Model } from '../model/graph';
import { summarizeFile } from '../formats/summarize';
import { openedFileBytes } from '../formats/registry';
import type { LanguageModelInfo, ModelSummary } from '../protocol/summary';
import { chooseBackend } from './backends/registry';
import { languageModelInfo } from './lm/info';

/** Whether and how this model runs here: its format's backends, filtered by what this machine has. */
export function executionSummary(model: Model): ModelSummary['runs'] {
  const c = chooseBackend(model);
  if (!c.backend) return { runtime: null, why: c.why };
  return { runtime: c.backend.id, name: c.backend.name, capabilities: [...c.backend.capabilities] };
}

/** The Overview / `inspect --json` view of a model: what the file says, and what runs it here. */
export function summarize(model: Model, fileBytes = openedFileBytes(model) ?? 0): ModelSummary {
  const runs = executionSummary(model);
  const lm: LanguageModelInfo | undefined = runs.runtime !== null && runs.capabilities.includes('tokens') ? languageModelInfo(model) : undefined;
  return { ...summarizeFile(model, fileBytes), runs, ...(lm ? { lm } : {}) };
}
