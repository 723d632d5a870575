// The Aspire dashboard through Debian's Chromium (issue 13, item 4): sign in with the printed login URL, every resource
// running and healthy, the gateway's console output, the trace of one request (gateway -> keys) found by its
// X-Request-Id, and no secret parameter's value on any page. Prints one "RESULT {json}" line per check; exits 1 on a failure.
import { chromium } from 'playwright-core';

const login = process.env.DASHBOARD_LOGIN_URL;
const requestId = process.env.REQUEST_ID;
const resources = (process.env.RESOURCES ?? '').split(',').filter(Boolean);
const secrets = JSON.parse(process.env.SECRETS ?? '[]');
if (!login || !requestId || resources.length === 0 || secrets.length === 0) throw new Error('DASHBOARD_LOGIN_URL, REQUEST_ID, RESOURCES and SECRETS are required');
const base = new URL(login).origin;
let failed = false;
const seen = [];

function result(name, ok, detail = {}) {
  if (!ok) failed = true;
  console.log('RESULT ' + JSON.stringify({ name, ok, ...detail }));
}

async function until(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last.ok) return last;
    await new Promise(r => setTimeout(r, 1000));
  }
  return { ...last, ok: false, waited: `${what}: ${seconds} s` };
}

async function keep(page) {
  seen.push({ url: page.url(), html: await page.content(), text: await page.locator('body').innerText() });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 1200 } })).newPage();

  await page.goto(login);
  await page.waitForLoadState('networkidle');
  const signedIn = !new URL(page.url()).pathname.startsWith('/login');
  result('signed-in-with-the-printed-url', signedIn, { url: page.url().replace(/t=[^&]+/, 't=…') });

  // The resources page as its text: each resource's name on a line of its own, its state beside it.
  const states = await until('every resource running and healthy', 90, async () => {
    const lines = (await page.locator('body').innerText()).split('\n').map(l => l.trim()).filter(Boolean);
    const missing = resources.filter(name => !lines.some(l => l === name || l.startsWith(name + '-')));
    const bad = lines.filter(l => /Unhealthy|Starting|Waiting|Exited|Failed to start|Finished|Not started|Stopping/.test(l));
    const running = lines.filter(l => /^Running\b/.test(l)).length;
    return { ok: missing.length === 0 && bad.length === 0 && running >= resources.length, missing, bad, running, text: lines.slice(0, 200).join(' | ') };
  });
  result('every-resource-running-and-healthy', states.ok, { missing: states.missing, bad: states.bad, running: states.running, text: states.ok ? undefined : states.text });
  const gatewayInstance = 'gateway';
  const logLinks = [...(await page.content()).matchAll(/consolelogs\/resource\/(gateway[^"'&?\/]*)/g)].map(m => m[1]);
  await keep(page);

  // A parameter's details: the value stays masked.
  await page.goto(`${base}/?resource=keys-admin-token`);
  await page.waitForLoadState('networkidle');
  await keep(page);

  let gatewayLog;
  for (const name of [...new Set(['gateway', gatewayInstance, ...logLinks])]) {
    await page.goto(`${base}/consolelogs/resource/${encodeURIComponent(name)}`);
    gatewayLog = await until('the gateway console log', 20, async () => {
      const text = await page.locator('body').innerText();
      return { ok: /Now listening on|Application started/.test(text), tail: text.slice(-1500), name };
    });
    if (gatewayLog.ok) break;
  }
  result('gateway-console-log-visible', gatewayLog.ok, gatewayLog.ok ? {} : { tail: gatewayLog.tail });
  await keep(page);

  const filter = `http.request.header.x-request-id:equals:${encodeURIComponent(requestId)}`;
  const found = await until('the request in the traces', 60, async () => {
    await page.goto(`${base}/traces?filters=${encodeURIComponent(filter)}`);
    await page.waitForLoadState('networkidle');
    const text = await page.locator('body').innerText();
    // The one trace's row names the resources its spans came from, with their span counts: "gateway (2)", "keys (1)".
    // The count can show before the row does, and a busy machine exports keys' span after the gateway's: wait for both.
    const one = /Showing 1 trace\b/.test(text);
    const through = one && /gateway \(\d+\)/.test(text) && /keys \(\d+\)/.test(text);
    return { ok: through, one, through, text: text.slice(0, 3000) };
  });
  result('trace-found-by-request-id', found.one, found.one ? {} : { text: found.text });
  result('trace-goes-through-gateway-to-keys', found.through, { text: found.text?.slice(-400) });
  await keep(page);

  const leaks = seen.filter(p => secrets.some(s => p.html.includes(s) || p.text.includes(s))).map(p => p.url.replace(/t=[^&]+/, 't=…'));
  result('no-secret-value-on-any-page', leaks.length === 0 && seen.length >= 4, { pages: seen.length, leaks });
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
