// The csrcleaner controller (pkg/controller/certificates/cleaner): every hour, requests that are
// done with are deleted so automatic requesters cannot pile them up: issued ones an hour after
// approval, denied and failed ones an hour after that condition, pending ones after a day, and
// any whose certificate has expired.
import { X509Certificate } from 'node:crypto';
import { requireDef } from '../../registry/kinds.js';
import { storageResource } from '../../registry/types.js';
import { tolerate, type Controller, type ControllerContext } from '../context.js';
import { APPROVED, DENIED, FAILED, bytesOf, type CsrObj } from '../../registry/certificates/validation.js';

const HOUR = 3_600_000;
export const POLLING_INTERVAL_MS = HOUR;
const APPROVED_EXPIRATION = HOUR;
const DENIED_EXPIRATION = HOUR;
const PENDING_EXPIRATION = 24 * HOUR;

/** The first certificate's NotAfter (undefined when there is none or it does not parse). */
function certificateNotAfter(csr: CsrObj): number | undefined {
  const pem = bytesOf(csr.status?.certificate)?.toString('latin1');
  const m = pem && /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return undefined;
  try {
    return Date.parse(new X509Certificate(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')).validTo);
  } catch {
    return undefined;
  }
}

/** Whether the cleaner deletes this request at `now`. */
export function isCleanable(csr: CsrObj, now: number): boolean {
  const olderThan = (t: string | undefined, ms: number) => !!t && now - Date.parse(t) > ms;
  const conds = csr.status?.conditions ?? [];
  const issued = !!csr.status?.certificate;
  if (issued && conds.some((c) => c.type === APPROVED && olderThan(c.lastUpdateTime, APPROVED_EXPIRATION))) return true;
  if (conds.some((c) => (c.type === DENIED || c.type === FAILED) && olderThan(c.lastUpdateTime, DENIED_EXPIRATION))) return true;
  if (!conds.length && olderThan(csr.metadata.creationTimestamp, PENDING_EXPIRATION)) return true;
  const notAfter = issued ? certificateNotAfter(csr) : undefined;
  return notAfter !== undefined && conds.some((c) => c.type === APPROVED) && now > notAfter;
}

export function startCSRCleanerController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, clock } = ctx;
  const def = requireDef(defs, 'certificates.k8s.io', 'certificatesigningrequests');
  const resource = storageResource(def);
  let cancel: (() => void) | undefined;
  let stopped = false;
  const sweep = () => {
    const now = clock.now();
    for (const csr of store.listObjects(resource) as CsrObj[]) {
      if (!isCleanable(csr, now)) continue;
      try {
        tolerate(() => registry.delete(def, '', csr.metadata.name!, { preconditions: { uid: csr.metadata.uid } }), [404, 409]);
      } catch (err) {
        log.warn({ err, csr: csr.metadata.name }, 'unable to delete certificate signing request');
      }
    }
    if (!stopped) cancel = clock.after(POLLING_INTERVAL_MS, sweep);
  };
  sweep();
  return {
    stop() {
      stopped = true;
      cancel?.();
    },
    idle: async () => undefined,
  };
}
