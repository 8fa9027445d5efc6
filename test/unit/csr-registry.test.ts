// CertificateSigningRequests on a real store and registry: the requestor comes from the user, the
// status starts empty, validation answers with upstream's texts, the approval and status
// subresources each write only their part, the signing controller issues certificates for approved
// requests of the built-in signers (and Failed conditions for requests they refuse), the table
// reads as kubectl's, and the cleaner's deadlines are upstream's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import { Store } from '../../src/storage/store.js';
import { Registry } from '../../src/registry/generic-store.js';
import { resolveConfig } from '../../src/config/options.js';
import { allResourceDefs, requireDef } from '../../src/registry/kinds.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';
import { realClock } from '../../src/base/clock.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import { csrCondition } from '../../src/registry/certificates/certificatesigningrequest.js';
import { validateSignerName, type CsrObj } from '../../src/registry/certificates/validation.js';
import { signingDuration, startCSRSigningController } from '../../src/controllers/certificates/signer.js';
import { isCleanable } from '../../src/controllers/certificates/cleaner.js';
import type { ControllerContext } from '../../src/controllers/context.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

const dir = mkdtempSync(join(tmpdir(), 'csr-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslCSR(subj: string, san?: string): string {
  const args = [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-subj',
    subj,
  ];
  if (san) args.push('-addext', `subjectAltName=${san}`);
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString('base64');
}

const ALICE = { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['a', 'b'] } };
const defs = allResourceDefs();
const def = requireDef(defs, 'certificates.k8s.io', 'certificatesigningrequests');
let request: string;
let ca: { certPem: string; keyPem: string };
beforeAll(async () => {
  request = opensslCSR('/CN=alice/O=devs');
  const pki = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: ['localhost'] });
  ca = { certPem: pki.caCertPem, keyPem: pki.caKeyPem! };
});

function cluster() {
  const store = new Store();
  const registry = new Registry(store, resolveConfig({}));
  return { store, registry };
}

const csr = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec,
    ...extra,
  }) as unknown as KubeObject;

/** The `field: message` texts of a refused write. */
function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
    throw e;
  }
  throw new Error('the write was accepted');
}

const condition = (type: string, extra: Record<string, unknown> = {}) => ({ type, status: 'True', reason: 'R', message: 'm', ...extra });

