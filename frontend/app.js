// The RootTrading dashboard: header, chart, tables, order form, strategies, logs. Data from the
// portfolio API, live updates from its SSE stream; writes go to the trader and the analyzer.
import { createChart, CandlestickSeries, createSeriesMarkers } from '/node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.mjs';
import { PORTFOLIO, TRADER, ANALYZER, ApiError, get, post, put, parseExact, setToken } from './api.js';

const $ = (id) => document.getElementById(id);
const state = {
  symbols: [], symbol: '', interval: '1m', quote: 'USDC', page: 1, pages: 1,
  chart: null, series: null, markers: null, lastBar: 0, priceLines: [],
  signals: [], trades: [], logs: [], services: new Set(),
};

// ---- formatting: money is shown exactly as the API wrote it ----
const money = (v) => (v === null || v === undefined ? '–' : String(v));
const signed = (v) => { const s = money(v); return s === '–' || s.startsWith('-') || s === '0' ? s : '+' + s; };
const cls = (v) => (v === null || v === undefined ? '' : String(v).startsWith('-') ? 'neg' : String(v) === '0' ? '' : 'pos');
const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '–');
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const td = (v, c = '') => `<td class="${c}">${esc(v)}</td>`;

function showEmpty(id, empty) { $(id).hidden = !empty; }

// ---- header ----
function setMode(mode) {
  const el = $('mode');
  el.textContent = mode === 'live' ? 'LIVE — real money' : mode === 'demo' ? 'DEMO — simulated' : 'MODE ?';
  el.className = `badge mode-${mode || 'unknown'}`;
  document.body.classList.toggle('live', mode === 'live');
}
function setConn(up, text) {
  const el = $('conn');
  el.textContent = text || (up ? 'live' : 'disconnected');
  el.className = `conn ${up ? 'conn-up' : 'conn-down'}`;
}
function setRisk(r) {
  const el = $('risk');
  if (!r) { el.textContent = 'trader ?'; el.className = 'badge risk-unknown'; return; }
  if (r.halted) { el.textContent = `HALTED${r.reason ? ': ' + r.reason : ''}`; el.className = 'badge risk-halted'; }
  else if (r.paused) { el.textContent = 'PAUSED'; el.className = 'badge risk-paused'; }
  else { el.textContent = 'trading'; el.className = 'badge risk-ok'; }
}

// ---- summary and stats ----
async function loadSummary() {
  const s = await get(`${PORTFOLIO}/portfolio/summary`);
  state.quote = s.quote_asset;
  setMode(s.mode);
  $('h-total').textContent = `${money(s.total_value)} ${s.quote_asset}${s.unpriced_assets ? ' *' : ''}`;
  $('h-total').title = s.unpriced_assets ? `${s.unpriced_assets} asset(s) without a price are not counted` : '';
  $('h-pnl-today').textContent = signed(s.pnl_today);
  $('h-pnl-today').className = cls(s.pnl_today);
  $('s-balance').textContent = `${money(s.cash)} ${s.quote_asset} cash`;
  $('s-realized').textContent = signed(s.realized_pnl);
  $('s-realized').className = cls(s.realized_pnl);
  $('s-unrealized').textContent = signed(s.unrealized_pnl);
  $('s-unrealized').className = cls(s.unrealized_pnl);
  if (Array.isArray(s.symbols) && state.symbols.length === 0) setSymbols(s.symbols, s.interval);
  return s;
}

async function loadStats() {
  const s = await get(`${PORTFOLIO}/stats/live`);
  const t = s.totals;
  $('s-trades').textContent = `${t.trades_total} (${t.trades_today} today)`;
  $('s-winrate').textContent = t.win_rate === null ? '– (no closed position)' : `${t.win_rate} % of ${t.closed_positions}`;
  $('s-signals').textContent = String(t.signals_today);
  $('per-strategy').innerHTML = s.strategies.map((r) =>
    `<tr>${td(r.strategy ?? 'manual')}${td(r.signals_today)}${td(r.trades_today)}${td(r.win_rate ?? '–')}${td(signed(r.realized_pnl), cls(r.realized_pnl))}</tr>`).join('');
}

