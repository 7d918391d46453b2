// Makes the README's screenshot from the e2e run's full-window capture: crops to the editor (with the Explorer) and
// writes a palette PNG small enough to commit.  Usage: node test/e2e/scripts/readme-screenshot.mjs [light|dark]
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';

const theme = process.argv[2] ?? 'dark';
const src = `test-artifacts/e2e/overview-${theme}.png`;
const out = `media/screenshots/overview-${theme}.png`;
mkdirSync('media/screenshots', { recursive: true });
const info = await sharp(src)
  .extract({ left: 0, top: 0, width: 1400, height: 700 })
  .resize({ width: 1000 })
  .png({ palette: true, colours: 64, compressionLevel: 9 })
  .toFile(out);
console.log(`${out}: ${info.width}x${info.height}, ${(info.size / 1024).toFixed(1)} KB`);
