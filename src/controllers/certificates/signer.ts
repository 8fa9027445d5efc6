// The csrsigning controllers of kube-controller-manager (pkg/controller/certificates/signer): an
// approved CertificateSigningRequest for one of the built-in signers gets a certificate from the
// cluster CA in status.certificate, valid for min(spec.expirationSeconds, --cluster-signing-duration
// of one year) but at least 10 minutes. A request a signer cannot take (a kube-apiserver-client
// request without `client auth`, a kubelet one not for a node) gets a Failed condition instead.
// kubernetes.io/legacy-unknown, which upstream also signs, cannot be created through
// certificates.k8s.io/v1 (the only version served), so there is nothing of it to sign.
import { requireDef } from '../../registry/kinds.js';
import { rfc3339 } from '../../apimachinery/meta.js';
import { storageResource } from '../../registry/types.js';
import { createQueue } from '../queue.js';
import { errText, tolerate, type Controller, type ControllerContext } from '../context.js';
import { checkSignature, issueCertificate, parseCSRPem, type CertificateRequest } from '../../pki/csr.js';
import { APPROVED, DENIED, FAILED, bytesOf, type CsrObj } from '../../registry/certificates/validation.js';

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';

/** --cluster-signing-duration's default (8760h). */
export const CLUSTER_SIGNING_DURATION_MS = 365 * 24 * 3_600_000;
const MIN_DURATION_MS = 10 * 60_000;

const FIELD_MANAGER = 'kube-controller-manager';

const sameSet = (usages: readonly string[], want: readonly string[]) => {
  const u = new Set(usages);
  return u.size === want.length && want.every((w) => u.has(w));
};

/** capihelper.ValidateKubeletClientCSR. */
function kubeletClientError(req: CertificateRequest, usages: readonly string[]): string | undefined {
  if (req.subject.organization.length !== 1 || req.subject.organization[0] !== 'system:nodes')
    return 'subject organization is not system:nodes';
  if (req.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  if (req.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (req.ipAddresses.length) return 'IP subjectAltNames are not allowed';
  if (req.uris.length) return 'URI subjectAltNames are not allowed';
  if (!req.subject.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  const required = ['client auth', 'digital signature', 'key encipherment'];
  if (!sameSet(usages, required) && !sameSet(usages, ['client auth', 'digital signature']))
    return `usages did not match [${required.join(' ')}]`;
  return undefined;
}

/** capihelper.ValidateKubeletServingCSR. */
function kubeletServingError(req: CertificateRequest, usages: readonly string[]): string | undefined {
  if (req.subject.organization.length !== 1 || req.subject.organization[0] !== 'system:nodes')
    return 'subject organization is not system:nodes';
  if (!req.dnsNames.length && !req.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (req.uris.length) return 'URI subjectAltNames are not allowed';
  const required = ['digital signature', 'key encipherment', 'server auth'];
  if (!sameSet(usages, required) && !sameSet(usages, ['digital signature', 'server auth']))
    return `usages did not match [${required.join(' ')}]`;
  if (!req.subject.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** validAPIServerClientUsages: client auth, optionally digital signature and key encipherment. */
function apiServerClientError(usages: readonly string[]): string | undefined {
  for (const u of usages)
    if (u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth') return `invalid usage for client certificate: ${u}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return undefined;
}

/** Why the signer of `signerName` refuses the request; undefined when it signs it. */
export function signerRefusal(signerName: string, req: CertificateRequest, usages: readonly string[]): string | undefined {
  if (signerName === KUBELET_SERVING) return kubeletServingError(req, usages);
  if (signerName === KUBE_APISERVER_CLIENT_KUBELET) return kubeletClientError(req, usages);
  return apiServerClientError(usages);
}

/** signer.duration: the requested lifetime within [10 min, the signing duration]. */
export function signingDuration(expirationSeconds: number | undefined | null, maxMs = CLUSTER_SIGNING_DURATION_MS): number {
  if (typeof expirationSeconds !== 'number') return maxMs;
  const ms = expirationSeconds * 1000;
  return ms > maxMs ? maxMs : ms < MIN_DURATION_MS ? MIN_DURATION_MS : ms;
}

const hasTrue = (csr: CsrObj, type: string) => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** IsCertificateRequestApproved: approved and not denied. */
export const isApproved = (csr: CsrObj) => hasTrue(csr, APPROVED) && !hasTrue(csr, DENIED);

export const BUILT_IN_SIGNERS = [KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, KUBELET_SERVING];

export function startCSRSigningController(ctx: ControllerContext & { caKeyPem?: string }): Controller {
  const { store, registry, defs, log, clock } = ctx;
  const def = requireDef(defs, 'certificates.k8s.io', 'certificatesigningrequests');
  const resource = storageResource(def);
  const ca = ctx.caCertPem && ctx.caKeyPem ? { certPem: ctx.caCertPem, keyPem: ctx.caKeyPem } : undefined;
  if (!ca) log.info('no cluster CA key: certificate signing requests are not signed');

  const sync = (name: string) => {
    const csr = store.get(resource, '', name) as CsrObj | undefined;
    if (!csr || !ca) return;
    if (!isApproved(csr) || hasTrue(csr, FAILED) || csr.status?.certificate) return;
    const signerName = csr.spec?.signerName ?? '';
    if (!BUILT_IN_SIGNERS.includes(signerName)) return;
    let req: CertificateRequest;
    try {
      req = parseCSRPem(bytesOf(csr.spec.request) ?? Buffer.alloc(0));
      checkSignature(req);
    } catch (e) {
      throw new Error(`unable to parse csr ${JSON.stringify(name)}: ${errText(e)}`);
    }
    const usages = csr.spec.usages ?? [];
    const next = structuredClone(csr);
    const refusal = signerRefusal(signerName, req, usages);
    if (refusal) {
      next.status = {
        ...next.status,
        conditions: [
          ...(next.status?.conditions ?? []),
          {
            type: FAILED,
            status: 'True',
            reason: 'SignerValidationFailure',
            message: refusal,
            lastUpdateTime: rfc3339(new Date(clock.now())),
          },
        ],
      };
    } else {
      const pem = issueCertificate(req, ca, {
        ttlMs: signingDuration(csr.spec.expirationSeconds),
        usages,
        now: new Date(clock.now()),
      });
      next.status = { ...next.status, certificate: Buffer.from(pem).toString('base64') };
    }
    // A newer version (or a deleted request) is synced again by its own event.
    tolerate(() => registry.update(def, '', name, next, { subresource: 'status', fieldManager: FIELD_MANAGER, trusted: true }), [404, 409]);
  };

  const q = createQueue('csrsigning', sync, (name, err) => log.warn({ err, csr: name }, 'signing certificate request failed'));
  const unsub = store.subscribe(resource, (ev) => {
    if (ev.type !== 'DELETED') q.add(ev.name);
  });
  for (const csr of store.listObjects(resource)) q.add(csr.metadata.name!);
  return {
    stop() {
      unsub();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
