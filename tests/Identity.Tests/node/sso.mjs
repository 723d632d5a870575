// Single sign-on end to end (issue 18 item 5): Debian's Chromium, driven by Playwright, starts an authorization
// request of a platform web client (openid-client), is sent to the platform's sign-in page, types only an email of
// the organization's verified domain, is sent to the organization's IdP (npm oidc-provider, idp.mjs), signs in and
// consents there, comes back signed in, allows the platform client, and openid-client exchanges the code for an
// access token that carries the organization and the role given by the connection.
// Prints one "RESULT {json}" line per check and "CLAIMS {json}"; exits 1 on a failure.
import * as client from 'openid-client';
import { chromium } from 'playwright-core';

const base = process.env.IDENTITY_URL;
const idp = process.env.IDP_ISSUER;
const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, ORG_ID: orgId, EMAIL: email } = process.env;
const redirectUri = 'http://127.0.0.1:53682/callback';
let failed = false;

function result(name, ok, detail = {}) {
  if (!ok) failed = true;
  console.log('RESULT ' + JSON.stringify({ name, ok, ...detail }));
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false });
  const page = await context.newPage();
  const config = await client.discovery(new URL(base), clientId, { id_token_signed_response_alg: 'ES256' }, client.ClientSecretPost(clientSecret));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email platform.organizations',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    organization: orgId,
  });
  let callback = null;
  await page.route('http://127.0.0.1:53682/**', route => { callback = route.request().url(); return route.fulfill({ status: 200, body: 'done' }); });

  await page.goto(authorizationUrl.href);
  result('platform-signin-page', new URL(page.url()).pathname === '/signin', { url: new URL(page.url()).pathname });
  await page.fill('#email', email);
  await page.click('form[action="/signin"] button[type=submit]');
  result('sent-to-idp', page.url().startsWith(idp), { url: page.url().split('?')[0] });
  await page.fill('input[name=login]', email);
  await page.fill('input[name=password]', 'any password the dev IdP accepts');
  await page.click('button[type=submit]');
  // The IdP's consent prompt (first sign-in of this account to this client).
  for (let i = 0; i < 3 && page.url().startsWith(idp); i++) await page.click('button[type=submit]');
  result('back-signed-in-at-platform-consent', (await page.textContent('h1')) === 'Allow access?', { url: new URL(page.url()).pathname });
  await page.click('#allow');
  for (let i = 0; i < 50 && !callback; i++) await new Promise(r => setTimeout(r, 100));
  result('redirected-with-code', callback !== null && new URL(callback).searchParams.has('code'));
  // The request was seen as it left; the page is at the callback only once that navigation commits. A navigation
  // started before then (the account page below) would be cut short by it.
  await page.waitForURL(url => url.href.startsWith(redirectUri));
  await page.waitForLoadState();

  const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString('utf8'));
  console.log('CLAIMS ' + JSON.stringify(claims));
  result('access-token', claims.org_id === orgId && Array.isArray(claims.roles));

  // The session is a platform session: the account page shows the address signed in through the IdP.
  await page.goto(new URL('/account', base).href);
  result('account-page', (await page.textContent('#email')) === email && (await page.textContent('#amr')) === 'fed');
} catch (e) {
  result('exception', false, { message: String(e && e.message || e) });
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
