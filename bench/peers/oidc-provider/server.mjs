// node oidc-provider configured like the akless token endpoint in bench/run: one client with
// client_secret_basic, client_credentials only, access tokens as ES256-signed JWTs for one resource
// server. Listens on 127.0.0.1 only; HTTPS when TLS_CERT and TLS_KEY name PEM files.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, AUDIENCE, optional TLS_CERT and TLS_KEY, and
// WORKERS (default 1): with more, node:cluster runs that many processes sharing the port and one key.

import cluster from 'node:cluster';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

import Provider from 'oidc-provider';

const workers = Number(process.env.WORKERS || '1');

function newKey() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
}

function serve(exportedKey) {
  const port = Number(process.env.PORT);
  const tls = process.env.TLS_CERT && process.env.TLS_KEY;
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const audience = process.env.AUDIENCE;

  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...exportedKey, kid: 'bench-es256', alg: 'ES256', use: 'sig' }] },
    clients: [{
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'read write',
    }],
    scopes: ['read', 'write'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read write',
          audience,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });

  const callback = provider.callback();
  const server = tls
    ? https.createServer({ cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY) }, callback)
    : http.createServer(callback);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.listen(port, '127.0.0.1', () => {
    console.log(`oidc-provider listening on ${issuer} (pid ${process.pid})`);
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => server.close(() => process.exit(0)));
  }
}

if (workers > 1 && cluster.isPrimary) {
  const key = JSON.stringify(newKey());
  for (let i = 0; i < workers; i += 1) {
    cluster.fork({ SIGNING_JWK: key });
  }
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM');
      process.exit(0);
    });
  }
} else {
  serve(process.env.SIGNING_JWK ? JSON.parse(process.env.SIGNING_JWK) : newKey());
}