describe('CertificateSigningRequest strategy', () => {
  it('sets the requestor from the user and starts with an empty status', () => {
    const { registry } = cluster();
    const spec = {
      request,
      signerName: 'kubernetes.io/kube-apiserver-client',
      usages: ['client auth'],
      username: 'mallory',
      groups: ['system:masters'],
    };
    const out = registry.create(def, '', csr('a', spec, { status: { conditions: [condition('Approved')] } }), { user: ALICE })
      .object as CsrObj;
    expect(out.spec).toMatchObject({
      username: 'alice',
      uid: 'u-1',
      groups: ['devs', 'system:authenticated'],
      extra: { scopes: ['a', 'b'] },
    });
    expect(out.status).toEqual({});
    expect(csrCondition(out)).toBe('Pending');
  });

  it('refuses bad requests with upstream texts', () => {
    const { registry } = cluster();
    const create = (spec: Record<string, unknown>) => () => registry.create(def, '', csr('bad', spec), { user: ALICE });
    const bad = Buffer.from('hi').toString('base64');
    expect(errorsOf(create({ request: bad, signerName: 'example.com/x', usages: ['client auth'] }))).toEqual([
      'spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST',
    ]);
    expect(errorsOf(create({ request, signerName: 'kubernetes.io/legacy-unknown', usages: [] }))).toEqual([
      'spec.usages: Required value',
      'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version',
    ]);
    expect(
      errorsOf(create({ request, signerName: 'example.com/x', usages: ['client auth', 'client auth', 'bogus'], expirationSeconds: 599 })),
    ).toEqual([
      'spec.usages[2]: Unsupported value: "bogus": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"',
      'spec.usages[1]: Duplicate value: "client auth"',
      'spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)',
    ]);
    expect(errorsOf(create({ request, signerName: '', usages: ['client auth'] }))).toEqual(['spec.signerName: Required value']);
  });

  it('validates signer names as ValidateSignerName does', () => {
    const msgs = (s: string) => validateSignerName('spec.signerName', s).map((e) => `${e.field}: ${e.body}`);
    expect(msgs('example.com/my-signer')).toEqual([]);
    expect(msgs('example.com')).toEqual([
      'spec.signerName: Invalid value: "example.com": must be a fully qualified domain and path of the form \'example.com/signer-name\'',
    ]);
    expect(msgs('example/x')).toEqual([
      'spec.signerName: Invalid value: "example": should be a domain with at least two segments separated by dots',
    ]);
    expect(msgs('Example.com/x')).toEqual([
      "spec.signerName: Invalid value: \"Example.com\": validating label \"Example\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });

  it('writes conditions only through approval, the certificate only through status', () => {
    const { registry, store } = cluster();
    registry.create(def, '', csr('c', { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] }), {
      user: ALICE,
    });
    const get = () => structuredClone(store.get('certificates.k8s.io/certificatesigningrequests', '', 'c')) as CsrObj;

    // The object itself: spec and status are kept as stored, labels change.
    const o = get();
    o.spec.usages = ['server auth'];
    o.status = { conditions: [condition('Approved')] };
    o.metadata.labels = { a: 'b' };
    const plain = registry.update(def, '', 'c', o).object as CsrObj;
    expect(plain.spec.usages).toEqual(['client auth']);
    expect(plain.status).toEqual({});
    expect(plain.metadata.labels).toEqual({ a: 'b' });

    // status may not add Approved (it keeps the stored conditions of that type: none, so the add is refused).
    const s = get();
    s.status = { conditions: [condition('Approved')] };
    expect(errorsOf(() => registry.update(def, '', 'c', s, { subresource: 'status' }))).toEqual([
      'status.conditions: Forbidden: updates may not add a condition of type "Approved"',
    ]);

    // approval adds it, with times filled in; Approved and Denied exclude each other.
    const a = get();
    a.status = { conditions: [{ type: 'Approved', status: '', reason: 'KubectlApprove', message: 'ok' }] };
    const approved = registry.update(def, '', 'c', a, { subresource: 'approval' }).object as CsrObj;
    expect(approved.status!.conditions![0]).toMatchObject({ type: 'Approved', status: 'True', reason: 'KubectlApprove' });
    expect(approved.status!.conditions![0]!.lastUpdateTime).toMatch(/Z$/);
    expect(approved.status!.conditions![0]!.lastTransitionTime).toBe(approved.status!.conditions![0]!.lastUpdateTime);
    const d = get();
    d.status!.conditions!.push(condition('Denied'));
    expect(errorsOf(() => registry.update(def, '', 'c', d, { subresource: 'approval' }))).toEqual([
      'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
    ]);
    const r = get();
    r.status = { conditions: [] };
    expect(errorsOf(() => registry.update(def, '', 'c', r, { subresource: 'approval' }))).toEqual([
      'status.conditions: Forbidden: updates may not remove a condition of type "Approved"',
    ]);
    const f = get();
    f.status!.conditions!.push({ type: 'Failed', status: 'False', reason: 'X' });
    expect(errorsOf(() => registry.update(def, '', 'c', f, { subresource: 'approval' }))).toEqual([
      'status.conditions[1].status: Unsupported value: "False": supported values: "True"',
    ]);

    // approval cannot set the certificate, status can, once, and only PEM certificates.
    const ac = get();
    ac.status!.certificate = Buffer.from(ca.certPem).toString('base64');
    expect((registry.update(def, '', 'c', ac, { subresource: 'approval' }).object as CsrObj).status!.certificate).toBeUndefined();
    const junk = get();
    junk.status!.certificate = Buffer.from('nope').toString('base64');
    expect(errorsOf(() => registry.update(def, '', 'c', junk, { subresource: 'status' }))).toEqual([
      'status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block',
    ]);
    const sc = get();
    sc.status!.certificate = Buffer.from(ca.certPem).toString('base64');
    const issued = registry.update(def, '', 'c', sc, { subresource: 'status' }).object as CsrObj;
    expect(csrCondition(issued)).toBe('Approved,Issued');
    const again = get();
    again.status!.certificate = Buffer.from(ca.certPem + ca.certPem).toString('base64');
    expect(errorsOf(() => registry.update(def, '', 'c', again, { subresource: 'status' }))).toEqual([
      'status.certificate: Forbidden: updates may not modify existing certificate content',
    ]);
  });

  it('prints kubectl’s columns', () => {
    const now = new Date();
    const obj = {
      metadata: { name: 'x', creationTimestamp: new Date(now.getTime() - 90_000).toISOString() },
      spec: { signerName: 'kubernetes.io/kube-apiserver-client', username: 'alice', expirationSeconds: 86400, request: '' },
      status: { conditions: [condition('Denied'), condition('Failed')] },
    } as CsrObj;
    expect(def.table.columns.map((c) => c.name)).toEqual(['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
    expect(def.table.row(obj, now)).toEqual(['x', '90s', 'kubernetes.io/kube-apiserver-client', 'alice', '24h', 'Denied,Failed']);
    expect(def.table.row({ ...obj, spec: { ...obj.spec, expirationSeconds: undefined }, status: {} } as CsrObj, now)[4]).toBe('<none>');
    expect(def.fieldSelectors!['spec.signerName']!(obj)).toBe('kubernetes.io/kube-apiserver-client');
  });
});

describe('the signing controller', () => {
  function start(store: Store, registry: Registry) {
    const ctx = {
      store,
      registry,
      defs,
      log: pino({ level: 'silent' }),
      config: resolveConfig({}),
      clock: realClock,
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
    };
    return startCSRSigningController(ctx as unknown as ControllerContext & { caKeyPem: string });
  }
  const approve = (registry: Registry, store: Store, name: string) => {
    const o = structuredClone(store.get('certificates.k8s.io/certificatesigningrequests', '', name)) as CsrObj;
    o.status = {
      conditions: [
        { type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' },
      ],
    };
    registry.update(def, '', name, o, { subresource: 'approval' });
  };
  const get = (store: Store, name: string) => store.get('certificates.k8s.io/certificatesigningrequests', '', name) as CsrObj;

  it('signs approved requests of the built-in signers, and only those', async () => {
    const { store, registry } = cluster();
    const c = start(store, registry);
    try {
      registry.create(
        def,
        '',
        csr('alice', { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 3600 }),
        { user: ALICE },
      );
      registry.create(def, '', csr('other', { request, signerName: 'example.com/mine', usages: ['client auth'] }), { user: ALICE });
      registry.create(def, '', csr('pending', { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] }), {
        user: ALICE,
      });
      await c.idle();
      expect(get(store, 'alice').status?.certificate).toBeUndefined();
      approve(registry, store, 'alice');
      approve(registry, store, 'other');
      await c.idle();
      const pem = Buffer.from(get(store, 'alice').status!.certificate!, 'base64').toString();
      const cert = new X509Certificate(pem);
      expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
      expect(cert.subject).toBe('O=devs\nCN=alice');
      expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(3_600_000 + 5 * 60_000);
      expect(csrCondition(get(store, 'alice'))).toBe('Approved,Issued');
      expect(get(store, 'other').status?.certificate).toBeUndefined();
      expect(csrCondition(get(store, 'pending'))).toBe('Pending');
    } finally {
      c.stop();
    }
  });

  it('fails requests a signer refuses, with its reason', async () => {
    const { store, registry } = cluster();
    const c = start(store, registry);
    try {
      const node = opensslCSR('/CN=system:node:n1/O=system:nodes', 'DNS:n1.example');
      const cases: [string, Record<string, unknown>, string][] = [
        [
          'server-usage',
          { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth', 'server auth'] },
          'invalid usage for client certificate: server auth',
        ],
        [
          'no-client-auth',
          { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature'] },
          'missing required usage for client certificate: client auth',
        ],
        [
          'kubelet-not-node',
          { request, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
          'subject organization is not system:nodes',
        ],
        [
          'kubelet-dns',
          { request: node, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
          'DNS subjectAltNames are not allowed',
        ],
        [
          'serving-usages',
          { request: node, signerName: 'kubernetes.io/kubelet-serving', usages: ['server auth'] },
          'usages did not match [digital signature key encipherment server auth]',
        ],
      ];
      for (const [name, spec] of cases) {
        registry.create(def, '', csr(name, spec), { user: ALICE });
        approve(registry, store, name);
      }
      registry.create(
        def,
        '',
        csr('serving', { request: node, signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] }),
        { user: ALICE },
      );
      approve(registry, store, 'serving');
      await c.idle();
      for (const [name, , message] of cases) {
        const got = get(store, name);
        expect(got.status?.certificate).toBeUndefined();
        expect(got.status?.conditions?.[1]).toMatchObject({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message });
        expect(csrCondition(got)).toBe('Approved,Failed');
      }
      const serving = new X509Certificate(Buffer.from(get(store, 'serving').status!.certificate!, 'base64').toString());
      expect(serving.subjectAltName).toBe('DNS:n1.example');
    } finally {
      c.stop();
    }
  });

  it('honours expirationSeconds within [10m, one year]', () => {
    expect(signingDuration(undefined)).toBe(365 * 86_400_000);
    expect(signingDuration(3600)).toBe(3_600_000);
    expect(signingDuration(60)).toBe(600_000);
    expect(signingDuration(10 * 365 * 86400)).toBe(365 * 86_400_000);
  });
});

describe('the cleaner', () => {
  it('deletes requests past upstream’s deadlines', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const ago = (ms: number) => new Date(now - ms).toISOString();
    const H = 3_600_000;
    const mk = (created: number, conditions: object[], certificate?: string) =>
      ({ metadata: { name: 'x', creationTimestamp: ago(created) }, spec: {}, status: { conditions, certificate } }) as unknown as CsrObj;
    const cert = Buffer.from(ca.certPem).toString('base64');
    expect(isCleanable(mk(23 * H, []), now)).toBe(false);
    expect(isCleanable(mk(25 * H, []), now)).toBe(true);
    expect(isCleanable(mk(2 * H, [{ type: 'Denied', lastUpdateTime: ago(30 * 60_000) }]), now)).toBe(false);
    expect(isCleanable(mk(2 * H, [{ type: 'Denied', lastUpdateTime: ago(61 * 60_000) }]), now)).toBe(true);
    expect(isCleanable(mk(2 * H, [{ type: 'Failed', lastUpdateTime: ago(61 * 60_000) }]), now)).toBe(true);
    expect(isCleanable(mk(2 * H, [{ type: 'Approved', lastUpdateTime: ago(61 * 60_000) }]), now)).toBe(false);
    expect(isCleanable(mk(2 * H, [{ type: 'Approved', lastUpdateTime: ago(61 * 60_000) }], cert), now)).toBe(true);
    expect(isCleanable(mk(2 * H, [{ type: 'Approved', lastUpdateTime: ago(30 * 60_000) }], cert), now)).toBe(false);
    // An expired certificate goes at once.
    const after = Date.parse(new X509Certificate(ca.certPem).validTo) + 1000;
    expect(isCleanable(mk(0, [{ type: 'Approved', lastUpdateTime: new Date(after).toISOString() }], cert), after)).toBe(true);
  });
});