// ---- chart ----
function setSymbols(symbols, interval) {
  state.symbols = symbols;
  state.interval = interval || state.interval;
  const opts = symbols.map((s) => `<option>${esc(s)}</option>`).join('');
  $('symbol').innerHTML = opts;
  $('o-symbol').innerHTML = opts;
  $('f-symbol').innerHTML = '<option value="">all symbols</option>' + opts;
  state.symbol = symbols[0] || '';
}

function initChart() {
  const el = $('chart');
  state.chart = createChart(el, {
    autoSize: true,
    layout: { background: { color: '#0f1720' }, textColor: '#c9d4e0' },
    grid: { vertLines: { color: '#1c2733' }, horzLines: { color: '#1c2733' } },
    timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4, maxBarSpacing: 24 },
    rightPriceScale: { borderColor: '#2a3a4a' },
  });
  state.series = state.chart.addSeries(CandlestickSeries, {
    upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350',
    priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
  });
  state.markers = createSeriesMarkers(state.series, []);
  const tip = document.createElement('div');
  tip.className = 'tip';
  tip.hidden = true;
  el.appendChild(tip);
  state.chart.subscribeCrosshairMove((p) => {
    if (!p || !p.time) { tip.hidden = true; return; }
    const lines = [];
    for (const s of state.signals) if (barTime(s.timestamp) === p.time) lines.push(`${s.side} signal · ${s.strategy} @ ${s.price} (${s.outcome ?? 'live'})`);
    for (const t of state.trades) if (barTime(t.time) === p.time) lines.push(`${t.side} fill · ${t.strategy ?? 'manual'} ${t.quantity} @ ${t.price}`);
    if (!lines.length) { tip.hidden = true; return; }
    tip.innerHTML = lines.map(esc).join('<br>');
    tip.hidden = false;
  });
}

const intervalMs = () => {
  const m = /^(\d+)([smhdwM])$/.exec(state.interval);
  const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, M: 2592e6 };
  return m ? Number(m[1]) * unit[m[2]] : 6e4;
};
const barTime = (ms) => Math.floor(ms / intervalMs()) * intervalMs() / 1000;
const toBar = (c) => ({ time: Math.floor(c.open_time / 1000), open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) });

async function loadChart() {
  if (!state.symbol) return;
  const sym = encodeURIComponent(state.symbol);
  const d = await get(`${PORTFOLIO}/market/candles?symbol=${sym}&interval=${state.interval}&limit=500`);
  const bars = d.candles.map(toBar);
  state.series.setData(bars);
  // few bars (a fresh stack): spread them over the chart instead of a sliver at its right edge
  if (bars.length > 0 && bars.length < 120) state.chart.timeScale().fitContent();
  state.lastBar = bars.length ? bars[bars.length - 1].time : 0;
  $('chart').dataset.bars = String(bars.length);
  showEmpty('chart-empty', bars.length === 0);
  if (bars.length) $('last-price').textContent = `${money(d.candles[d.candles.length - 1].close)} ${state.quote}`;
  await loadMarkers();
}

async function loadMarkers() {
  const sym = encodeURIComponent(state.symbol);
  const [sig, tr, pos] = await Promise.all([
    get(`${PORTFOLIO}/signals?symbol=${sym}&limit=200`).catch(() => ({ signals: [] })),
    get(`${PORTFOLIO}/portfolio/trades?symbol=${sym}&limit=200`).catch(() => ({ trades: [] })),
    get(`${PORTFOLIO}/portfolio/positions?status=open&symbol=${sym}`).catch(() => ({ positions: [] })),
  ]);
  state.signals = sig.signals;
  state.trades = tr.trades;
  drawMarkers();
  for (const l of state.priceLines) state.series.removePriceLine(l);
  state.priceLines = [];
  for (const p of pos.positions) {
    const stop = p.trailing_stop ?? p.stop_loss;
    if (stop !== null) state.priceLines.push(state.series.createPriceLine({ price: Number(stop), color: '#ef5350', lineStyle: 2, title: `stop #${p.id}` }));
    if (p.take_profit !== null) state.priceLines.push(state.series.createPriceLine({ price: Number(p.take_profit), color: '#26a69a', lineStyle: 2, title: `target #${p.id}` }));
    state.priceLines.push(state.series.createPriceLine({ price: Number(p.entry_price), color: '#8ab4f8', lineStyle: 1, title: `entry #${p.id}` }));
  }
}

