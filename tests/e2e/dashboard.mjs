// End-to-end test of the dashboard against a running stack (./rt up): headless Debian chromium
// driven by playwright-core (from frontend/node_modules: cd frontend && npm ci).
//
//   node tests/e2e/dashboard.mjs [--partial]
//
// Env: RT_DASHBOARD_URL (http://localhost:3000), RT_API_TOKEN (the trader's API_TOKEN; default:
// API_TOKEN from .env), RT_E2E_SYMBOL (first symbol of the page), RT_E2E_QTY (0.001),
// RT_E2E_ARTIFACTS (build/e2e), CHROMIUM (/usr/bin/chromium).
// Checks: the page loads with no console error, the chart has candles, a manual BUY placed
// through the form appears in the trade history and the positions table, the PnL table shows
// it; a screenshot is saved (also at 390x844, a phone). --partial stops after the read-only
// checks when the trader does not answer (the stack is incomplete) and says so; without it, a
// missing trader fails the test. Bounded: every wait has a timeout, the whole run 120 s.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'frontend/package.json'));
const { chromium } = require('playwright-core');

const base = process.env.RT_DASHBOARD_URL || 'http://localhost:3000';
const partial = process.argv.includes('--partial');
const artifacts = process.env.RT_E2E_ARTIFACTS || path.join(root, 'build/e2e');
const qty = process.env.RT_E2E_QTY || '0.001';
mkdirSync(artifacts, { recursive: true });

function envToken() {
  if (process.env.RT_API_TOKEN) return process.env.RT_API_TOKEN;
  try {
    const m = /^API_TOKEN=(.*)$/m.exec(readFileSync(path.join(root, '.env'), 'utf8'));
    return m ? m[1].trim().replace(/^["']|["']$/g, '') : '';
  } catch { return ''; }
}

const failures = [];
const check = (ok, what) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };

const deadline = setTimeout(() => { console.error('FAIL: e2e run over 120 s'); process.exit(1); }, 120000);
const profile = mkdtempSync(path.join(tmpdir(), 'rt-e2e-'));
// a new profile dir each run (playwright passes it as --user-data-dir)
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = browser.pages()[0] || await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  const token = envToken();
  await page.addInitScript((t) => { if (t) localStorage.setItem('rt_api_token', t); }, token);
  await page.goto(base, { waitUntil: 'load', timeout: 20000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  check(true, 'page loaded');
  const mode = await page.textContent('#mode');
  check(/DEMO|LIVE/.test(mode), `mode shown in the header (${mode})`);
  await page.waitForFunction(() => document.querySelector('#conn').classList.contains('conn-up'), null, { timeout: 10000 })
    .then(() => check(true, 'live stream connected'), () => check(false, 'live stream connected'));
  await page.waitForFunction(() => Number(document.querySelector('#chart').dataset.bars || 0) > 0, null, { timeout: 30000 })
    .then(() => check(true, 'chart has candles'), () => check(false, 'chart has candles'));
  const canvases = await page.locator('#chart canvas').count();
  check(canvases > 0, 'chart canvas drawn');

  let traderUp = true;
  const risk = await page.request.get(`${base}/api/trader/risk`).catch(() => null);
  if (!risk || risk.status() >= 500) traderUp = false;
  if (!traderUp && partial) {
    console.log('PARTIAL: the trader does not answer; the order, history, positions and PnL checks need it');
  } else {
    check(traderUp, 'trader answers behind /api/trader/');
    const symbol = process.env.RT_E2E_SYMBOL || await page.inputValue('#o-symbol');
    const before = await page.textContent('#page-info');
    await page.selectOption('#o-symbol', symbol);
    await page.selectOption('#order-form select[name=side]', 'BUY');
    await page.fill('#order-form input[name=amount]', qty);
    await page.click('#o-submit');
    await page.waitForFunction(() => /order|refused/.test(document.querySelector('#order-result').textContent), null, { timeout: 15000 });
    const res = await page.textContent('#order-result');
    check(/^order/.test(res), `manual BUY accepted (${res})`);
    const row = (sel) => page.waitForFunction(([s, sym]) => [...document.querySelectorAll(s + ' tr')].some((tr) => tr.textContent.includes(sym)),
      [sel, symbol], { timeout: 15000 }).then(() => true, () => false);
    check(await row('#trades', ''), `trade history shows the BUY (was: ${before})`);
    const tradeRow = await page.locator('#trades tr', { hasText: symbol }).first().textContent().catch(() => '');
    check(/BUY/.test(tradeRow) && /manual/.test(tradeRow), `newest trade row is a manual BUY of ${symbol}`);
    check(await row('#positions', symbol), `positions table shows ${symbol}`);
    check(await row('#pnl-symbol', symbol), `PnL by pair shows ${symbol}`);
    check(await row('#pnl-strategy', 'manual'), 'PnL by strategy shows manual');
  }
  await page.screenshot({ path: path.join(artifacts, 'dashboard-1280x800.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, 'no horizontal overflow on a phone-sized screen');
  await page.screenshot({ path: path.join(artifacts, 'dashboard-phone.png'), fullPage: true });
  console.log(`screenshots in ${artifacts}`);
  const errs = consoleErrors.filter((e) => partial && !traderUp ? !/Failed to load resource: the server responded with a status of 50[234]/.test(e) : true);
  check(errs.length === 0, `no console error${errs.length ? ': ' + errs.join(' | ') : ''}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(deadline);
}
if (failures.length) { console.error(`${failures.length} check(s) failed`); process.exit(1); }
console.log('e2e: all checks passed');
