// The descriptors are the one place formats are known: package.json's contributions and the host's catalog are
// generated from them (npm run sync-formats) and must be up to date; nothing else matches model file names.
import { backendById } from '../../src/runtime/backends/registry';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { catalog, contributions, description, DEVICE_SETTINGS } from '../../scripts/format-catalog';
import { formats, formatOf } from '../../src/formats/registry';
import { globToRegExp, isModelPath } from '../../src/host/model-files';

const root = join(__dirname, '../..');
const stale = 'out of date: run `npm run sync-formats`';

test('catalog.generated.json and package.json contributions follow the descriptors', () => {
  const generated = JSON.parse(readFileSync(join(root, 'src/formats/catalog.generated.json'), 'utf8'));
  assert.deepEqual(generated, catalog(), `src/formats/catalog.generated.json is ${stale}`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const c = contributions();
  assert.equal(pkg.description, description(), `package.json's description is ${stale}`);
  assert.deepEqual(pkg.contributes.customEditors, c.customEditors, `package.json customEditors are ${stale}`);
  // Device names are defined once, by the backends: the settings' enums follow them.
  for (const [key, devices] of Object.entries(DEVICE_SETTINGS)) assert.deepEqual(pkg.contributes.configuration.properties[key].items.enum, [...devices], `${key} enum is ${stale}`);
  const menu = pkg.contributes.menus['explorer/context'] as { command: string; when: string }[];
  assert.equal(menu.find((m) => m.command === 'modelInspector.inspect')!.when, c.inspectWhen, `the Inspect menu clause is ${stale}`);
  assert.equal(menu.find((m) => m.command === 'modelInspector.compareWith')!.when, c.inspectWhen, `the Compare With menu clause is ${stale}`);
  assert.equal(menu.find((m) => m.command === 'modelInspector.quickInference')!.when, c.runWhen, `the Quick Inference menu clause is ${stale}`);
});

test('package.json\'s description and the CLI\'s help name every format read', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { description: string };
  const help = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), '--help'], { encoding: 'utf8' }).stdout;
  for (const f of formats) {
    assert.ok(pkg.description.includes(f.name), `package.json's description does not name ${f.name}`);
    assert.ok(help.split('\n')[0].includes(f.name), `the CLI's first help line does not name ${f.name}: ${help.split('\n')[0]}`);
  }
});

test('every descriptor is complete and every model format has exactly one descriptor', () => {
  const ids = new Set<string>();
  for (const f of formats) {
    assert.ok(!ids.has(f.id), `duplicate descriptor id ${f.id}`);
    ids.add(f.id);
    assert.ok(f.files.length + (f.optionFiles?.length ?? 0) > 0 && f.formats.length > 0, f.id);
    for (const m of f.formats) assert.equal(formatOf({ format: m }), f);
    if (!f.runs.backends.length) assert.ok((f.runs.why ?? '').length > 10, `${f.id} says why it cannot run`);
    for (const id of f.runs.backends) assert.ok(backendById(id), `${f.id} names backend ${id}, which the registry lacks`);
  }
});

test('file patterns as the host matches them', () => {
  assert.ok(globToRegExp('*.onnx').test('/w/a/Net.ONNX'));
  assert.ok(!globToRegExp('*.onnx').test('/w/a/net.onnx.bak'));
  assert.ok(globToRegExp('**/model.json').test('/w/web/model.json'));
  assert.ok(globToRegExp('**/model.json').test('model.json'));
  assert.ok(!globToRegExp('**/model.json').test('/w/web/my-model.json'));
  assert.ok(isModelPath('/w/tiny.onnx') && !isModelPath('/w/package.json'));
});

test('no code outside src/formats (and the generated catalog) recognises model files by name', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // code, not comments
        // A regex naming a model extension (`\\.onnx`), or a glob of one in a string ('*.onnx', '**/model.json').
        if (/\\\.(onnx|json|tflite|safetensors|gguf|keras|h5|pth?)\b/.test(text) || /['"`](\*\*\/)?(\*\.(onnx|tflite|safetensors|gguf|keras|h5|pth?)|model\.json)['"`]/.test(text)) offenders.push(p.slice(root.length + 1));
      }
    }
  };
  for (const d of ['src/host', 'src/runtime', 'src/explain', 'src/engine', 'src/cli']) walk(join(root, d));
  assert.deepEqual(offenders, [], 'format knowledge belongs in the descriptors');
});
