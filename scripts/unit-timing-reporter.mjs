// A test reporter for run-unit-tests.mjs: after the run, lists the slowest test files (each file's own process, from
// start to exit: imports, hooks and tests) and their slowest tests, so a slow unit step says where its time went.
import { relative } from 'node:path';

const SHOWN_FILES = 20;

export default async function* timingReporter(source) {
  /** file -> { ms, tests: [name, ms][] } */
  const files = new Map();
  const entry = (file) => files.get(file) ?? files.set(file, { ms: 0, tests: [] }).get(file);
  const t0 = Date.now();
  for await (const ev of source) {
    const file = ev.data?.file;
    if (!file || ev.data.nesting !== 0) continue;
    // The runner reports each file as a test named by its path; its duration is the file's whole process.
    if (ev.type === 'test:complete' && ev.data.name === file) entry(file).ms = ev.data.details?.duration_ms ?? 0;
    else if ((ev.type === 'test:pass' || ev.type === 'test:fail') && ev.data.name !== file) entry(file).tests.push([ev.data.name, ev.data.details?.duration_ms ?? 0]);
  }
  const rows = [...files].map(([file, f]) => ({ file: relative(process.cwd(), file), ...f })).sort((a, b) => b.ms - a.ms);
  const sum = rows.reduce((s, r) => s + r.ms, 0);
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  let out = `\nunit step: ${rows.length} files in ${s(Date.now() - t0)} wall, ${s(sum)} summed over the files' processes; slowest files:\n`;
  for (const r of rows.slice(0, SHOWN_FILES)) {
    const inTests = r.tests.reduce((t, [, ms]) => t + ms, 0);
    const top = [...r.tests].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([n, ms]) => `${s(ms)} ${n.slice(0, 50)}`);
    out += `  ${s(r.ms).padStart(8)}  ${r.file} (tests ${s(inTests)}; slowest: ${top.join('; ')})\n`;
  }
  yield out;
}