function drawMarkers() {
  const m = [];
  for (const s of state.signals) {
    m.push({ time: barTime(s.timestamp), position: s.side === 'BUY' ? 'belowBar' : 'aboveBar', color: s.side === 'BUY' ? '#66bb6a' : '#ffa726',
      shape: s.side === 'BUY' ? 'arrowUp' : 'arrowDown', text: `${s.side} ${s.strategy}` });
  }
  for (const t of state.trades) {
    m.push({ time: barTime(t.time), position: t.side === 'BUY' ? 'belowBar' : 'aboveBar', color: t.side === 'BUY' ? '#2962ff' : '#e040fb',
      shape: 'circle', text: t.side === 'BUY' ? 'entry' : 'exit' });
  }
  m.sort((a, b) => a.time - b.time);
  state.markers.setMarkers(m);
}

function onCandle(c) {
  if (c.symbol !== state.symbol || c.interval !== state.interval) return;
  const bar = { time: Math.floor(c.startTime / 1000), open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) };
  if (bar.time < state.lastBar) return;
  state.series.update(bar);
  if (bar.time > state.lastBar) $('chart').dataset.bars = String(Number($('chart').dataset.bars || 0) + 1);
  state.lastBar = bar.time;
  showEmpty('chart-empty', false);
  $('last-price').textContent = `${money(c.close)} ${state.quote}`;
}

// ---- tables ----
async function loadPositions() {
  const [open, closed] = await Promise.all([
    get(`${PORTFOLIO}/portfolio/positions?status=open`),
    get(`${PORTFOLIO}/portfolio/positions?status=closed&limit=50`),
  ]);
  $('positions').innerHTML = open.positions.map((p) => `<tr data-id="${p.id}">${td(p.symbol)}${td(p.strategy ?? 'manual')}${td(money(p.entry_price))}${td(money(p.quantity))}
    ${td(money(p.current_price))}${td(signed(p.unrealized_pnl), cls(p.unrealized_pnl))}${td(p.pnl_pct === null ? '–' : signed(p.pnl_pct) + ' %', cls(p.pnl_pct))}
    ${td(money(p.trailing_stop ?? p.stop_loss))}${td(money(p.take_profit))}<td><button type="button" class="close-btn" data-id="${p.id}">Close</button></td></tr>`).join('');
  showEmpty('positions-empty', open.positions.length === 0);
  $('closed').innerHTML = closed.positions.map((p) => `<tr>${td(p.symbol)}${td(p.strategy ?? 'manual')}${td(money(p.entry_price))}${td(money(p.exit_price))}${td(money(p.initial_quantity))}
    ${td(signed(p.realized_pnl), cls(p.realized_pnl))}${td(p.pnl_pct === null ? '–' : signed(p.pnl_pct) + ' %', cls(p.pnl_pct))}${td(p.exit_reason ?? '')}${td(time(p.closed_at))}</tr>`).join('');
}

async function loadTrades() {
  const q = new URLSearchParams({ limit: '25', page: String(state.page) });
  if ($('f-symbol').value) q.set('symbol', $('f-symbol').value);
  const st = $('f-strategy').value.trim();
  if (st) q.set('strategy', st);
  let d;
  try {
    d = await get(`${PORTFOLIO}/portfolio/trades?${q}`);
    $('f-strategy').setCustomValidity('');
  } catch (e) {
    $('f-strategy').setCustomValidity(e.message);
    $('page-info').textContent = e.message;
    return;
  }
  state.pages = Math.max(1, d.pages);
  $('trades').innerHTML = d.trades.map((t) => `<tr>${td(time(t.time))}${td(t.symbol)}${td(t.side, t.side === 'BUY' ? 'buy' : 'sell')}${td(money(t.price))}${td(money(t.quantity))}
    ${td(money(t.quote_quantity))}${td(t.fee === '0' || t.fee === 0 ? '0' : `${money(t.fee)} ${t.fee_asset ?? ''}`)}${td(t.strategy ?? 'manual')}</tr>`).join('');
  showEmpty('trades-empty', d.total === 0);
  $('page-info').textContent = `page ${d.page} of ${state.pages} · ${d.total} trades`;
  $('prev').disabled = state.page <= 1;
  $('next').disabled = state.page >= state.pages;
}

