// Independent clients of the identity service (issue #5, item 7): Debian's Chromium driven by Playwright signs up,
// verifies the email, signs in, enrols TOTP (codes from otplib) and completes a step-up through the server-rendered
// pages; openid-client then runs discovery, authorization code + PKCE (S256), refresh rotation with reuse detection,
// client credentials, introspection and revocation against the real service over HTTPS.
// Prints one "RESULT {json}" line per check and "CLAIMS {json}" with the access token's payload; exits 1 on a failure.
import fs from 'node:fs';
import path from 'node:path';
import * as client from 'openid-client';
import { authenticator } from 'otplib';
import { chromium } from 'playwright-core';

const base = process.env.IDENTITY_URL;
const mailDir = process.env.MAIL_DIR;
if (!base || !mailDir) throw new Error('IDENTITY_URL and MAIL_DIR are required');
const redirectUri = 'http://127.0.0.1:53682/callback';
let failed = false;

function result(name, ok, detail = {}) {
  if (!ok) failed = true;
  console.log('RESULT ' + JSON.stringify({ name, ok, ...detail }));
}

function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

async function mailCode(to, subject) {
  for (let i = 0; i < 100; i++) {
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

// A TOTP code from a time step after `afterStep` (codes are single-use: the service refuses a step it has seen).
async function freshCode(secret, afterStep) {
  while (Math.floor(Date.now() / 30000) <= afterStep) await new Promise(r => setTimeout(r, 250));
  return { code: authenticator.generate(secret), step: Math.floor(Date.now() / 30000) };
}

async function grantFails(fn) {
  try { await fn(); return null; } catch (e) { return e.error ?? e.code ?? e.message; }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  // The certificate is a test's self-signed one; Node trusts it through NODE_EXTRA_CA_CERTS, the browser is told to.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
  const page = await context.newPage();
  const email = `browser-${Date.now()}@example.com`;
  const password = 'a long browser passphrase 2026';

  await page.goto(new URL('/signup', base).href);
  await page.fill('#email', email);
  await page.fill('#password', 'password1234');
  await page.click('button[type=submit]');
  result('signup-weak-password-refused', (await page.textContent('.error'))?.includes('too common') === true);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  result('signup-page', (await page.textContent('h1')) === 'Check your email');

  await page.goto(new URL('/verify-email', base).href);
  await page.fill('#token', await mailCode(email, 'Verify your email'));
  await page.click('button[type=submit]');
  result('verify-email-page', (await page.textContent('h1')) === 'Email verified');

  await page.goto(new URL('/signin', base).href);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  result('signin-page', page.url().endsWith('/account') && (await page.textContent('#amr')) === 'pwd', { url: page.url() });

  await page.fill('#name', 'Browser Org');
  await page.click('form[action="/account/organizations"] button');
  const orgId = await page.getAttribute('#organizations .org', 'data-id');
  result('organization-created', /^org_/.test(orgId ?? ''), { orgId });

  await page.click('#enrol');
  result('enrol-page-has-qr-code', (await page.getAttribute('img', 'src'))?.startsWith('data:image/png;base64,') === true);
  const secret = await page.textContent('#manual-key');
  const enrolStep = Math.floor(Date.now() / 30000);
  await page.fill('#code', authenticator.generate(secret));
  await page.click('button[type=submit]');
  const recoveryCodes = await page.$$eval('.recovery-code', nodes => nodes.map(n => n.textContent));
  result('mfa-enrolled-with-ten-recovery-codes', recoveryCodes.length === 10, { count: recoveryCodes.length });

  // Creating a client is administrative: the password-only session is sent through the MFA page first.
  const adminPage = new URL(`/admin/clients/new?org=${orgId}`, base).href;
  await page.goto(adminPage);
  result('step-up-required', new URL(page.url()).pathname === '/mfa', { url: page.url() });
  const { code } = await freshCode(secret, enrolStep);
  await page.fill('#code', code);
  await page.click('button[type=submit]');
  result('step-up-completed', page.url() === adminPage && (await page.textContent('h1')) === 'New OAuth client', { url: page.url() });

  await page.fill('#name', 'Browser web app');
  await page.selectOption('#type', 'web');
  await page.fill('#redirectUri', redirectUri);
  await page.fill('#scopes', 'openid email offline_access platform.keys');
  await page.click('button[type=submit]');
  const webClientId = await page.textContent('#client-id');
  const webSecret = await page.textContent('#client-secret');
  await page.goto(adminPage);
  await page.fill('#name', 'Browser machine');
  await page.selectOption('#type', 'machine');
  await page.fill('#scopes', 'platform.keys');
  await page.click('button[type=submit]');
  const machineId = await page.textContent('#client-id');
  const machineSecret = await page.textContent('#client-secret');
  result('clients-created', /^cli_/.test(webClientId ?? '') && /^cli_/.test(machineId ?? ''));

  // openid-client: discovery, then code + PKCE with the browser as the user agent.
  const config = await client.discovery(new URL(base), webClientId, { id_token_signed_response_alg: 'ES256' }, client.ClientSecretPost(webSecret));
  result('discovery', config.serverMetadata().issuer === base && config.serverMetadata().code_challenge_methods_supported?.join() === 'S256');
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email offline_access platform.keys',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  let callback = null;
  await page.route('http://127.0.0.1:53682/**', route => { callback = route.request().url(); return route.fulfill({ status: 200, body: 'done' }); });
  await page.goto(authorizationUrl.href);
  result('consent-page', (await page.textContent('h1')) === 'Allow access?');
  // The consent page names the organization that owns the client and the one it will act in (here the same).
  result('consent-names-owner', (await page.textContent('#owner-id')) === orgId && (await page.$('#cross-organization')) === null);
  await page.click('#allow');
  for (let i = 0; i < 50 && !callback; i++) await new Promise(r => setTimeout(r, 100));
  result('redirected-with-code', callback !== null && new URL(callback).searchParams.has('code'));

  const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
  const claims = payload(tokens.access_token);
  console.log('CLAIMS ' + JSON.stringify(claims));
  const idClaims = tokens.claims();
  result('code-pkce-tokens', !!tokens.refresh_token && idClaims.sub === claims.sub && claims.org_id === orgId, { idTokenSub: idClaims.sub });
  result('token-scopes-as-consented', claims.scope === 'openid email offline_access platform.keys' && [].concat(claims.aud).includes('platform-api'), { scope: claims.scope });

  // Revocation (RFC 7009): the user's access token stops introspecting as active; the refresh token is not affected.
  result('introspection-active', (await client.tokenIntrospection(config, tokens.access_token)).active === true);
  await client.tokenRevocation(config, tokens.access_token);
  result('revoked-token-inactive', (await client.tokenIntrospection(config, tokens.access_token)).active === false);

  // Refresh rotation: each refresh token works once; presenting a spent one revokes the whole family.
  const rotated = await client.refreshTokenGrant(config, tokens.refresh_token);
  result('refresh-rotated', !!rotated.refresh_token && rotated.refresh_token !== tokens.refresh_token);
  const reuse = await grantFails(() => client.refreshTokenGrant(config, tokens.refresh_token));
  result('refresh-reuse-refused', reuse === 'invalid_grant', { error: reuse });
  const family = await grantFails(() => client.refreshTokenGrant(config, rotated.refresh_token));
  result('family-revoked-after-reuse', family === 'invalid_grant', { error: family });
  const familyAccess = await client.tokenIntrospection(config, rotated.access_token);
  result('family-access-token-inactive', familyAccess.active === false);

  // Client credentials: a short-lived JWT, valid at introspection, not stored: revocation answers unsupported_token_type
  // (RFC 7009 section 2.2.1) and the token stays valid until it expires (10 minutes).
  const machine = await client.discovery(new URL(base), machineId, {}, client.ClientSecretPost(machineSecret));
  const cc = await client.clientCredentialsGrant(machine, { scope: 'platform.keys' });
  const ccClaims = payload(cc.access_token);
  result('client-credentials', ccClaims.sub === machineId && ccClaims.org_id === orgId && cc.expires_in <= 600, { expiresIn: cc.expires_in });
  result('client-credentials-introspection-active', (await client.tokenIntrospection(machine, cc.access_token)).active === true);
  const ccRevocation = await grantFails(() => client.tokenRevocation(machine, cc.access_token));
  const ccAfter = (await client.tokenIntrospection(machine, cc.access_token)).active;
  result('client-credentials-token-not-stored', ccRevocation === 'unsupported_token_type' && ccAfter === true, { error: ccRevocation, active: ccAfter });
  result('client-credentials-scope-and-audience', ccClaims.scope === 'platform.keys' && [].concat(ccClaims.aud).includes('platform-api'), { scope: ccClaims.scope, aud: ccClaims.aud });
  const badScope = await grantFails(() => client.clientCredentialsGrant(machine, { scope: 'platform.keys admin' }));
  result('unknown-scope-refused', badScope === 'invalid_scope', { error: badScope });
  const retiredScope = await grantFails(() => client.clientCredentialsGrant(machine, { scope: 'platform' }));
  result('retired-platform-scope-refused', retiredScope === 'invalid_scope', { error: retiredScope });

  // A client acts in an organization other than its owner only through an explicit grant on the consent page.
  await page.goto(new URL('/account', base).href);
  await page.fill('#name', 'Other Org');
  await page.click('form[action="/account/organizations"] button');
  const otherOrgId = (await page.$$eval('#organizations .org', nodes => nodes.map(n => n.getAttribute('data-id')))).find(id => id !== orgId);
  const crossAuthorize = async () => {
    const crossVerifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid platform.keys',
      code_challenge: await client.calculatePKCECodeChallenge(crossVerifier),
      code_challenge_method: 'S256',
      state,
      organization: otherOrgId,
    });
    callback = null;
    await page.goto(url.href);
    return crossVerifier;
  };
  await crossAuthorize();
  result('cross-organization-consent-page', (await page.$('#cross-organization')) !== null && (await page.textContent('#owner-id')) === orgId
    && (await page.textContent('#acts-in')) === 'Other Org', { otherOrgId });
  // Allow without ticking the choice (the browser's form would not send it; a forged submission from the same session does): refused.
  const fields = await page.$$eval('form[action="/consent"] input[type=hidden]', inputs => Object.fromEntries(inputs.map(i => [i.name, i.value])));
  const forged = await page.request.post(new URL('/consent', base).href, { form: { ...fields, decision: 'allow' }, maxRedirects: 0 });
  const back = await page.request.get(new URL(forged.headers()['location'], base).href, { maxRedirects: 0 });
  const refusal = new URL(back.headers()['location'] ?? '', base);
  result('cross-organization-refused-without-explicit-choice', refusal.origin === 'http://127.0.0.1:53682' && refusal.searchParams.get('error') === 'access_denied'
    && !refusal.searchParams.has('code'), { refusal: refusal.href });
  const crossVerifier = await crossAuthorize();
  await page.check('#act-in');
  await page.click('#allow');
  for (let i = 0; i < 50 && !callback; i++) await new Promise(r => setTimeout(r, 100));
  const crossTokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: crossVerifier, expectedState: state });
  result('cross-organization-granted-explicitly', payload(crossTokens.access_token).org_id === otherOrgId);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
