// The platform's SAML service provider as npm samlify (an implementation that is not ours) reads it (issue 18 item 2).
// MODE=metadata: samlify parses the SP metadata (SP_METADATA) and prints what it found: entity id, the signing and
// encryption certificates (base64 DER, in document order), AuthnRequestsSigned, WantAssertionsSigned and the ACS.
// MODE=authn: samlify as an IdP whose metadata wants signed AuthnRequests (IDP_KEY_PEM, IDP_CERT_PEM) parses the
// HTTP-Redirect URL the platform sent the browser to (REDIRECT_URL), verifying SigAlg/Signature over the query as
// sent against the SP metadata's signing certificate; then the same with RelayState altered, which must fail.
// MODE=respond: samlify as the connection's IdP (IDP_ENTITY_ID, IDP_KEY_PEM, IDP_CERT_PEM) answers each of REQUESTS
// (JSON: [{url, email, data, key, encrypt?, encryptThenSign?, spMetadata?}], the HTTP-Redirect URLs the platform sent
// browsers to) as samlify does by the SP metadata (SP_METADATA, or the request's own spMetadata: an IdP that ignores
// what the SP asks): the assertion signed if WantAssertionsSigned is true, else the Response; encrypted (unless
// encrypt is false) to the SP metadata's encryption certificate by the content (data) and key-transport (key)
// algorithms asked, the Response signed before the encryption or, with encryptThenSign, after it; as the HTTP-POST
// binding's SAMLResponse.
// Prints one "RESULT {json}" line.
import * as samlify from 'samlify';

samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });
const list = v => (v == null ? [] : Array.isArray(v) ? v : [v]).map(c => c.replace(/\s+/g, ''));
const sp = samlify.ServiceProvider({ metadata: process.env.SP_METADATA });

if (process.env.MODE === 'metadata') {
  console.log('RESULT ' + JSON.stringify({
    entityID: sp.entityMeta.getEntityID(),
    signing: list(sp.entityMeta.getX509Certificate('signing')),
    encryption: list(sp.entityMeta.getX509Certificate('encryption')),
    authnRequestsSigned: sp.entityMeta.isAuthnRequestSigned(),
    wantAssertionsSigned: sp.entityMeta.isWantAssertionsSigned(),
    acs: sp.entityMeta.getAssertionConsumerService(samlify.Constants.namespace.binding.post),
  }));
} else if (process.env.MODE === 'respond') {
  // The IdP keeps the service's time (the tests' service runs on a fake clock that other tests move forward): its
  // clock is set from the AuthnRequest's IssueInstant, as two servers kept in step by NTP would be.
  const RealDate = Date;
  let offset = 0;
  globalThis.Date = class extends RealDate {
    constructor(...args) { if (args.length === 0) super(RealDate.now() + offset); else super(...args); }
    static now() { return RealDate.now() + offset; }
  };
  const answers = [];
  for (const { url, email, data, key, encrypt = true, encryptThenSign = false, spMetadata } of JSON.parse(process.env.REQUESTS)) {
    const at = new URL(url);
    const to = spMetadata ? samlify.ServiceProvider({ metadata: spMetadata }) : sp;
    const idp = samlify.IdentityProvider({
      entityID: process.env.IDP_ENTITY_ID,
      privateKey: process.env.IDP_KEY_PEM,
      signingCert: process.env.IDP_CERT_PEM,
      nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: at.origin + at.pathname }],
      isAssertionEncrypted: encrypt,
      dataEncryptionAlgorithm: data,
      keyEncryptionAlgorithm: key,
    });
    try {
      const request = await idp.parseLoginRequest(to, 'redirect', { query: Object.fromEntries(at.searchParams) });
      offset = RealDate.parse(/IssueInstant="([^"]+)"/.exec(request.samlContent)[1]) - RealDate.now();
      const response = await idp.createLoginResponse(to, request, 'post', { email }, { encryptThenSign });
      const xml = Buffer.from(response.context, 'base64').toString('utf8');
      answers.push({ samlResponse: response.context, encrypted: xml.includes('EncryptedAssertion') && !/<(\w+:)?Assertion[\s>]/.test(xml) });
    } catch (e) {
      answers.push({ error: String(e && e.stack || e) });
    }
  }
  console.log('RESULT ' + JSON.stringify(answers));
} else {
  const url = new URL(process.env.REDIRECT_URL);
  const idp = samlify.IdentityProvider({
    entityID: 'https://idp.example.test/saml',
    privateKey: process.env.IDP_KEY_PEM,
    signingCert: process.env.IDP_CERT_PEM,
    singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: url.origin + url.pathname }],
    wantAuthnRequestsSigned: true,
  });
  const raw = url.search.slice(1);
  const octetString = raw.slice(0, raw.indexOf('&Signature='));
  const query = Object.fromEntries(url.searchParams);
  const attempt = async (octets) => {
    try {
      const parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString: octets });
      return { ok: true, sigAlg: parsed.sigAlg, issuer: parsed.extract.issuer, id: parsed.extract.request.id };
    } catch (e) {
      return { ok: false, error: String(e && e.message || e) };
    }
  };
  const genuine = await attempt(octetString);
  const tampered = await attempt(octetString.replace(/RelayState=[^&]*/, 'RelayState=attacker'));
  console.log('RESULT ' + JSON.stringify({ genuine, tampered, signed: url.searchParams.has('Signature') }));
}
