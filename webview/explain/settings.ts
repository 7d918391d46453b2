import { h } from '../shell/dom';
import type { ExplainMethod, ExplainOptions, IgBaseline } from '../../src/protocol/explain';

// The Explain tab's method settings: one row per checked method with its parameters (SmoothGrad noise and samples,
// IG steps and baseline, the Grad-CAM layer, occlusion window and stride, RISE masks, grid and keep, and the fill
// value both perturbation methods hide pixels with). An empty field means the engine's default, which the placeholder
// shows. Stable DOM ids: mi-explain-opt-<method>-<option> for every field, mi-explain-settings-<method> (and -fill) for
// every row; the engine checks the bounds again.

interface NumberField {
  option: keyof ExplainOptions;
  label: string;
  placeholder: string;
  min: number;
  max?: number;
  step?: string;
}

const NUMBERS: Partial<Record<ExplainMethod, NumberField[]>> = {
  smoothgrad: [
    { option: 'noise', label: 'noise', placeholder: '0.15', min: 0, max: 10, step: '0.01' },
    { option: 'samples', label: 'samples', placeholder: '25', min: 1, max: 500 },
  ],
  ig: [{ option: 'steps', label: 'steps', placeholder: '64', min: 1, max: 1000 }],
  occlusion: [
    { option: 'window', label: 'window', placeholder: 'auto', min: 1, max: 4096 },
    { option: 'stride', label: 'stride', placeholder: 'auto', min: 1, max: 4096 },
  ],
  rise: [
    { option: 'masks', label: 'masks', placeholder: '500', min: 1, max: 10000 },
    { option: 'grid', label: 'grid', placeholder: '6', min: 2, max: 64 },
    { option: 'keep', label: 'keep', placeholder: '0.5', min: 0.01, max: 0.99, step: '0.01' },
  ],
};
/** The value hidden pixels take, shared by both perturbation methods (one setting in the protocol). */
const FILL: NumberField = { option: 'fill', label: 'fill', placeholder: '0', min: -1e9, step: 'any' };
const FILL_METHODS: ExplainMethod[] = ['occlusion', 'rise'];

export interface MethodSettings {
  element: HTMLElement;
  /** Shows the rows of these methods only. */
  show(methods: ExplainMethod[]): void;
  /** Offers these layer names for Grad-CAM. */
  setGradcamLayers(names: string[]): void;
  /** The options the fields ask for, or a message naming the first field that is not a valid number. */
  read(methods: ExplainMethod[]): { options: ExplainOptions } | { error: string };
}

export function createMethodSettings(): MethodSettings {
  const inputs = new Map<string, HTMLInputElement>();
  const field = (method: string, f: NumberField) => {
    const id = `mi-explain-opt-${method}-${f.option}`;
    const input = h('input', { id, type: 'number', min: String(f.min), max: f.max === undefined ? undefined : String(f.max), step: f.step ?? '1', placeholder: f.placeholder, class: 'mi-explain-opt' });
    inputs.set(`${method}.${f.option}`, input);
    return h('label', { class: 'mi-choice' }, `${f.label} `, input);
  };
  const baseline = h('select', { id: 'mi-explain-opt-ig-baseline', title: 'where the integration path starts' },
    ...['black', 'blurred', 'noise'].map((b) => h('option', { value: b }, b)), h('option', { value: 'file' }, 'file…'));
  const baselineFile = h('input', { id: 'mi-explain-opt-ig-baselineFile', type: 'text', size: '30', placeholder: 'baseline file (.npy or image)', hidden: true });
  baseline.addEventListener('change', () => (baselineFile.hidden = baseline.value !== 'file'));
  // The layers Grad-CAM can use are known once it has run (the engine lists them): offered as suggestions from then on.
  const layers = h('datalist', { id: 'mi-explain-gradcam-layers' });
  const layerHint = 'last layer with spatial output';
  // Wide enough for its placeholder (size 24 cut it off); layer names are usually shorter.
  const layer = h('input', { id: 'mi-explain-opt-gradcam-layer', type: 'text', size: String(layerHint.length + 2), placeholder: layerHint, list: 'mi-explain-gradcam-layers' });

  // Rows by what shows them: a method, or 'fill' (either perturbation method).
  const rows = new Map<string, HTMLElement>();
  const row = (key: string, title: string, ...children: HTMLElement[]) => {
    const r = h('div', { id: `mi-explain-settings-${key}`, class: 'mi-explain-settings-row', hidden: true }, h('span', { class: 'mi-explain-settings-method' }, title), ...children);
    rows.set(key, r);
    return r;
  };
  const element = h('div', { id: 'mi-explain-settings', class: 'mi-explain-settings' },
    row('smoothgrad', 'smoothgrad', ...NUMBERS.smoothgrad!.map((f) => field('smoothgrad', f))),
    row('ig', 'ig', ...NUMBERS.ig!.map((f) => field('ig', f)), h('label', { class: 'mi-choice' }, 'baseline ', baseline), baselineFile),
    row('gradcam', 'gradcam', h('label', { class: 'mi-choice' }, 'layer ', layer), layers),
    row('occlusion', 'occlusion', ...NUMBERS.occlusion!.map((f) => field('occlusion', f))),
    row('rise', 'rise', ...NUMBERS.rise!.map((f) => field('rise', f))),
    row('fill', 'occlusion, rise', field('perturb', FILL)),
  );
  const shown = (key: string, methods: ExplainMethod[]) => (key === 'fill' ? FILL_METHODS.some((m) => methods.includes(m)) : methods.includes(key as ExplainMethod));

  return {
    element,
    setGradcamLayers(names) {
      layers.replaceChildren(...names.map((n) => h('option', { value: n })));
    },
    show(methods) {
      for (const [key, r] of rows) r.hidden = !shown(key, methods);
      element.hidden = ![...rows.keys()].some((key) => shown(key, methods));
    },
    read(methods) {
      const o: Record<string, number | string> = {};
      const wanted: [string, NumberField][] = methods.flatMap((m) => (NUMBERS[m] ?? []).map((f) => [m, f] as [string, NumberField]));
      if (FILL_METHODS.some((m) => methods.includes(m))) wanted.push(['perturb', FILL]);
      for (const [key, f] of wanted) {
        const text = inputs.get(`${key}.${f.option}`)!.value.trim();
        if (!text) continue;
        const v = Number(text);
        if (!Number.isFinite(v)) return { error: `${key === 'perturb' ? 'occlusion/rise' : key} ${f.label}: "${text}" is not a number` };
        o[f.option] = v;
      }
      if (methods.includes('ig')) {
        if (baseline.value === 'file') {
          const file = baselineFile.value.trim();
          if (!file) return { error: 'ig baseline: choose a file, or another baseline' };
          o.baselineFile = file;
        } else o.baseline = baseline.value as IgBaseline;
      }
      if (methods.includes('gradcam') && layer.value.trim()) o.layer = layer.value.trim();
      return { options: o as ExplainOptions };
    },
  };
}
