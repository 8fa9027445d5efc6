// TLS key pairs for netexec's --tls-cert-file/--tls-private-key-file and porter's
// CERT_FILE/KEY_FILE, read as Go's tls.LoadX509KeyPair reads them (its `open <path>: no such file
// or directory`). Upstream's image ships a self-signed `localhost.crt`/`localhost.key` at its root
// (porter's default, and what tests pass to netexec); tinykube has no image filesystem, so when
// those names are asked for and no such file exists, a pair of the same kind is made in memory:
// self-signed, a CA, for 127.0.0.1, ::1, example.com and localhost, valid until 2084.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { errnoText } from './go-net.js';

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

/** tls.LoadX509KeyPair(certFile, keyFile); throws Go's text. */
export function loadKeyPair(certFile: string, keyFile: string): KeyPair {
  const read = (path: string, builtin: () => Buffer, name: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      if (basename(path) === name && (e as NodeJS.ErrnoException).code === 'ENOENT') return builtin();
      throw new Error(`open ${path}: ${errnoText(e)}`);
    }
  };
  return {
    cert: read(certFile, () => localhostPair().cert, 'localhost.crt'),
    key: read(keyFile, () => localhostPair().key, 'localhost.key'),
  };
}

let localhost: KeyPair | undefined;

/** The stand-in for the image's localhost.crt/localhost.key, made once per process. */
export function localhostPair(): KeyPair {
  return (localhost ??= selfSigned());
}

// ---- a minimal DER encoder for one self-signed certificate ----

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...p: Buffer[]) => tlv(0x30, ...p);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function selfSigned(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSHA256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(tlv(0x31, seq(oid('2.5.4.10'), tlv(0x0c, Buffer.from('Acme Co')))));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const sans = seq(
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
    tlv(0x82, Buffer.from('example.com')),
    tlv(0x82, Buffer.from('localhost')),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaWithSHA256,
    name,
    seq(time(new Date(Date.UTC(1970, 0, 1))), time(new Date(Date.UTC(2084, 0, 29, 16)))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(
      0xa3,
      seq(
        // digitalSignature and keyCertSign.
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))),
        extension('2.5.29.17', false, sans),
      ),
    ),
  );
  const der = seq(tbs, ecdsaWithSHA256, tlv(0x03, Buffer.from([0]), sign('sha256', tbs, privateKey)));
  const pem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return { cert: Buffer.from(pem), key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) };
}