function pnlRows(rows, key) {
  return rows.map((r) => `<tr>${td(r[key] ?? 'manual')}${td(r.trade_count)}${td(money(r.buy_volume))}${td(money(r.sell_volume))}${td(r.closed_positions)}
    ${td(r.win_rate ?? '–')}${td(signed(r.realized_pnl), cls(r.realized_pnl))}${td(money(r.fees))}</tr>`).join('');
}

async function loadPnl() {
  const [a, b] = await Promise.all([get(`${PORTFOLIO}/portfolio/pnl?by=symbol`), get(`${PORTFOLIO}/portfolio/pnl?by=strategy`)]);
  $('pnl-symbol').innerHTML = pnlRows(a.rows, 'symbol');
  $('pnl-strategy').innerHTML = pnlRows(b.rows, 'strategy');
  showEmpty('pnl-empty', a.rows.length === 0);
}

async function loadBalances() {
  const d = await get(`${PORTFOLIO}/portfolio/balance`);
  $('balances').innerHTML = d.balances.map((b) => `<tr>${td(b.asset)}${td(money(b.free))}${td(money(b.locked))}${td(money(b.total))}
    ${td(b.quote_value === null ? 'no price' : `${money(b.quote_value)} ${d.quote_asset}`)}</tr>`).join('');
  showEmpty('balances-empty', d.balances.length === 0);
}

// ---- trader: orders, close, pause/resume ----
function result(el, ok, text) {
  el.textContent = text;
  el.className = `result ${ok ? 'ok' : 'err'}`;
}

async function placeOrder(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = { symbol: f.get('symbol'), side: f.get('side'), type: f.get('type') };
  const amount = String(f.get('amount') || '').trim();
  if (!/^\d+(\.\d+)?$/.test(amount)) return result($('order-result'), false, 'amount: a positive decimal number, e.g. 0.001');
  body[f.get('amount_kind')] = amount;
  if (body.type === 'LIMIT') {
    const price = String(f.get('price') || '').trim();
    if (!/^\d+(\.\d+)?$/.test(price)) return result($('order-result'), false, 'price: a positive decimal number for a LIMIT order');
    body.price = price;
  }
  $('o-submit').disabled = true;
  try {
    const r = await post(`${TRADER}/trade`, body);
    const o = r && (r.order || r);
    result($('order-result'), true, `order ${o.status ?? 'sent'}${o.client_order_id ? ' (' + o.client_order_id + ')' : ''}${o.filled_quantity ? ', filled ' + o.filled_quantity + (o.avg_price ? ' @ ' + o.avg_price : '') : ''}`);
    refreshBooks();
  } catch (e) {
    result($('order-result'), false, e instanceof ApiError ? `refused: ${e.message}` : String(e));
  } finally {
    $('o-submit').disabled = false;
  }
}

async function closePosition(id) {
  if (!window.confirm(`Close position #${id} at market?`)) return;
  try {
    await post(`${TRADER}/positions/${encodeURIComponent(id)}/close`, {});
    refreshBooks();
  } catch (e) {
    window.alert(`Not closed: ${e.message}`);
  }
}

async function control(action) {
  try {
    const r = await post(`${TRADER}/control/${action}`, {});
    setRisk(r && typeof r === 'object' && ('paused' in r || 'halted' in r) ? r : { paused: action === 'pause' });
  } catch (e) {
    window.alert(`${action} failed: ${e.message}`);
  }
}

async function loadRisk() {
  try {
    const r = await get(`${TRADER}/risk`);
    setRisk(r);
  } catch {
    setRisk(null);
  }
}

