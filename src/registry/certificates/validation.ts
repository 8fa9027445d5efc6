// Validation of CertificateSigningRequests, after upstream's pkg/apis/certificates/validation:
// the request must be a PEM CSR whose signature checks out, known and unique usages, a valid
// signerName (never kubernetes.io/legacy-unknown through v1), expirationSeconds of at least 600,
// well-formed conditions (Approved/Denied/Failed only True; Approved and Denied exclusive) and a
// status.certificate of CERTIFICATE PEM blocks. Updates may not remove Approved/Denied/Failed
// conditions; only the approval subresource may add or change Approved/Denied, only the status
// subresource may set the certificate, once. What objects stored before a rule existed already
// break is tolerated on their updates, as upstream's getValidationOptions does.
import { X509Certificate } from 'node:crypto';
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from '../../api/generated/certificates/v1.js';
import { fieldErr, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../apimachinery/validation.js';
import { deepEqual } from '../../apimachinery/meta.js';
import { checkSignature, parseCSRPem } from '../../pki/csr.js';
import type { Obj } from '../define.js';

export type CsrObj = Obj<CertificateSigningRequest>;

export const APPROVED = 'Approved';
export const DENIED = 'Denied';
export const FAILED = 'Failed';
export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

/** Every KeyUsage of certificates/v1, sorted (the `supported values` of an unknown one). */
export const ALL_USAGES = [
  'any',
  'cert sign',
  'client auth',
  'code signing',
  'content commitment',
  'crl sign',
  'data encipherment',
  'decipher only',
  'digital signature',
  'email protection',
  'encipher only',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'key agreement',
  'key encipherment',
  'microsoft sgc',
  'netscape sgc',
  'ocsp signing',
  's/mime',
  'server auth',
  'signing',
  'timestamping',
];

const TRUE_ONLY = new Set([APPROVED, DENIED, FAILED]);
const ALL_STATUSES = ['False', 'True', 'Unknown'];

/** The bytes of a `format: byte` field (base64 in JSON); undefined when absent. */
export function bytesOf(b64: string | null | undefined): Buffer | undefined {
  return typeof b64 === 'string' ? Buffer.from(b64, 'base64') : undefined;
}

/** Go's %#v of a []byte, the bad value of an invalid spec.request. */
function goBytes(b: Buffer | undefined): GoLiteral {
  if (!b) return new GoLiteral('[]byte(nil)');
  return new GoLiteral(`[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`);
}

/** validateCSR: a parsable PEM CSR with a valid signature; the error text, or undefined. */
function csrError(request: Buffer | undefined): string | undefined {
  try {
    checkSignature(parseCSRPem(request ?? Buffer.alloc(0)));
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** validateCertificate: PEM CERTIFICATE blocks only, no headers, each parsable; empty is fine. */
export function certificateError(pem: Buffer | undefined): string | undefined {
  if (!pem || !pem.length) return undefined;
  const re = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
  let blocks = 0;
  for (const m of pem.toString('latin1').matchAll(re)) {
    if (m[1] !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(m[1])}`;
    if (/^[A-Za-z-]+:/m.test(m[2]!)) return 'no PEM block headers are permitted';
    blocks++;
    try {
      new X509Certificate(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
    } catch {
      return 'x509: malformed certificate';
    }
  }
  return blocks ? undefined : 'must contain at least one CERTIFICATE PEM block';
}

/** ValidateSignerName (pkg/apis/core/validation): `example.com/signer-name`, DNS labels, bounded lengths. */
export function validateSignerName(f: string, signerName: string): FieldError[] {
  if (!signerName) return [fieldErr.required(f)];
  const segments = signerName.split('/');
  if (segments.length !== 2)
    return [fieldErr.invalid(f, signerName, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, path] = segments as [string, string];
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push(fieldErr.tooLong(f, 253));
  const domainLabels = domain.split('.');
  for (const lbl of domainLabels) {
    const msgs = isDNS1123Label(lbl);
    if (msgs.length) {
      // One label's errors only: the rest would read the same.
      for (const m of msgs) errs.push(fieldErr.invalid(f, domain, `validating label ${JSON.stringify(lbl)}: ${m}`));
      break;
    }
  }
  if (domainLabels.length < 2) errs.push(fieldErr.invalid(f, domain, 'should be a domain with at least two segments separated by dots'));
  for (const lbl of path.split('.')) {
    const msgs = isDNS1123Subdomain(lbl);
    if (msgs.length) {
      for (const m of msgs) errs.push(fieldErr.invalid(f, path, `validating label ${JSON.stringify(lbl)}: ${m}`));
      break;
    }
  }
  const max = 253 + (253 + 63 + 1) + 1;
  if (signerName.length > max) errs.push(fieldErr.tooLong(f, max));
  return errs;
}

/** certificateValidationOptions: what a write path may do, and what stored objects already do. */
interface Options {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

const conditionsOf = (csr: CsrObj): CertificateSigningRequestCondition[] => csr.status?.conditions ?? [];

function options(csr: CsrObj, old?: CsrObj): Options {
  const oldConds = old ? conditionsOf(old) : [];
  const types = oldConds.map((c) => c.type ?? '');
  const oldUsages = old?.spec?.usages ?? [];
  const cert = bytesOf(csr.status?.certificate);
  const oldCert = old ? bytesOf(old.status?.certificate) : undefined;
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: types.includes(APPROVED) && types.includes(DENIED),
    allowLegacySignerName: old?.spec?.signerName === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: new Set(types).size !== types.length,
    allowEmptyConditionType: types.includes(''),
    allowArbitraryCertificate:
      (!!old && Buffer.compare(cert ?? Buffer.alloc(0), oldCert ?? Buffer.alloc(0)) === 0) ||
      (!!old && certificateError(oldCert) !== undefined),
    allowUnknownUsages: oldUsages.some((u) => !ALL_USAGES.includes(u)),
    allowDuplicateUsages: new Set(oldUsages).size !== oldUsages.length,
  };
}

function validateConditions(csr: CsrObj, o: Options): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(csr).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = c.type ?? '';
    if (!o.allowEmptyConditionType && !type) errs.push(fieldErr.required(`${p}.type`));
    const allowed = TRUE_ONLY.has(type) ? ['True'] : ALL_STATUSES;
    if (!c.status) errs.push(fieldErr.required(`${p}.status`));
    else if (!allowed.includes(c.status)) errs.push(fieldErr.notSupported(`${p}.status`, c.status, allowed));
    if (!o.allowBothApprovedAndDenied) {
      if (type === APPROVED) {
        approved = true;
        if (denied) errs.push(fieldErr.invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === DENIED) {
        denied = true;
        if (approved) errs.push(fieldErr.invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!o.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push(fieldErr.duplicate(`${p}.type`, type));
      seen.add(type);
    }
  });
  return errs;
}

function validate(csr: CsrObj, o: Options): FieldError[] {
  const errs: FieldError[] = [];
  const spec = csr.spec ?? ({} as CsrObj['spec']);
  const request = bytesOf(spec.request);
  const err = csrError(request);
  if (err) errs.push(fieldErr.invalid('spec.request', goBytes(request), err));
  const usages = spec.usages ?? [];
  if (!usages.length) errs.push(fieldErr.required('spec.usages'));
  if (!o.allowUnknownUsages)
    usages.forEach((u, i) => {
      if (!ALL_USAGES.includes(u)) errs.push(fieldErr.notSupported(`spec.usages[${i}]`, u, ALL_USAGES));
    });
  if (!o.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(fieldErr.duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  const signerName = spec.signerName ?? '';
  if (!o.allowLegacySignerName && signerName === LEGACY_UNKNOWN_SIGNER)
    errs.push(fieldErr.invalid('spec.signerName', signerName, 'the legacy signerName is not allowed via this API version'));
  else errs.push(...validateSignerName('spec.signerName', signerName));
  const exp = spec.expirationSeconds;
  if (typeof exp === 'number' && exp < 600)
    errs.push(fieldErr.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
  errs.push(...validateConditions(csr, o));
  if (!o.allowArbitraryCertificate) {
    const certErr = certificateError(bytesOf(csr.status?.certificate));
    if (certErr) errs.push(fieldErr.invalid('status.certificate', '<certificate data>', certErr));
  }
  return errs;
}

/** ValidateCertificateSigningRequestCreate. */
export function validateCSRCreate(csr: CsrObj): FieldError[] {
  return validate(csr, options(csr));
}

function validateUpdate(csr: CsrObj, old: CsrObj, o: Options): FieldError[] {
  const errs = validate(csr, o);
  const find = (x: CsrObj, t: string) => conditionsOf(x).filter((c) => c.type === t);
  for (const t of [APPROVED, DENIED, FAILED])
    if (find(csr, t).length < find(old, t).length)
      errs.push(fieldErr.forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
  if (!o.allowSettingApprovalConditions)
    for (const t of [APPROVED, DENIED]) {
      const before = find(old, t);
      const after = find(csr, t);
      if (after.length > before.length)
        errs.push(fieldErr.forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      // Upstream appends a go-cmp diff of the two to this text; cmp's output is deliberately unstable, so it is left out.
      else if (after.length === before.length && !deepEqual(before, after))
        errs.push(fieldErr.forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
    }
  const cert = bytesOf(csr.status?.certificate) ?? Buffer.alloc(0);
  const oldCert = bytesOf(old.status?.certificate) ?? Buffer.alloc(0);
  if (Buffer.compare(cert, oldCert) !== 0) {
    if (!o.allowSettingCertificate) errs.push(fieldErr.forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert.length) errs.push(fieldErr.forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return errs;
}

/** ValidateCertificateSigningRequestUpdate (the object itself: metadata only changes). */
export const validateCSRUpdate = (csr: CsrObj, old: CsrObj) => validateUpdate(csr, old, options(csr, old));

/** ValidateCertificateSigningRequestStatusUpdate: the certificate may be set. */
export const validateCSRStatusUpdate = (csr: CsrObj, old: CsrObj) =>
  validateUpdate(csr, old, { ...options(csr, old), allowSettingCertificate: true });

/** ValidateCertificateSigningRequestApprovalUpdate: Approved/Denied may be added. */
export const validateCSRApprovalUpdate = (csr: CsrObj, old: CsrObj) =>
  validateUpdate(csr, old, { ...options(csr, old), allowSettingApprovalConditions: true });
