// The standalone kubeconfig is written without the YAML library (it is not loaded at start): it
// must read back as the same document, and be what YAML.stringify writes.
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildKubeconfig, yamlScalar } from '../../src/config/kubeconfig.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function expected(name: string, server: string, token: string) {
  const cluster = { name, cluster: { server, 'certificate-authority-data': Buffer.from(CA).toString('base64') } };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [cluster],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

describe('buildKubeconfig', () => {
  it('writes what YAML.stringify writes for an ordinary cluster', () => {
    const e = { name: 'tinykube', server: 'https://127.0.0.1:6443', caPem: CA, token: 'ab'.repeat(32) };
    const text = buildKubeconfig(e);
    expect(text).toBe(YAML.stringify(expected(e.name, e.server, e.token)));
  });

  it('quotes whatever YAML would read as something else', () => {
    // Names that are YAML 1.1/1.2 numbers, booleans or null; a hex token that reads as a float;
    // an IPv6 server.
    for (const name of ['123', 'null', 'yes', 'no', 'on', 'true', '0x1f', '1e5', 'a', 'x-y']) {
      for (const [server, token] of [
        ['https://[::1]:6443', '1'.repeat(60) + 'e123'],
        ['https://127.0.0.1:0', '0'.repeat(64)],
        ['https://10.0.0.1:6443', 'deadbeef'.repeat(8)],
      ] as const) {
        const doc = YAML.parse(buildKubeconfig({ name, server, caPem: CA, token }), { version: '1.1' });
        expect(doc).toEqual(expected(name, server, token));
        expect(YAML.parse(buildKubeconfig({ name, server, caPem: CA, token }))).toEqual(expected(name, server, token));
      }
    }
  });

  it('keeps plain only strings that read back as themselves', () => {
    for (const s of ['tinykube', 'https://127.0.0.1:6443', 'LS0tLS1CRUdJTg==', 'a.b/c']) expect(yamlScalar(s)).toBe(s);
    for (const s of ['', '1', '1.5', '.5', 'True', 'NULL', 'x: y', 'a #b', '-a', '[x]', '~', 'key:'])
      expect(YAML.parse(`v: ${yamlScalar(s)}`).v).toBe(s);
  });
});
