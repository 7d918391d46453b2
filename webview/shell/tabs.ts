import type { Tab } from './tab';
import { createOverviewTab } from '../overview/tab';
import { graphTab } from '../graph/tab';
import { createRunTab } from '../run/tab';
import { weightsTab } from '../weights/tab';
import { createExplainTab } from '../explain/tab';
import { createCompareTab } from '../compare/tab';
import { createAttentionTab } from '../attention/tab';

/**
 * The panel's tabs, in order. A feature plugs in by replacing its `comingSoon(...)` line with its factory from
 * `webview/<feature>/tab.ts` (as Graph did: `() => graphTab`); nothing else in the shell changes.
 */
export const tabFactories: (() => Tab)[] = [
  createOverviewTab,
  () => graphTab,
  () => weightsTab,
  createRunTab,
  createExplainTab,
  createAttentionTab,
  createCompareTab,
];
