// `npm run sync-formats`: writes src/formats/catalog.generated.json and package.json's description, editor selectors
// and menu clauses from the format descriptors. Run it after adding a format; a unit test says when it is needed.
import { readFileSync, writeFileSync } from 'node:fs';
import { catalog, contributions, description, DEVICE_SETTINGS } from './format-catalog';

const root = `${process.cwd()}/`; // npm runs scripts from the package root
const entries = catalog();
writeFileSync(`${root}src/formats/catalog.generated.json`, JSON.stringify(entries, null, 2) + '\n');

const pkgPath = `${root}package.json`;
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
const c = contributions(entries);
pkg.description = description(entries);
pkg.contributes.customEditors = c.customEditors;
for (const item of pkg.contributes.menus['explorer/context']) {
  if (item.command === 'modelInspector.inspect' || item.command === 'modelInspector.compareWith') item.when = c.inspectWhen;
  if (item.command === 'modelInspector.quickInference') item.when = c.runWhen;
}
for (const [key, devices] of Object.entries(DEVICE_SETTINGS)) pkg.contributes.configuration.properties[key].items.enum = [...devices];
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
console.log(`${entries.length} formats: ${entries.map((e) => e.id).join(', ')}`);
