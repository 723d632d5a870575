// The peer of bench/IdentityThroughput (issue 20 item 1): an OpenID provider that is not ours (npm oidc-provider),
// issuing client-credentials access tokens as RS256 JWTs over HTTPS on loopback, one worker per core (node's cluster;
// the tokens are self-contained, so the workers share nothing but the signing key). Prints "READY" once every worker
// listens. Settings by environment: PEER_PORT, PEER_CERT and PEER_KEY (PEM files), PEER_CLIENT_ID, PEER_CLIENT_SECRET.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import Provider from 'oidc-provider';

const workers = os.availableParallelism();
if (cluster.isPrimary) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'peer' };
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork({ PEER_JWK: JSON.stringify(jwk) }).on('listening', () => {
      if (++listening === workers) console.log('READY');
    });
  }
  process.on('SIGTERM', () => { for (const worker of Object.values(cluster.workers)) worker.kill(); process.exit(0); });
} else {
  const port = Number(process.env.PEER_PORT);
  const provider = new Provider(`https://localhost:${port}`, {
    clients: [{
      client_id: process.env.PEER_CLIENT_ID,
      client_secret: process.env.PEER_CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [JSON.parse(process.env.PEER_JWK)] },
    features: {
      clientCredentials: { enabled: true },
      // A JWT access token for one API, as ours are: signed, self-contained, not stored.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:platform:api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'platform.keys', audience: 'urn:platform:api', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    cookies: { keys: ['bench-only-cookie-signing-key'] },
  });
  provider.proxy = false;
  https.createServer({ cert: fs.readFileSync(process.env.PEER_CERT), key: fs.readFileSync(process.env.PEER_KEY) }, provider.callback())
    .listen(port, '127.0.0.1');
}
