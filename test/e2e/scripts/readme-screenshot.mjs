// Makes a README screenshot from an e2e run's full-window capture: crops to the editor (with the Explorer) and
// writes a palette PNG small enough to commit.
// Usage: node test/e2e/scripts/readme-screenshot.mjs [light|dark|<artifact name, e.g. graph-if-light>]...
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';

mkdirSync('media/screenshots', { recursive: true });
for (const arg of process.argv.length > 2 ? process.argv.slice(2) : ['dark']) {
  const name = arg === 'light' || arg === 'dark' ? `overview-${arg}` : arg;
  const out = `media/screenshots/${name}.png`;
  const info = await sharp(`test-artifacts/e2e/${name}.png`)
    .extract({ left: 0, top: 0, width: 1400, height: 700 })
    .resize({ width: 1000 })
    .png({ palette: true, colours: 64, compressionLevel: 9 })
    .toFile(out);
  console.log(`${out}: ${info.width}x${info.height}, ${(info.size / 1024).toFixed(1)} KB`);
}
