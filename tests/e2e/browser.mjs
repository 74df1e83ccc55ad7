// browser.mjs URL OUTDIR — the web page in the system Chromium, driven by
// playwright-core (nothing downloads a browser). Opens the form, checks a
// broken name of the test world, and asserts that the broken link and the fix
// are shown; saves screenshots in OUTDIR. Prints "ok   ..." / "FAIL ..." lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, outdir] = process.argv.slice(2);
let failed = 0;
const ok = (what) => console.log(`ok   browser: ${what}`);
const fail = (what, why) => { failed++; console.log(`FAIL browser: ${what}: ${String(why).split('\n')[0].slice(0, 300)}`); };
async function step(what, fn) {
  try { await fn(); ok(what); } catch (e) { fail(what, e && e.message ? e.message : e); }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }

const profile = mkdtempSync(join(tmpdir(), 'dd-chromium-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 }, // a phone
    timeout: 30000,
  });
} catch (e) {
  fail('launch /usr/bin/chromium', e.message);
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}
ok('system Chromium launched');
const page = ctx.pages()[0] || await ctx.newPage();
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(e.message));
// Nothing may leave the server under test (no CDN, fonts or scripts elsewhere).
const foreign = [];
page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });

await step('the form loads with a labelled name field', async () => {
  await page.goto(base + '/', { waitUntil: 'load' });
  expect(await page.getByLabel('Domain name').count() === 1, 'no field labelled "Domain name"');
  expect(await page.getByLabel('Record type').count() === 1, 'no field labelled "Record type"');
});

await step('typing a broken name and pressing Check shows the result page', async () => {
  await page.getByLabel('Domain name').fill('www.kskroll.test');
  await page.getByLabel('Record type').selectOption('A');
  await Promise.all([page.waitForURL(/\/check\?name=www\.kskroll\.test/), page.getByRole('button', { name: 'Check' }).click()]);
  await page.waitForLoadState('load');
  const h1 = await page.locator('h1').innerText();
  expect(/www\.kskroll\.test\. A/.test(h1) && /bogus/.test(h1), `h1 is "${h1}"`);
});

await step('the diagram marks kskroll.test. as the broken link', async () => {
  const svg = page.locator('svg.chain');
  expect(await svg.count() === 1, 'no chain diagram');
  const text = await svg.evaluate((s) => s.textContent);
  expect(text.includes('breaks here: DS_NO_MATCHING_DNSKEY'), 'no "breaks here" on a link');
  const broken = await svg.locator('g', { hasText: 'BROKEN LINK' }).locator('title').textContent();
  expect(broken === 'kskroll.test.', `broken box is "${broken}"`);
  const label = await svg.getAttribute('aria-labelledby');
  expect(label === 'chain-title chain-desc', 'diagram has no accessible name');
  const box = await svg.boundingBox();
  expect(box && box.width <= 390, `diagram wider than the phone (${box && box.width})`);
});

await step('the chain table says the chain breaks at kskroll.test.', async () => {
  const row = page.locator('tr.broken');
  expect((await row.innerText()).includes('kskroll.test.'), 'broken row is not kskroll.test.');
});

await step('the fix with the DS record to publish, who must act, and the emergency stop are shown', async () => {
  const fix = page.locator('#fix');
  expect(await fix.isVisible(), 'fix not visible');
  const ds = await fix.locator('pre.records').innerText();
  expect(/kskroll\.test\.\s+\d+\s+IN\s+DS\s+\d+ 13 2 [0-9a-f]{64}/.test(ds), `DS record not shown: "${ds}"`);
  const who = await page.locator('p.who').innerText();
  expect(who.includes('registrar (parent) of kskroll.test.'), `who: "${who}"`);
  expect((await page.locator('.emergency').innerText()).includes('The cost'), 'no emergency stop');
});

await step('the script ran under the CSP (copy button present)', async () => {
  expect(await page.getByRole('button', { name: 'Copy DS records' }).count() === 1, 'no copy button');
});

await step('no console errors, no CSP violations, no request to another origin', async () => {
  expect(problems.length === 0, problems.join(' | '));
  expect(foreign.length === 0, foreign.join(' '));
});

await step('the page fits a phone screen (no sideways scrolling)', async () => {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(w <= 390, `page is ${w}px wide`);
});

await step('screenshots saved', async () => {
  await page.screenshot({ path: join(outdir, 'e2e-kskroll-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.screenshot({ path: join(outdir, 'e2e-kskroll-desktop.png'), fullPage: true });
});

await step('a healthy name shows secure and no broken link', async () => {
  await page.goto(base + '/check?name=www.good13.test&type=A', { waitUntil: 'load' });
  expect((await page.locator('h1').innerText()).includes('secure'), 'not secure');
  expect(await page.locator('svg.chain g', { hasText: 'BROKEN LINK' }).count() === 0, 'a broken link on a healthy name');
});

await step('hostile TXT data is shown as text, not run', async () => {
  let dialog = false;
  page.on('dialog', (d) => { dialog = true; d.dismiss(); });
  await page.goto(base + '/check?name=hostile.good13.test&type=TXT', { waitUntil: 'load' });
  const pre = await page.locator('pre.dns').innerText();
  expect(pre.includes('<script>alert(1)</script>'), `TXT not shown as text: "${pre}"`);
  expect(await page.locator('main img').count() === 0, 'an <img> from DNS data made it into the page');
  expect(!dialog, 'a script from DNS data ran');
});

await ctx.close();
rmSync(profile, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
