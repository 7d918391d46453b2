// Used by scripts/demo.sh: opens the example CNN in the running code-server and saves a screenshot of its Overview,
// so the demo proves the installed extension works before handing the URL to a person.
// Usage: node --import tsx test/e2e/demo-shot.ts <workspace folder> <out.png>
import { launchBrowser } from './driver/browser';
import { Workbench } from './driver/workbench';

async function main(): Promise<void> {
  const [folder, out] = process.argv.slice(2);
  if (!folder || !out) throw new Error('usage: demo-shot.ts <workspace folder> <out.png>');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const wb = new Workbench(page);
    await wb.open(folder, { expectFile: 'tiny-cnn.onnx' });
    await wb.quickOpen('tiny-cnn.onnx');
    const nodes = wb.webview().locator('#mi-node-count');
    await nodes.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: out });
    console.log(`Overview of tiny-cnn.onnx shows ${(await nodes.innerText()).trim()} nodes; screenshot: ${out}`);
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => {
  console.error(`demo screenshot failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
