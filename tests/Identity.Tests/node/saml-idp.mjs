// A SAML 2.0 IdP that is not ours (issue 18 item 5): npm samlify, scripted. It signs with the key and certificate the
// test gives it (IDP_KEY_PEM, IDP_CERT_PEM), publishes its metadata at /metadata, takes AuthnRequests by the
// HTTP-Redirect binding at /sso, asks for an email (any password-less "sign-in": this is a test IdP), reads the
// SP's metadata from the AuthnRequest's issuer + "/metadata" (as an administrator would paste it), and answers by the
// HTTP-POST binding with a form the browser submits. Prints "READY <base>" when listening.
import http from 'node:http';
import * as samlify from 'samlify';

// samlify asks for an XSD validator; the service provider under test does its own checks, and this IdP parses only
// the AuthnRequests the platform makes.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

const port = Number(process.env.IDP_PORT);
const base = `http://127.0.0.1:${port}`;
const binding = samlify.Constants.namespace.binding;
const idp = samlify.IdentityProvider({
  entityID: `${base}/metadata`,
  privateKey: process.env.IDP_KEY_PEM,
  signingCert: process.env.IDP_CERT_PEM,
  nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
  singleSignOnService: [{ Binding: binding.redirect, Location: `${base}/sso` }],
  wantAuthnRequestsSigned: false,
  requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
});

const escape = s => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const page = (body) => `<!doctype html><html><head><title>Test IdP</title></head><body>${body}</body></html>`;

async function spFor(query) {
  // The issuer of the request, read unverified only to find which SP metadata to fetch.
  const xml = Buffer.from(await new Response(new Blob([Buffer.from(query.SAMLRequest, 'base64')]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer()).toString('utf8');
  const issuer = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(xml)[1];
  const metadata = await (await fetch(issuer + '/metadata')).text();
  return samlify.ServiceProvider({ metadata, wantMessageSigned: true });
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (req.method === 'GET' && url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      return res.end(idp.getMetadata());
    }
    if (req.method === 'GET' && url.pathname === '/sso') {
      const query = Object.fromEntries(url.searchParams);
      const sp = await spFor(query);
      await idp.parseLoginRequest(sp, 'redirect', { query });
      console.log('AUTHNREQUEST received');
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(page(`<h1>Test IdP sign-in</h1><form method="post" action="/login">
        <input type="hidden" name="SAMLRequest" value="${escape(query.SAMLRequest)}">
        <input type="hidden" name="RelayState" value="${escape(query.RelayState ?? '')}">
        <label>Email <input id="login" name="email"></label><button type="submit">Sign in</button></form>`));
    }
    if (req.method === 'POST' && url.pathname === '/login') {
      const form = await readForm(req);
      const query = { SAMLRequest: form.SAMLRequest, RelayState: form.RelayState };
      const sp = await spFor(query);
      const request = await idp.parseLoginRequest(sp, 'redirect', { query });
      const response = await idp.createLoginResponse(sp, request, 'post', { email: form.email }, { relayState: form.RelayState });
      console.log('RESPONSE to ' + response.entityEndpoint);
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(page(`<h1>Back to the service</h1><form method="post" action="${escape(response.entityEndpoint)}">
        <input type="hidden" name="SAMLResponse" value="${escape(response.context)}">
        <input type="hidden" name="RelayState" value="${escape(form.RelayState)}">
        <button type="submit" id="continue">Continue</button></form>`));
    }
    res.writeHead(404).end();
  } catch (e) {
    console.error('IdP error: ' + (e && e.stack || e));
    res.writeHead(500).end('IdP error');
  }
}).listen(port, '127.0.0.1', () => console.log('READY ' + base));
