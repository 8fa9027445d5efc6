// CertificateSigningRequest (certificates.k8s.io/v1, cluster-scoped), after upstream's
// pkg/registry/certificates/certificates strategy: the requestor (username, uid, groups, extra)
// comes from the authenticated user on create and the status starts empty, so nobody creates a
// pre-approved request; the object itself then only changes metadata. Its two subresources split
// the status between two parties: `approval` writes the conditions (kubectl certificate
// approve/deny), `status` writes the certificate and other conditions (the signer) but keeps the
// Approved/Denied ones. Conditions get their lastUpdateTime and lastTransitionTime filled in.
// SetDefaults_CertificateSigningRequestCondition makes a condition's empty status True.
// printCertificateSigningRequest's table; `spec.signerName` is a field selector.
import { schemas } from '../../api/generated/certificates/v1.js';
import type { CertificateSigningRequestCondition } from '../../api/generated/certificates/v1.js';
import { defineKind } from '../define.js';
import { rfc3339 } from '../../apimachinery/meta.js';
import { ageColumn, column, humanDuration, nameColumn, translateTimestampSince } from '../printers.js';
import {
  APPROVED,
  DENIED,
  FAILED,
  validateCSRApprovalUpdate,
  validateCSRCreate,
  validateCSRStatusUpdate,
  validateCSRUpdate,
  type CsrObj,
} from './validation.js';

/** populateConditionTimestamps: conditions sent without times get now (a transition time kept while the status is unchanged). */
function populateConditionTimestamps(csr: CsrObj, old: CsrObj, now: Date): void {
  const t = rfc3339(now);
  for (const c of csr.status?.conditions ?? []) {
    c.lastUpdateTime ||= t;
    if (!c.lastTransitionTime) {
      const same = (old.status?.conditions ?? []).find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime);
      c.lastTransitionTime = same?.lastTransitionTime ?? t;
    }
  }
}

/** preserveConditionInstances: a status write keeps the stored Approved/Denied conditions (when it sends as many). */
function preserveConditions(csr: CsrObj, old: CsrObj, type: string): void {
  const conds = csr.status?.conditions ?? [];
  const oldConds = (old.status?.conditions ?? []).filter((c) => c.type === type);
  const at = conds.flatMap((c, i) => (c.type === type ? [i] : []));
  if (at.length !== oldConds.length) return;
  at.forEach((i, k) => (conds[i] = structuredClone(oldConds[k]!)));
}

/** extractCSRStatus: Denied, Approved or Pending, then ,Failed and ,Issued. */
export function csrCondition(csr: CsrObj): string {
  const types = new Set((csr.status?.conditions ?? []).map((c: CertificateSigningRequestCondition) => c.type));
  let s = types.has(DENIED) ? 'Denied' : types.has(APPROVED) ? 'Approved' : 'Pending';
  if (types.has(FAILED)) s += ',Failed';
  if (csr.status?.certificate) s += ',Issued';
  return s;
}

// The column descriptions are certificates/v1beta1's field docs, as upstream's printer takes them.
const SIGNER_NAME_DESC =
  'Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. If empty, it will be defaulted:\n 1. If it\'s a kubelet client certificate, it is assigned\n    "kubernetes.io/kube-apiserver-client-kubelet".\n 2. If it\'s a kubelet serving certificate, it is assigned\n    "kubernetes.io/kubelet-serving".\n 3. Otherwise, it is assigned "kubernetes.io/legacy-unknown".\nDistribution of trust for signers happens out of band. You can select on this field using `spec.signerName`.';
const REQUEST_DESC = 'Base64-encoded PKCS#10 CSR data';
const EXPIRATION_DESC =
  'expirationSeconds is the requested duration of validity of the issued certificate. The certificate signer may issue a certificate with a different validity duration so a client must check the delta between the notBefore and and notAfter fields in the issued certificate to determine the actual duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long as the requested duration is not greater than the maximum duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is shorter than the requested duration\n  3. Signer whose configured minimum is longer than the requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes.';
const CONDITIONS_DESC = 'Conditions applied to the request, such as approval or denial.';

export const certificateSigningRequestDef = defineKind<CsrObj>({
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  plural: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  namespaced: false,
  shortNames: ['csr'],
  get schema() {
    return schemas.CertificateSigningRequest;
  },
  openapiName: 'io.k8s.api.certificates.v1.CertificateSigningRequest',
  statusSubresource: true,
  partSubresources: {
    // kubectl certificate approve/deny: the conditions sent, the rest as stored.
    approval: {
      take: (next, cur) => ({ ...cur, status: { ...cur.status, conditions: next.status?.conditions } }) as CsrObj,
      validateUpdate: (csr, old) => validateCSRApprovalUpdate(csr, old),
    },
  },
  defaults(csr) {
    for (const c of csr.status?.conditions ?? []) if (c && !c.status) c.status = 'True';
  },
  prepareForCreate(csr, ctx) {
    const spec = (csr.spec ??= {} as CsrObj['spec']);
    delete spec.username;
    delete spec.uid;
    delete spec.groups;
    delete spec.extra;
    const u = ctx.user;
    if (u) {
      spec.username = u.username;
      if (u.uid) spec.uid = u.uid;
      if (u.groups.length) spec.groups = [...u.groups];
      if (u.extra && Object.keys(u.extra).length) spec.extra = structuredClone(u.extra);
    }
    csr.status = {};
  },
  prepareForUpdate(csr, old, ctx) {
    csr.spec = structuredClone(old.spec);
    if (ctx.subresource === 'status') {
      preserveConditions(csr, old, APPROVED);
      preserveConditions(csr, old, DENIED);
      populateConditionTimestamps(csr, old, ctx.now);
    } else if (ctx.subresource === 'approval') {
      populateConditionTimestamps(csr, old, ctx.now);
      csr.status = { ...structuredClone(old.status), conditions: csr.status?.conditions };
    } else csr.status = structuredClone(old.status);
    if (csr.status && !csr.status.conditions?.length) delete csr.status.conditions;
  },
  validate: (csr) => validateCSRCreate(csr),
  validateUpdate: (csr, old) => validateCSRUpdate(csr, old),
  validateStatusUpdate: (csr, old) => validateCSRStatusUpdate(csr, old),
  table: {
    columns: [
      nameColumn(),
      ageColumn(),
      column('SignerName', SIGNER_NAME_DESC),
      column('Requestor', REQUEST_DESC),
      column('RequestedDuration', EXPIRATION_DESC),
      column('Condition', CONDITIONS_DESC),
    ],
    row: (csr, now) => [
      csr.metadata.name,
      translateTimestampSince(csr.metadata.creationTimestamp, now),
      csr.spec?.signerName || '<none>',
      csr.spec?.username ?? '',
      typeof csr.spec?.expirationSeconds === 'number' ? humanDuration(csr.spec.expirationSeconds * 1000) : '<none>',
      csrCondition(csr),
    ],
  },
  fieldSelectors: {
    'spec.signerName': (csr) => csr.spec?.signerName ?? '',
  },
});
