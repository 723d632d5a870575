// The invitation page through Debian's Chromium (issue #5, ID-UI): an invited user who is not signed in opens
// /invitations/accept, is sent through the sign-in page and back, types a wrong code and then the one from the mail.
// Prints one "RESULT {json}" line per check; exits 1 on a failure.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.IDENTITY_URL;
const mailDir = process.env.MAIL_DIR;
const email = process.env.INVITEE_EMAIL;
const password = process.env.INVITEE_PASSWORD;
const orgId = process.env.ORG_ID;
if (!base || !mailDir || !email || !password || !orgId) throw new Error('IDENTITY_URL, MAIL_DIR, INVITEE_EMAIL, INVITEE_PASSWORD and ORG_ID are required');
let failed = false;

function result(name, ok, detail = {}) {
  if (!ok) failed = true;
  console.log('RESULT ' + JSON.stringify({ name, ok, ...detail }));
}

async function mailCode(to, subject) {
  for (let i = 0; i < 100; i++) {
    const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir).filter(f => f.endsWith('.eml')).sort().reverse() : [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(mailDir, file), 'utf8');
      if (text.includes(`To: ${to}\r\n`) && text.includes(subject)) {
        return { code: text.split('\n').map(l => l.trim()).find(l => /^[A-Za-z0-9_-]{43}$/.test(l)), text };
      }
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
  const page = await context.newPage();
  const urls = [];
  page.on('request', request => urls.push(request.url()));
  const { code, text } = await mailCode(email, 'invited');
  result('mail-names-the-page', text.includes('/invitations/accept') && !text.includes(`accept?`));

  await page.goto(new URL('/invitations/accept', base).href);
  result('sign-in-first', new URL(page.url()).pathname === '/signin', { url: page.url() });
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  result('back-on-the-invitation-page', new URL(page.url()).pathname === '/invitations/accept' && (await page.textContent('h1')) === 'Accept an invitation', { url: page.url() });

  await page.fill('#code', 'A'.repeat(43));
  const [wrong] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), page.click('button[type=submit]')]);
  await page.waitForLoadState();
  result('wrong-code-refused', wrong.status() === 400 && (await page.textContent('.error'))?.includes('invalid') === true, { status: wrong.status() });

  await page.fill('#code', code);
  await page.click('button[type=submit]');
  result('invitation-accepted', (await page.textContent('h1')) === 'Invitation accepted' && (await page.getAttribute('#joined', 'data-id')) === orgId);

  await page.goto(new URL('/account', base).href);
  const orgs = await page.$$eval('#organizations .org', nodes => nodes.map(n => n.getAttribute('data-id')));
  result('organization-listed', orgs.includes(orgId), { orgs });

  await page.goto(new URL('/invitations/accept', base).href);
  await page.fill('#code', code);
  const [again] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST'), page.click('button[type=submit]')]);
  result('code-works-once', again.status() === 400, { status: again.status() });

  result('code-never-in-a-url', !urls.some(u => u.includes(code)));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
