// `npm run screenshots`: trains a short teacher run and a second run in headless Chromium and
// saves docs/playground-1280.png and docs/playground-1920.png (the README shows them).
import { mkdirSync } from 'node:fs';
import { openHeadless } from './headless.mjs';

const { url, browser, close } = await openHeadless('npm run screenshots', 5197);
mkdirSync('docs', { recursive: true });
try {
  for (const [width, height] of [[1280, 800], [1920, 1080]]) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${url}?task=teacher&rank=2&alpha=4&steps=60&lr=0.05`);
    await page.getByTestId('adapter-architecture').waitFor();
    for (const rank of [2, 4]) {
      if (rank !== 2) {
        await page.getByRole('button', { name: 'Reset' }).click();
        await page.getByRole('slider', { name: 'rank r' }).fill(String(rank));
      }
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'idle' && Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points')) >= 60, null, { timeout: 240_000 });
    }
    await page.evaluate(() => document.getElementById('inspector-title')?.scrollIntoView());
    await page.screenshot({ path: `docs/playground-${width}-inspector.png`, fullPage: false });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByRole('button', { name: 'Merge on GPU' }).click();
    await page.getByTestId('merge-report').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0)); // the first screen: the merge lives in its own section below
    await page.screenshot({ path: `docs/playground-${width}.png`, fullPage: false });
    console.log(`wrote docs/playground-${width}.png and docs/playground-${width}-inspector.png`);
    await page.close();
  }
} finally {
  await close();
}
