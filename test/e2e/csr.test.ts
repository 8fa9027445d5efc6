// certificates.k8s.io/v1 CertificateSigningRequests as a test suite uses them to mint a client
// certificate on a real cluster: openssl makes a key and a request, kubectl creates it and
// `kubectl certificate approve`s it, the signer puts a certificate of the cluster CA in its status,
// and that certificate authenticates as the user and groups the request named. Denial, a request
// the signer refuses (Failed), discovery, the table, and upstream's 422 texts too.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startTestCluster, runKubectl, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const CSR_API = '/apis/certificates.k8s.io/v1';
const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);

/** A new EC key (its file) and a CSR for `subj` from openssl, the CSR base64 as spec.request takes it. */
function keyAndRequest(name: string, subj: string): { keyFile: string; request: string } {
  const keyFile = join(tc.dir, `${name}.key`);
  const csr = execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-subj', subj],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return { keyFile, request: csr.toString('base64') };
}

const manifest = (name: string, request: string, spec: string) => `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${name}
spec:
  request: ${request}
${spec}`;

/** kubectl's table as rows of cells (columns split on runs of 2+ spaces). */
const table = async (args: string[]) =>
  (await tc.kubectl(args)).stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));

describe('CertificateSigningRequests', () => {
  it('are discovered as upstream serves them', async () => {
    const list = (await api(tc.cluster, 'GET', CSR_API)).json();
    const names = list.resources.map((r: { name: string }) => r.name).sort();
    expect(names).toEqual(['certificatesigningrequests', 'certificatesigningrequests/approval', 'certificatesigningrequests/status']);
    const csr = list.resources.find((r: { name: string }) => r.name === 'certificatesigningrequests');
    expect(csr).toMatchObject({ kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'] });
    for (const sub of list.resources.filter((r: { name: string }) => r.name.includes('/')))
      expect(sub.verbs).toEqual(['get', 'patch', 'update']);
    const r = await tc.kubectl(['api-resources', '--api-group=certificates.k8s.io', '--no-headers']);
    expect(r.stdout.trim().split(/\s+/)).toEqual([
      'certificatesigningrequests',
      'csr',
      'certificates.k8s.io/v1',
      'false',
      'CertificateSigningRequest',
    ]);
  });

  it('mint a client certificate: create, kubectl certificate approve, sign, authenticate', async () => {
    const { keyFile, request } = keyAndRequest('alice', '/CN=alice/O=devs');
    await tc.kubectl(['apply', '-f', '-'], {
      input: manifest(
        'alice',
        request,
        '  signerName: kubernetes.io/kube-apiserver-client\n  expirationSeconds: 86400\n  usages:\n  - client auth\n',
      ),
    });
    const created = await json(['get', 'csr', 'alice']);
    // The requestor is who created it: the cluster's admin.
    expect(created.spec).toMatchObject({ username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
    expect(created.status).toEqual({});
    expect(await table(['get', 'csr', 'alice'])).toEqual([
      ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION'],
      ['alice', expect.stringMatching(/^\d+s$/), 'kubernetes.io/kube-apiserver-client', 'kubernetes-admin', '24h', 'Pending'],
    ]);

    const approve = await tc.kubectl(['certificate', 'approve', 'alice']);
    expect(approve.stdout.trim()).toBe('certificatesigningrequest.certificates.k8s.io/alice approved');
    const signed = await until(async () => {
      const o = await json(['get', 'csr', 'alice']);
      return o.status?.certificate ? o : undefined;
    });
    expect(signed.status.conditions).toEqual([
      {
        type: 'Approved',
        status: 'True',
        reason: 'KubectlApprove',
        message: 'This CSR was approved by kubectl certificate approve.',
        lastUpdateTime: expect.stringMatching(/Z$/),
        lastTransitionTime: expect.stringMatching(/Z$/),
      },
    ]);
    expect((await table(['get', 'csr', 'alice']))[1]![5]).toBe('Approved,Issued');
    const described = (await tc.kubectl(['describe', 'csr', 'alice'])).stdout;
    for (const line of [
      /^Requesting User: +kubernetes-admin$/m,
      /^Signer: +kubernetes.io\/kube-apiserver-client$/m,
      /^Requested Duration: +24h$/m,
      /^Status: +Approved,Issued$/m,
      /^ +Common Name: +alice$/m,
      /^ +Organization: +devs$/m,
    ])
      expect(described).toMatch(line);
    const bySigner = await tc.kubectl(['get', 'csr', '--field-selector=spec.signerName=kubernetes.io/kube-apiserver-client', '-o', 'name']);
    expect(bySigner.stdout.split('\n')).toContain('certificatesigningrequest.certificates.k8s.io/alice');
    const other = await tc.kubectl(['get', 'csr', '--field-selector=spec.signerName=example.com/none', '-o', 'name']);
    expect(other.stdout).toBe('');

    const certPem = Buffer.from(signed.status.certificate, 'base64').toString();
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(tc.cluster.caCert);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subject).toBe('O=devs\nCN=alice');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    // expirationSeconds honoured: a day, backdated 5 minutes at both ends.
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(86_400_000);

    // A kubeconfig with the key and the issued certificate is alice of group devs.
    const kc = join(tc.dir, 'alice.kubeconfig');
    writeFileSync(join(tc.dir, 'alice.crt'), certPem);
    writeFileSync(join(tc.dir, 'ca.crt'), tc.cluster.caCert);
    const k = (args: string[]) => runKubectl(['--kubeconfig', kc, ...args]);
    await k([
      'config',
      'set-cluster',
      'c',
      `--server=${tc.cluster.server}`,
      `--certificate-authority=${join(tc.dir, 'ca.crt')}`,
      '--embed-certs',
    ]);
    await k([
      'config',
      'set-credentials',
      'alice',
      `--client-certificate=${join(tc.dir, 'alice.crt')}`,
      `--client-key=${keyFile}`,
      '--embed-certs',
    ]);
    await k(['config', 'set-context', 'alice', '--cluster=c', '--user=alice']);
    await k(['config', 'use-context', 'alice']);
    expect(readFileSync(kc, 'utf8')).toMatch(/client-certificate-data: /);
    const who = JSON.parse((await k(['auth', 'whoami', '-o', 'json'])).stdout);
    expect(who.status.userInfo).toEqual({ username: 'alice', groups: ['devs', 'system:authenticated'] });

    // A request alice makes records alice as its requestor.
    const again = keyAndRequest('alice2', '/CN=alice');
    await runKubectl(['--kubeconfig', kc, 'create', '-f', '-'], {
      input: manifest('by-alice', again.request, '  signerName: example.com/mine\n  usages:\n  - client auth\n'),
    });
    expect((await json(['get', 'csr', 'by-alice'])).spec).toMatchObject({ username: 'alice', groups: ['devs', 'system:authenticated'] });
  });

  it('kubectl certificate deny: Denied, never signed, not approvable', async () => {
    const { request } = keyAndRequest('eve', '/CN=eve');
    await tc.kubectl(['create', '-f', '-'], {
      input: manifest('eve', request, '  signerName: kubernetes.io/kube-apiserver-client\n  usages:\n  - client auth\n'),
    });
    const deny = await tc.kubectl(['certificate', 'deny', 'eve']);
    expect(deny.stdout.trim()).toBe('certificatesigningrequest.certificates.k8s.io/eve denied');
    const eve = await json(['get', 'csr', 'eve']);
    expect(eve.status.conditions).toEqual([
      expect.objectContaining({
        type: 'Denied',
        status: 'True',
        reason: 'KubectlDeny',
        message: 'This CSR was denied by kubectl certificate deny.',
      }),
    ]);
    expect((await table(['get', 'csr', 'eve']))[1]![5]).toBe('Denied');
    // kubectl refuses to approve it; the server refuses a request that does both.
    const r = await tc.kubectl(['certificate', 'approve', 'eve'], { allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe('error: certificate signing request "eve" is already Denied');
    eve.status.conditions.push({ type: 'Approved', status: 'True', reason: 'Mine', message: 'yes' });
    const put = await api(tc.cluster, 'PUT', `${CSR_API}/certificatesigningrequests/eve/approval`, { body: eve });
    expect(put.status).toBe(422);
    expect(put.json().message).toBe(
      'CertificateSigningRequest.certificates.k8s.io "eve" is invalid: status.conditions[1].type: Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
    );
    expect((await json(['get', 'csr', 'eve'])).status.certificate).toBeUndefined();
  });

  it('a request the signer refuses gets its Failed condition', async () => {
    const { request } = keyAndRequest('srv', '/CN=srv');
    await tc.kubectl(['create', '-f', '-'], {
      input: manifest('srv', request, '  signerName: kubernetes.io/kube-apiserver-client\n  usages:\n  - client auth\n  - server auth\n'),
    });
    await tc.kubectl(['certificate', 'approve', 'srv']);
    const failed = await until(async () => {
      const o = await json(['get', 'csr', 'srv']);
      return o.status?.conditions?.find((c: { type: string }) => c.type === 'Failed');
    });
    expect(failed).toMatchObject({
      status: 'True',
      reason: 'SignerValidationFailure',
      message: 'invalid usage for client certificate: server auth',
    });
    expect((await table(['get', 'csr', 'srv']))[1]![5]).toBe('Approved,Failed');
    expect((await json(['get', 'csr', 'srv'])).status.certificate).toBeUndefined();
  });

  it('refuses invalid requests with upstream’s texts', async () => {
    const { request } = keyAndRequest('v', '/CN=v');
    const create = (name: string, req: string, spec: string) =>
      tc.kubectl(['create', '-f', '-'], { input: manifest(name, req, spec), allowFail: true });
    const notPem = await create(
      'bad-pem',
      Buffer.from('hi').toString('base64'),
      '  signerName: example.com/x\n  usages:\n  - client auth\n',
    );
    expect(notPem.stderr).toContain(
      'The CertificateSigningRequest "bad-pem" is invalid: spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST',
    );
    const legacy = await create(
      'legacy',
      request,
      '  signerName: kubernetes.io/legacy-unknown\n  expirationSeconds: 60\n  usages:\n  - client auth\n  - flying\n',
    );
    expect(legacy.stderr).toContain(
      'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version',
    );
    expect(legacy.stderr).toContain(
      'spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)',
    );
    expect(legacy.stderr).toContain('spec.usages[1]: Unsupported value: "flying": supported values: "any", "cert sign", "client auth"');
    const noSigner = await create('no-signer', request, '  signerName: signer\n  usages:\n  - client auth\n');
    expect(noSigner.stderr).toContain(
      'spec.signerName: Invalid value: "signer": must be a fully qualified domain and path of the form \'example.com/signer-name\'',
    );
    // The spec never changes after create.
    await create('fixed', request, '  signerName: example.com/x\n  usages:\n  - client auth\n');
    await tc.kubectl([
      'patch',
      'csr',
      'fixed',
      '--type=merge',
      '-p',
      '{"spec":{"usages":["server auth"]},"metadata":{"labels":{"a":"b"}}}',
    ]);
    const fixed = await json(['get', 'csr', 'fixed']);
    expect(fixed.spec.usages).toEqual(['client auth']);
    expect(fixed.metadata.labels).toEqual({ a: 'b' });
  });
});
