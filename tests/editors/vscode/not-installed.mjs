// With no nextguard anywhere (no nextguard.path, no .venv, not on PATH, no Python extension), the
// extension shows ONE actionable error ("nextguard is not installed: run `pip install nextguard`
// (or set nextguard.path)" with "Open settings" / "Show output") and a red status bar item.
// Usage: node not-installed.mjs URL SHOT_DIR
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.env.PW_DIR || '/tmp/nextguard-editors/pw', 'package.json'));
const { chromium } = require('playwright-core');
const [url, shotDir] = process.argv.slice(2);
const t0 = Date.now();
const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let ok = false;
const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
try {
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { timeout: 15_000 });
  await page.keyboard.type('actions/notes.ts');
  await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 15_000 });
  await page.keyboard.press('Enter');                    // activates the extension (onLanguage:typescript)
  const toast = '.notification-toast:has-text("nextguard is not installed")';
  await page.waitForSelector(toast, { timeout: 60_000 });
  await page.waitForTimeout(2000);                       // would a second message follow?
  const messages = await page.$$eval('.notification-list-item-message', (els) => els.map((e) => e.textContent));
  log('notifications: ' + JSON.stringify(messages));
  const ours = messages.filter((m) => /nextguard/i.test(m));
  if (ours.length !== 1) throw new Error(`expected one nextguard message, got ${ours.length}`);
  if (!ours[0].includes('pip install nextguard') || !ours[0].includes('nextguard.path')) throw new Error('message does not say how to install');
  const buttons = await page.$$eval(`${toast} .monaco-button`, (els) => els.map((e) => e.textContent.trim()));
  log('buttons: ' + JSON.stringify(buttons));
  if (!buttons.includes('Open settings') || !buttons.includes('Show output')) throw new Error('missing buttons');
  const item = await page.waitForSelector('.statusbar-item:has-text("nextguard")', { timeout: 10_000 });
  const bg = await item.evaluate((e) => getComputedStyle(e).backgroundColor);
  log(`status bar item: "${(await item.textContent()).trim()}" background ${bg}`);
  await page.screenshot({ path: path.join(shotDir, 'not-installed.png') });
  ok = true;
} catch (e) {
  console.error('ERROR', e.message);
  await page.screenshot({ path: path.join(shotDir, 'not-installed-failure.png') }).catch(() => {});
} finally {
  await browser.close();
}
log(ok ? 'editor steps: PASS' : 'editor steps: FAIL');
process.exit(ok ? 0 : 1);
