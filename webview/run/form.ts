import type { RunInputSpec, RunParams, SynthKind } from '../../src/protocol/run';
import { SYNTH_KINDS } from '../../src/protocol/run';
import { defaultDimValue } from '../../src/protocol/dim-defaults';
import type { ValueInfo } from '../../src/protocol/summary';
import { h } from '../shell/dom';

/** The Run tab's options: per-input source, symbolic dims, runs, seed, providers. Reads back into RunParams. */
export interface RunForm {
  readonly element: HTMLElement;
  params(): RunParams;
  /** Pre-fills the form from remembered prefs (entries for inputs or dims the model no longer has are ignored). */
  apply(prefs: RunParams): void;
}

const isInt = (dtype: string) => /^u?int/.test(dtype);

/** Symbolic dimension names across the inputs, in first-seen order, with the value the runtime would default to. */
export function symbolicDims(inputs: ValueInfo[]): { name: string; value: number }[] {
  const dims: { name: string; value: number }[] = [];
  for (const i of inputs) {
    (i.shape ?? []).forEach((d, axis) => {
      if (typeof d === 'string' && d !== '?' && !dims.some((x) => x.name === d)) dims.push({ name: d, value: defaultDimValue(d, axis, { dtype: i.dtype, shape: i.shape ?? [] }) });
    });
  }
  return dims;
}

export function createRunForm(inputs: ValueInfo[]): RunForm {
  const rows = inputs.map((info, k) => {
    const select = h('select', { class: 'mi-run-source', 'data-input': info.name, 'aria-label': `source for ${info.name}` },
      SYNTH_KINDS.map((kind) => h('option', { value: kind, selected: kind === (isInt(info.dtype) ? 'range' : 'normal') }, kind)),
      h('option', { value: 'file' }, 'array file (.npy / .npz / .pb)'),
      h('option', { value: 'image' }, 'image file (resized to the input)'));
    const file = h('input', { type: 'text', class: 'mi-run-file mi-mono', 'data-input': info.name, placeholder: '/path/to/input.npy', hidden: true, 'aria-label': `file for ${info.name}` });
    const normalize = h('select', { class: 'mi-run-normalize', 'data-input': info.name, hidden: true, 'aria-label': `scaling for ${info.name}` },
      ['0-1', '-1-1', 'imagenet', 'raw'].map((v) => h('option', { value: v }, v === 'raw' ? '0..255' : v === 'imagenet' ? 'ImageNet mean/std' : v.replace('-1-1', '-1..1').replace('0-1', '0..1'))));
    const order = h('select', { class: 'mi-run-order', 'data-input': info.name, hidden: true, 'aria-label': `channel order for ${info.name}` },
      h('option', { value: 'rgb' }, 'RGB'), h('option', { value: 'bgr' }, 'BGR'));
    select.addEventListener('change', () => {
      file.hidden = select.value !== 'file' && select.value !== 'image';
      file.placeholder = select.value === 'image' ? '/path/to/image.jpg' : '/path/to/input.npy';
      normalize.hidden = order.hidden = select.value !== 'image';
    });
    const shape = info.shape === null ? '?' : `[${info.shape.join(', ')}]`;
    return {
      info,
      k,
      select,
      file,
      el: h('tr', { 'data-name': info.name },
        h('td', { class: 'mi-mono' }, info.name), h('td', { class: 'mi-mono' }, `${info.dtype} ${shape}`), h('td', {}, select, ' ', file, ' ', normalize, ' ', order)),
      normalize,
      order,
    };
  });
  // Pre-filled with the runtime's default (batch 1, …): the user confirms or edits them once; a run remembers them.
  const dimInputs = symbolicDims(inputs).map(({ name, value }) => ({
    name,
    input: h('input', { type: 'number', min: 1, step: 1, class: 'mi-run-dim', 'data-dim': name, value, 'data-default': value, 'aria-label': `value of ${name}` }),
  }));
  const runs = h('input', { type: 'number', id: 'mi-run-runs', min: 1, max: 1000, step: 1, value: 10, 'aria-label': 'timed runs' });
  const seed = h('input', { type: 'number', id: 'mi-run-seed', min: 0, step: 1, value: 0, 'aria-label': 'random seed' });
  const providersHint = 'default (modelInspector.executionProviders)';
  // Wide enough for its placeholder (a text field's default width cuts it off after ~20 characters).
  const providers = h('input', { type: 'text', id: 'mi-run-providers', class: 'mi-mono', placeholder: providersHint, size: String(providersHint.length + 2), 'aria-label': 'execution providers, comma separated' });

  const element = h('section', { class: 'mi-section mi-run-form' },
    h('h2', {}, 'Inputs'),
    h('table', { class: 'mi-table', id: 'mi-run-inputs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Values'))),
      h('tbody', {}, rows.map((r) => r.el))),
    dimInputs.length > 0 && h('p', { id: 'mi-run-dims' }, 'Symbolic dimensions: ', dimInputs.flatMap((d) => [h('label', {}, `${d.name} `, d.input), ' ']),
      h('span', { class: 'mi-muted' }, ' (defaults guessed from the names; the values you run with are remembered for this model)')),
    h('p', {}, h('label', {}, 'Runs ', runs), ' ', h('label', {}, 'Seed ', seed), ' ', h('label', {}, 'Providers ', providers)),
  );

  return {
    element,
    params() {
      const specs: RunInputSpec[] = rows.map((r) => {
        if (r.select.value === 'file') return { name: r.info.name, file: r.file.value.trim() };
        if (r.select.value === 'image') {
          return { name: r.info.name, file: r.file.value.trim(), image: { normalize: r.normalize.value as '0-1', order: r.order.value as 'rgb' } };
        }
        return { name: r.info.name, synth: r.select.value as SynthKind };
      });
      const dims: Record<string, number> = {};
      for (const d of dimInputs) {
        const v = Number(d.input.value);
        if (d.input.value !== '' && Number.isInteger(v) && v >= 1) dims[d.name] = v;
      }
      const p: RunParams = { inputs: specs, dims, runs: clampInt(runs.value, 1, 1000, 10), seed: clampInt(seed.value, 0, 2 ** 31, 0) };
      const list = providers.value.split(',').map((s) => s.trim()).filter(Boolean);
      if (list.length) p.providers = list;
      return p;
    },
    apply(prefs) {
      for (const spec of prefs.inputs ?? []) {
        const r = rows.find((x) => x.info.name === spec.name);
        if (!r) continue;
        if (spec.file !== undefined) {
          r.select.value = spec.image ? 'image' : 'file';
          r.file.value = spec.file;
          if (spec.image?.normalize) r.normalize.value = spec.image.normalize;
          if (spec.image?.order) r.order.value = spec.image.order;
        } else if (spec.synth) r.select.value = spec.synth;
        r.select.dispatchEvent(new Event('change'));
      }
      for (const d of dimInputs) {
        const v = prefs.dims?.[d.name];
        if (v !== undefined) d.input.value = String(v);
      }
      if (prefs.runs !== undefined) runs.value = String(prefs.runs);
      if (prefs.seed !== undefined) seed.value = String(prefs.seed);
      if (prefs.providers) providers.value = prefs.providers.join(', ');
    },
  };
}

function clampInt(text: string, min: number, max: number, fallback: number): number {
  const v = Number(text);
  return Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
}