// ---- analyzer: strategies ----
// GET /strategies (docs/ANALYZER.md): {"strategies":[{name, enabled, rule, params:[{name, type
// (int|double|bool|enum), value, default, min, max, choices, allowed, help}]}]}. A parameter is
// sent back as the text typed (the analyzer parses and validates it, and names it in a 400);
// only the parameters that changed are sent.
function paramInput(s, p) {
  const name = `p:${esc(p.name)}`;
  const title = esc([p.help, p.allowed ? `allowed: ${p.allowed}` : '', p.default !== undefined ? `default: ${p.default}` : ''].filter(Boolean).join(' · '));
  const orig = esc(String(p.value));
  if (p.type === 'bool') {
    return `<label title="${title}"><input type="checkbox" name="${name}" data-orig="${orig}" ${p.value === true ? 'checked' : ''}> ${esc(p.name)}</label>`;
  }
  if (p.type === 'enum' && Array.isArray(p.choices)) {
    return `<label title="${title}">${esc(p.name)} <select name="${name}" data-orig="${orig}">${p.choices.map((c) =>
      `<option ${String(c) === String(p.value) ? 'selected' : ''}>${esc(c)}</option>`).join('')}</select></label>`;
  }
  const mode = p.type === 'int' ? 'numeric' : 'decimal';
  return `<label title="${title}">${esc(p.name)} <input name="${name}" data-orig="${orig}" data-type="${esc(p.type)}" value="${orig}" inputmode="${mode}"></label>`;
}

async function loadStrategies() {
  let d;
  try { d = await get(`${ANALYZER}/strategies`); } catch { d = null; }
  const list = Array.isArray(d) ? d : d && Array.isArray(d.strategies) ? d.strategies : [];
  showEmpty('strategies-empty', list.length === 0);
  $('strategies').innerHTML = list.map((s) => {
    const params = Array.isArray(s.params) ? s.params
      : Object.entries(s.params || {}).map(([name, value]) => ({ name, value, type: typeof value === 'boolean' ? 'bool' : 'double' }));
    return `<form class="strategy" data-name="${esc(s.name)}"><div class="strategy-head"><b title="${esc(s.rule || '')}">${esc(s.name)}</b>
      <span class="muted">${esc(s.signals ?? 0)} signals</span>
      <label><input type="checkbox" name="enabled" ${s.enabled ? 'checked' : ''}> enabled</label></div>
      <div class="params">${params.map((p) => paramInput(s, p)).join('')}</div>
      <div class="strategy-foot"><button type="submit">Save</button><span class="result"></span></div></form>`;
  }).join('');
}

async function saveStrategy(form) {
  const out = form.querySelector('.result');
  const body = { enabled: form.elements.enabled.checked, params: {} };
  for (const el of form.elements) {
    if (!el.name || !el.name.startsWith('p:')) continue;
    const name = el.name.slice(2);
    if (el.type === 'checkbox') {
      if (String(el.checked) !== el.dataset.orig) body.params[name] = el.checked;
      continue;
    }
    const v = el.value.trim();
    if (v === el.dataset.orig) continue;
    if (el.dataset.type === 'int' && !/^-?\d+$/.test(v)) return result(out, false, `${name}: must be an integer`);
    if (el.dataset.type === 'double' && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return result(out, false, `${name}: must be a number`);
    body.params[name] = v;
  }
  try {
    const name = form.dataset.name;
    await put(`${ANALYZER}/strategies/${encodeURIComponent(name)}`, body);
    await loadStrategies().catch(() => {}); // the values as the analyzer now has them
    const again = [...document.querySelectorAll('#strategies form.strategy')].find((f) => f.dataset.name === name);
    result(again ? again.querySelector('.result') : out, true, 'saved: applies from the next candle');
  } catch (e) {
    result(out, false, e.message);
  }
}

// ---- logs ----
const LEVELS = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };
function addLog(l) {
  state.logs.push(l);
  if (state.logs.length > 500) state.logs.shift();
  if (!state.services.has(l.service)) {
    state.services.add(l.service);
    $('log-service').insertAdjacentHTML('beforeend', `<option>${esc(l.service)}</option>`);
  }
  if (logVisible(l)) appendLog(l);
}
const logVisible = (l) => (!$('log-service').value || l.service === $('log-service').value) && LEVELS[l.level] >= LEVELS[$('log-level').value];
function appendLog(l) {
  const box = $('logs');
  box.querySelector('.empty')?.remove();
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  const div = document.createElement('div');
  div.className = `log lvl-${l.level}`;
  div.textContent = `${time(l.ts)} ${l.level.padEnd(5)} ${l.service}${l.module ? '/' + l.module : ''}: ${l.msg}`;
  box.appendChild(div);
  while (box.childElementCount > 300) box.firstChild.remove();
  if (atEnd) box.scrollTop = box.scrollHeight;
}
function redrawLogs() {
  $('logs').textContent = '';
  for (const l of state.logs) if (logVisible(l)) appendLog(l);
}

