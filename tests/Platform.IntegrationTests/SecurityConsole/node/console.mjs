// The security console (issue 19) in Debian's Chromium driven by Playwright, as its users would use it: a new user
// signs up, verifies, creates an organization and enrols MFA on identity's pages, then creates an API key in the
// console (step-up included), uses it against the product's dataset route over HTTPS, revokes it and sees it refused;
// an Admin invites a member who accepts; a Viewer sees no key management; the network policy refuses to lock the
// user out; the saved session cookie is refused after sign-out. axe-core runs on every console page (no serious or
// critical violation) and no page may trip its own Content Security Policy. Prints one "RESULT {json}" line per check.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { authenticator } from 'otplib';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.GATEWAY_URL;
const mailDir = process.env.MAIL_DIR;
const shots = process.env.SCREENSHOTS || '';
if (!base || !mailDir) throw new Error('GATEWAY_URL and MAIL_DIR are required');
const password = 'a long browser passphrase 2026';
let failed = false;
const cspViolations = [];

function result(name, ok, detail = {}) {
  if (!ok) failed = true;
  console.log('RESULT ' + JSON.stringify({ name, ok, ...detail }));
}

const url = p => new URL(p, base).href;
const pathOf = page => new URL(page.url()).pathname;

async function mailCode(to, subject) {
  for (let i = 0; i < 150; i++) {
    const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir).filter(f => f.endsWith('.eml')).sort().reverse() : [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(mailDir, file), 'utf8');
      if (text.includes(`To: ${to}\r\n`) && text.includes(subject)) {
        return text.split('\n').map(l => l.trim()).find(l => /^[A-Za-z0-9_-]{43}$/.test(l));
      }
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

// A TOTP code of a time step after `afterStep` (the service refuses a step it has already seen).
async function freshCode(secret, afterStep) {
  while (Math.floor(Date.now() / 30000) <= afterStep) await new Promise(r => setTimeout(r, 250));
  return { code: authenticator.generate(secret), step: Math.floor(Date.now() / 30000) };
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const report = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = report.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  result('axe-' + name, serious.length === 0, { url: pathOf(page), violations: serious.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })) });
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function newPage(context) {
  const page = await context.newPage();
  page.on('console', message => {
    if (/Content Security Policy/i.test(message.text()) && new URL(page.url()).pathname.startsWith('/console')) cspViolations.push(message.text());
  });
  return page;
}

async function signUp(context, email) {
  const page = await newPage(context);
  await page.goto(url('/signup'));
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.goto(url('/verify-email'));
  await page.fill('#token', await mailCode(email, 'Verify your email'));
  await page.click('button[type=submit]');
  await page.goto(url('/signin'));
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  return page;
}

async function acceptInvitation(page, email) {
  await page.goto(url('/invitations/accept'));
  await page.fill('#code', await mailCode(email, 'invited'));
  await page.click('button[type=submit]');
  return (await page.textContent('h1')) === 'Invitation accepted';
}

