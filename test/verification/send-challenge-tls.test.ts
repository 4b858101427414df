/**
 * HTTPS through the guarded connector: the socket goes to the address the
 * connector checked, yet TLS still verifies the certificate against the host
 * name in the URL (SNI and subjectAltName), never against the IP.
 *
 * The certificates are self-signed and made by `openssl` for this run only.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { challengeAnswer } from '../../lambda/core/verification';
import { ChallengeSender, ResolveHost, verifyPlatformSignature } from '../../lambda/verification/send-challenge';

const SECRET = 'tls-Test-Secret-Value-0f1e2d3c4b5a69788796';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Certificate {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A throwaway self-signed certificate for `name`. */
function selfSigned(directory: string, name: string): Certificate {
  const keyFile = path.join(directory, `${name}.key`);
  const certFile = path.join(directory, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

const resolveToLoopback: ResolveHost = async () => [{ address: '127.0.0.1', family: 4 }];

// Without openssl there is no certificate to test with; say so instead of passing silently.
const describeTls = hasOpenssl() ? describe : describe.skip;

describeTls('ChallengeSender over HTTPS (self-signed receiver on 127.0.0.1)', () => {
  let directory: string;
  let server: Server;
  let port: number;
  let certificate: Certificate;
  const received: Array<{ servername: string | false; valid: boolean }> = [];

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'pp-tls-'));
    certificate = selfSigned(directory, 'receiver.test');
    server = createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let valid = true;
        try {
          verifyPlatformSignature(SECRET, request.headers, Buffer.concat(chunks));
        } catch {
          valid = false;
        }
        received.push({ servername: (request.socket as { servername?: string | false }).servername ?? false, valid });
        // The echo the receiver contract asks for; a bad signature gets no answer to learn from.
        const answer = valid ? challengeAnswer(JSON.parse(Buffer.concat(chunks).toString('utf8'))) : undefined;
        response.writeHead(valid ? 200 : 401).end(answer);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(directory, { recursive: true, force: true });
  });

  it('connects to the checked address and verifies the certificate for the URL’s host name', async () => {
    const sender = new ChallengeSender({ allowLoopback: true, resolveHost: resolveToLoopback, ca: certificate.cert });
    try {
      const attempt = await sender.send({
        orgId: 'acme-corp',
        webhookId: 'primary',
        url: `https://receiver.test:${port}/hook`,
        secret: SECRET,
      });

      expect(attempt.result).toEqual({ ok: true });
      expect(received.at(-1)).toEqual({ servername: 'receiver.test', valid: true });
    } finally {
      await sender.close();
    }
  });

  it('refuses a certificate issued for another name, though the address is the same', async () => {
    const sender = new ChallengeSender({ allowLoopback: true, resolveHost: resolveToLoopback, ca: certificate.cert });
    const before = received.length;
    try {
      const attempt = await sender.send({
        orgId: 'acme-corp',
        webhookId: 'primary',
        url: `https://impostor.test:${port}/hook`,
        secret: SECRET,
      });

      expect(attempt.result).toEqual({ ok: false, lastError: 'connection failed (ERR_TLS_CERT_ALTNAME_INVALID)' });
      expect(received.length).toBe(before);
    } finally {
      await sender.close();
    }
  });

  it('refuses an untrusted self-signed certificate with the default CAs', async () => {
    const sender = new ChallengeSender({ allowLoopback: true, resolveHost: resolveToLoopback });
    try {
      const attempt = await sender.send({
        orgId: 'acme-corp',
        webhookId: 'primary',
        url: `https://receiver.test:${port}/hook`,
        secret: SECRET,
      });

      expect(attempt.result.ok).toBe(false);
      expect(attempt.outcome.kind).toBe('connection-error');
    } finally {
      await sender.close();
    }
  });
});