// ---- live stream ----
let refreshTimer = 0;
function refreshBooks() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    safe(loadPositions); safe(loadTrades); safe(loadPnl); safe(loadSummary); safe(loadStats); safe(loadBalances); safe(loadMarkers);
  }, 300);
}

function connect() {
  const es = new EventSource(`${PORTFOLIO}/events`);
  const on = (name, fn) => es.addEventListener(name, (e) => { try { fn(parseExact(e.data)); } catch { /* malformed event: ignored */ } });
  es.onopen = () => setConn(true);
  es.onerror = () => setConn(false, es.readyState === EventSource.CONNECTING ? 'reconnecting…' : 'disconnected');
  on('hello', (h) => { setMode(h.mode); setConn(true); });
  on('candle', onCandle);
  on('ticker', (t) => { if (t.symbol === state.symbol) $('last-price').textContent = `${money(t.price)} ${state.quote}`; });
  on('signal', (s) => { if (s.symbol === state.symbol) { state.signals.unshift(s); drawMarkers(); } safe(loadStats); });
  for (const t of ['trade', 'order', 'position']) on(t, refreshBooks);
  on('risk', (r) => setRisk(r.data || r));
  on('balances', () => safe(loadBalances));
  on('total_balance', () => safe(loadSummary));
  on('log', addLog);
}

function safe(fn) {
  return Promise.resolve().then(fn).catch((e) => {
    addLog({ ts: Date.now(), service: 'dashboard', level: 'WARN', module: '', msg: `${fn.name}: ${e.message}` });
  });
}

// ---- wiring ----
async function main() {
  initChart();
  try { await loadSummary(); } catch (e) { setConn(false, 'portfolio API unreachable'); }
  if (state.symbols.length === 0) setSymbols(['BTCUSDC'], '1m');
  connect();
  await Promise.all([safe(loadChart), safe(loadStats), safe(loadPositions), safe(loadTrades), safe(loadPnl), safe(loadBalances), safe(loadStrategies), safe(loadRisk)]);
  document.body.dataset.ready = '1';

  $('symbol').addEventListener('change', (e) => { state.symbol = e.target.value; safe(loadChart); });
  $('order-form').addEventListener('submit', placeOrder);
  $('o-type').addEventListener('change', (e) => { $('o-price-label').hidden = e.target.value !== 'LIMIT'; });
  $('positions').addEventListener('click', (e) => { const b = e.target.closest('.close-btn'); if (b) closePosition(b.dataset.id); });
  $('f-symbol').addEventListener('change', () => { state.page = 1; safe(loadTrades); });
  $('f-strategy').addEventListener('change', () => { state.page = 1; safe(loadTrades); });
  $('prev').addEventListener('click', () => { if (state.page > 1) { state.page--; safe(loadTrades); } });
  $('next').addEventListener('click', () => { if (state.page < state.pages) { state.page++; safe(loadTrades); } });
  $('btn-pause').addEventListener('click', () => control('pause'));
  $('btn-resume').addEventListener('click', () => control('resume'));
  $('strategies').addEventListener('submit', (e) => { e.preventDefault(); saveStrategy(e.target); });
  $('log-service').addEventListener('change', redrawLogs);
  $('log-level').addEventListener('change', redrawLogs);
  setInterval(() => { safe(loadSummary); safe(loadStats); }, 15000);
  setInterval(() => safe(loadRisk), 30000);
}

window.rtSetToken = setToken; // for tests and for changing the token from the console
main();