async function apiStatus(key, orgId) {
  const response = await fetch(url(`/v1/organizations/${orgId}/datasets`), { headers: { 'X-Api-Key': key } });
  return response.status;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const stamp = Date.now();
  const ownerEmail = `owner-${stamp}@example.com`;
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await signUp(context, ownerEmail);
  result('signed-in', pathOf(page) === '/account', { url: page.url() });

  await page.fill('#name', 'Console Org');
  await page.click('form[action="/account/organizations"] button');
  const orgId = await page.getAttribute('#organizations .org', 'data-id');
  result('organization-created', /^org_/.test(orgId ?? ''), { orgId });

  await page.click('#enrol');
  const secret = await page.textContent('#manual-key');
  let step = Math.floor(Date.now() / 30000);
  await page.fill('#code', authenticator.generate(secret));
  await page.click('button[type=submit]');
  result('mfa-enrolled', (await page.$$('.recovery-code')).length === 10);

  // The gateway's root leads to the console, which signs in through identity (code + PKCE) without asking anything.
  await page.goto(url('/'));
  result('root-leads-to-the-console-overview', pathOf(page) === `/console/o/${orgId}` && (await page.textContent('#org')) === orgId, { url: page.url() });
  result('overview-facts', (await page.textContent('#members-count')) === '1' && (await page.textContent('#your-role')) === 'Owner');
  await axe(page, 'overview');
  await shot(page, 'overview');

  // Keys need a fresh second factor: identity's step-up page, then back to the keys page.
  await page.click('#nav-keys');
  result('keys-ask-for-step-up', pathOf(page) === '/mfa', { url: page.url() });
  const stepUp = await freshCode(secret, step);
  step = stepUp.step;
  await page.fill('#code', stepUp.code);
  await page.click('button[type=submit]');
  result('back-on-the-keys-page', pathOf(page) === `/console/o/${orgId}/keys`, { url: page.url() });
  await axe(page, 'keys');

  await page.fill('#name', 'browser pipeline');
  await page.click('#create-key button');
  result('invalid-key-form-message-next-to-field', await page.isVisible('#scopes-error') && (await page.inputValue('#name')) === 'browser pipeline');
  await axe(page, 'keys-invalid');

  await page.selectOption('#scope-dataset', 'full');
  const [created] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), page.click('#create-key button')]);
  await page.waitForLoadState();
  const key = await page.inputValue('#new-key');
  const keyId = await page.textContent('#new-key-id');
  result('key-shown-once-not-cached', /^sk_live_/.test(key) && created.headers()['cache-control'] === 'no-store' && !page.url().includes(key), { status: created.status() });
  result('copy-button-and-warning', await page.isVisible('button[data-copy="new-key"]') && await page.isVisible('#key-warning'));
  await axe(page, 'new-key');
  await shot(page, 'new-key');

  result('key-works-through-the-gateway', (await apiStatus(key, orgId)) === 200);
  await page.click('#back-to-keys');
  result('key-listed-by-prefix-only', (await page.getAttribute(`tr[data-id="${keyId}"]`, 'data-status')) === 'active' && !(await page.content()).includes(key));
  await shot(page, 'keys');

  // On a phone: the page fits the screen's width (wide tables scroll inside their own box), and still passes axe.
  await page.setViewportSize({ width: 390, height: 844 });
  result('keys-page-fits-a-phone', await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    { width: await page.evaluate(() => document.documentElement.scrollWidth) });
  await axe(page, 'keys-phone');
  await shot(page, 'keys-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.click(`#revoke-${keyId} button`);
  result('key-revoked-in-the-console', (await page.getAttribute(`tr[data-id="${keyId}"]`, 'data-status')) === 'revoked');
  result('revoked-key-refused', (await apiStatus(key, orgId)) === 401);

  // Network policy: the page shows the caller's address and will not save a list that leaves it out unless told.
  await page.click('#nav-network');
  const address = await page.textContent('#your-address');
  result('network-page-shows-address', /[0-9a-f:.]+/.test(address ?? ''), { address });
  await axe(page, 'network');
  await page.fill('#allowedCidrs', '203.0.113.0/24');
  const [lockout] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), page.click('#network-policy button')]);
  await page.waitForLoadState();
  result('lockout-refused-input-kept', lockout.status() === 400 && await page.isVisible('#allowedCidrs-error') && (await page.inputValue('#allowedCidrs')) === '203.0.113.0/24');
  await axe(page, 'network-invalid');
  await shot(page, 'network-policy');

  // The audit service stores events from RabbitMQ a moment after they happen.
  await page.click('#nav-audit');
  for (let i = 0; i < 30 && (await page.$$('#events tbody tr')).length === 0; i++) {
    await new Promise(r => setTimeout(r, 1000));
    await page.reload();
  }
  result('audit-page', pathOf(page) === `/console/o/${orgId}/audit` && (await page.$$('#events tbody tr')).length > 0);
  await axe(page, 'audit');
  await page.fill('#filter-from', 'yesterday');
  await page.click('#audit-filters button');
  result('audit-bad-filter-explained', await page.isVisible('#problem') && (await page.inputValue('#filter-from')) === 'yesterday');
  await page.fill('#filter-from', '');
  await page.click('#audit-filters button');
  await shot(page, 'audit-log');

  // Customer secrets: write-only (a value goes in, never comes back), with versions; the value typed is never echoed.
  await page.click('#nav-secrets');
  if (pathOf(page) === '/mfa') {
    const again = await freshCode(secret, step);
    step = again.step;
    await page.fill('#code', again.code);
    await page.click('button[type=submit]');
  }
  result('secrets-page', pathOf(page) === `/console/o/${orgId}/secrets`, { url: page.url() });
  await axe(page, 'secrets');
  await page.fill('#name', 'Not Valid');
  await page.fill('#value', 'browser-secret-value-1');
  await page.click('#store-secret button');
  result('secret-invalid-name-kept-value-not', await page.isVisible('#name-error') && (await page.inputValue('#name')) === 'Not Valid'
    && (await page.inputValue('#value')) === '' && !(await page.content()).includes('browser-secret-value-1'));
  await page.fill('#name', 'warehouse-password');
  await page.fill('#value', 'browser-secret-value-1');
  await page.click('#store-secret button');
  result('secret-stored-not-shown', (await page.getAttribute('tr[data-name="warehouse-password"]', 'data-version')) === '1' && !(await page.content()).includes('browser-secret-value-1'));
  await axe(page, 'secrets-list');
  await shot(page, 'secrets');

  // OAuth clients: a machine client, its secret shown once with a copy button.
  await page.click('#nav-clients');
  await axe(page, 'clients');
  await page.fill('#name', 'nightly export');
  await page.check('#scope-platform-audit');
  const [client] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), page.click('#create-client button')]);
  await page.waitForLoadState();
  result('client-secret-shown-once', client.status() === 201 && client.headers()['cache-control'] === 'no-store'
    && (await page.inputValue('#new-client-secret')).length >= 32 && await page.isVisible('button[data-copy="new-client-secret"]'));
  await axe(page, 'new-client');
  await shot(page, 'oauth-client');

  // Read-only governance pages and the user's own security page.
  for (const [nav, name] of [['#nav-retention', 'retention'], ['#nav-residency', 'residency'], ['#nav-sso', 'sso'], ['#nav-security', 'security']]) {
    const [answer] = await Promise.all([page.waitForResponse(r => r.url().endsWith('/' + name)), page.click(nav)]);
    await page.waitForLoadState();
    result(name + '-page', answer.status() === 200 && pathOf(page) === `/console/o/${orgId}/${name}`, { status: answer.status() });
    await axe(page, name);
    await shot(page, name);
  }
  result('security-lists-this-session', (await page.$$('#session-list tr[data-current="true"]')).length === 1);

  // New recovery codes from the security page: shown once in the answer (no-store), the count of unused ones beside.
  const newCodes = async () => {
    const [answer] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), page.click('#new-recovery-codes-form button')]);
    await page.waitForLoadState();
    return answer;
  };
  let codesAnswer = await newCodes();
  if (await page.isVisible('#stepup-link')) {
    await page.click('#stepup-link');
    const again = await freshCode(secret, step);
    step = again.step;
    await page.fill('#code', again.code);
    await page.click('button[type=submit]');
    codesAnswer = await newCodes();
  }
  result('recovery-codes-shown-once', codesAnswer.status() === 200 && codesAnswer.headers()['cache-control'] === 'no-store'
    && (await page.$$('#new-recovery-codes li code')).length === 10 && (await page.getAttribute('#recovery-codes-left', 'data-left')) === '10', { status: codesAnswer.status() });
  await axe(page, 'new-recovery-codes');
  await shot(page, 'recovery-codes');

  // Members: the Owner invites an Admin, who accepts and invites a Viewer, who sees no key management.
  const adminEmail = `admin-${stamp}@example.com`;
  const viewerEmail = `viewer-${stamp}@example.com`;
  await page.click('#nav-members');
  await axe(page, 'members');
  await page.fill('#email', 'not an address');
  await page.click('#invite button');
  result('invite-invalid-email-kept', await page.isVisible('#email-error') && (await page.inputValue('#email')) === 'not an address');
  await page.fill('#email', adminEmail);
  await page.selectOption('#invite-role', 'Admin');
  await page.click('#invite button');
  result('owner-invited-admin', await page.isVisible('#notice'));
  // A second invitation, withdrawn from the pending list (axe on the list first).
  const withdrawnEmail = `withdrawn-${stamp}@example.com`;
  await page.fill('#email', withdrawnEmail);
  await page.selectOption('#invite-role', 'Developer');
  await page.click('#invite button');
  result('pending-invitations-listed', await page.isVisible(`#invitations tr[data-email="${withdrawnEmail}"]`) && await page.isVisible(`#invitations tr[data-email="${adminEmail}"]`));
  await axe(page, 'members-pending');
  await shot(page, 'members');
  await page.click(`#invitations tr[data-email="${withdrawnEmail}"] button`);
  await page.waitForLoadState();
  result('owner-withdrew-invitation', (await page.textContent('#notice')).includes('withdrawn') && (await page.$(`#invitations tr[data-email="${withdrawnEmail}"]`)) === null);

  const adminContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const adminPage = await signUp(adminContext, adminEmail);
  result('admin-accepted', await acceptInvitation(adminPage, adminEmail));
  await adminPage.goto(url('/console/'));
  result('admin-in-the-console', pathOf(adminPage) === `/console/o/${orgId}` && (await adminPage.textContent('#role')) === 'Admin', { url: adminPage.url() });
  await adminPage.click('#nav-members');
  await adminPage.fill('#email', viewerEmail);
  await adminPage.selectOption('#invite-role', 'Viewer');
  await adminPage.click('#invite button');
  result('admin-invited-viewer', await adminPage.isVisible('#notice'));

  const viewerContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const viewerPage = await signUp(viewerContext, viewerEmail);
  result('viewer-accepted', await acceptInvitation(viewerPage, viewerEmail));
  await viewerPage.goto(url('/console/'));
  result('viewer-sees-no-key-management', pathOf(viewerPage) === `/console/o/${orgId}` && (await viewerPage.$('#nav-keys')) === null
    && (await viewerPage.$('#nav-network')) === null && (await viewerPage.$('#nav-audit')) === null, { url: viewerPage.url() });
  await axe(viewerPage, 'viewer-overview');
  const viewerKeys = await viewerPage.goto(url(`/console/o/${orgId}/keys`));
  result('viewer-refused-on-keys-url', viewerKeys.status() === 403 && (await viewerPage.$('#create-key')) === null && await viewerPage.isVisible('#request-id'), { status: viewerKeys.status() });
  await axe(viewerPage, 'viewer-keys-refused');
  result('viewer-sees-no-secrets-or-clients', (await viewerPage.$('#nav-secrets')) === null && (await viewerPage.$('#nav-clients')) === null);
  await viewerPage.click('#nav-security');
  result('viewer-security-page', pathOf(viewerPage) === `/console/o/${orgId}/security` && await viewerPage.isVisible('#mfa-status'));
  await axe(viewerPage, 'viewer-security');
  await viewerPage.click('#nav-members');
  result('viewer-sees-members-without-actions', (await viewerPage.$('#invite')) === null && (await viewerPage.$$('#members tbody tr')).length === 3);

  // Sign-out ends the session on the server: the cookie saved before is refused afterwards.
  const saved = (await context.cookies()).filter(c => c.name === '__Host-console');
  result('session-cookie-attributes', saved.length === 1 && saved[0].secure && saved[0].httpOnly && saved[0].sameSite === 'Lax' && saved[0].path === '/');
  await page.click('#signout button');
  result('signed-out', pathOf(page) === '/console/signed-out' && await page.isVisible('#signed-out'), { url: page.url() });
  await axe(page, 'signed-out');
  // The identity session ended too (RP-initiated logout): the console asks for a sign-in instead of signing in silently.
  await page.goto(url('/console/'));
  result('sign-in-asked-after-signout', pathOf(page) === '/signin', { url: page.url() });
  const thief = await browser.newContext({ ignoreHTTPSErrors: true });
  await thief.addCookies(saved);
  const stolen = await thief.newPage();
  await stolen.goto(url(`/console/o/${orgId}`));
  result('saved-cookie-refused-after-signout', pathOf(stolen) === '/signin' && !(await stolen.content()).includes(orgId + '</code>'), { url: stolen.url() });

  result('no-csp-violations', cspViolations.length === 0, { cspViolations });
} catch (error) {
  result('script', false, { error: String(error?.stack ?? error) });
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
