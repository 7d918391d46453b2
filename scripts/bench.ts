// `npm run bench -- <kind> [model-file] [options]`: each kind lives in scripts/bench/<kind>.ts and prints one JSON
// line per measured model, with ratios against the raw runtime measured in the same run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const [kind, ...rest] = process.argv.slice(2);
  const file = kind && /^[a-z-]+$/.test(kind) ? join(__dirname, 'bench', `${kind}.ts`) : '';
  if (!file || !existsSync(file)) {
    console.error('usage: npm run bench -- <attention|graph|histogram|inference|lm|oip|saliency|webview-bytes> [model-file] [options]');
    process.exit(2);
  }
  const mod = (await import(file)) as { run(args: string[]): Promise<void> };
  await mod.run(rest);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
