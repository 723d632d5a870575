// A real OpenID Connect provider that is not ours (npm oidc-provider) on loopback, for the SSO browser test
// (issue 18 item 5): one confidential client (client_secret_basic, PKCE required) whose redirect URI is the
// platform's /sso/callback. Its development login page takes any login (used as the email) and password; the
// account's claims are email, email_verified and groups (IDP_GROUPS, comma-separated). With IDP_CONFORM=1 the ID token
// carries only the subject and the rest is in the userinfo answer (oidc-provider's conformIdTokenClaims, as the
// OpenID Connect spec has it when an access token is issued). Prints "READY <issuer>" once listening.
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.IDP_CLIENT_ID,
    client_secret: process.env.IDP_CLIENT_SECRET,
    redirect_uris: [process.env.IDP_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  claims: { openid: ['sub', 'groups'], email: ['email', 'email_verified'] },
  // By default the ID token carries the claims (as Okta, Entra ID and Google put them there); IDP_CONFORM=1 moves
  // them to userinfo, which the platform then reads.
  conformIdTokenClaims: process.env.IDP_CONFORM === '1',
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-only-cookie-signing-key'] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: `idp|${id}`, email: id, email_verified: true, groups: (process.env.IDP_GROUPS ?? '').split(',').filter(Boolean) }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const server = http.createServer(provider.callback()).listen(port, '127.0.0.1', () => console.log(`READY ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
