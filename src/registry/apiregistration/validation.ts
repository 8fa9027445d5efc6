// upstream k8s.io/kube-aggregator pkg/apis/apiregistration/validation: ValidateAPIService (the
// name must be `spec.version + "." + spec.group`, only v1 may have an empty group, the priority
// ranges, local APIServices without TLS settings, a Service reference's namespace and name) and
// ValidateAPIServiceStatus (condition statuses True, False or Unknown).
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { isDNS1035Label, isDNS1123Subdomain, nameIsPathSegment, validateObjectMeta } from '../../apimachinery/validation.js';
import type { APIService } from '../../api/generated/apiregistration/v1.js';
import type { Obj } from '../define.js';

export type APIServiceObj = Obj<APIService>;

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];

/** The byte length of a base64 caBundle as Go sees the []byte (JSON carries it base64-encoded). */
const caBundleBytes = (b64: string | undefined | null): number => (b64 ? Buffer.from(b64, 'base64').length : 0);

/** upstream ValidateAPIService, ObjectMeta included (its name rule is the APIService's own). */
export function validateAPIService(svc: APIServiceObj): FieldError[] {
  const spec = svc.spec ?? ({} as NonNullable<APIServiceObj['spec']>);
  const group = spec.group ?? '';
  const version = spec.version ?? '';
  const requiredName = `${version}.${group}`;
  const errs = validateObjectMeta(svc.metadata, {
    namespaced: false,
    name: (name) => {
      const minimal = nameIsPathSegment(name, false);
      if (minimal.length) return minimal;
      return name === requiredName ? [] : [`must be \`spec.version+"."+spec.group\`: ${JSON.stringify(requiredName)}`];
    },
  });
  // In this case an empty group is allowed: the legacy core group.
  if (!group && version !== 'v1')
    errs.push(fieldErr.required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group) for (const m of isDNS1123Subdomain(group)) errs.push(fieldErr.invalid('spec.group', group, m));
  for (const m of isDNS1035Label(version)) errs.push(fieldErr.invalid('spec.version', version, m));
  const gpm = spec.groupPriorityMinimum ?? 0;
  if (gpm <= 0 || gpm > 20000) errs.push(fieldErr.invalid('spec.groupPriorityMinimum', gpm, 'must be positive and less than 20000'));
  const vp = spec.versionPriority ?? 0;
  if (vp <= 0 || vp > 1000) errs.push(fieldErr.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
  const ca = caBundleBytes(spec.caBundle);
  if (!spec.service) {
    if (ca) errs.push(fieldErr.invalid('spec.caBundle', `${ca} bytes`, 'local APIServices may not have a caBundle'));
    if (spec.insecureSkipTLSVerify)
      errs.push(fieldErr.invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    return errs;
  }
  if (!spec.service.namespace) errs.push(fieldErr.required('spec.service.namespace'));
  if (!spec.service.name) errs.push(fieldErr.required('spec.service.name'));
  if (spec.insecureSkipTLSVerify && ca)
    errs.push(fieldErr.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  return errs;
}

/** upstream ValidateAPIServiceStatus. */
export function validateAPIServiceStatus(svc: APIServiceObj): FieldError[] {
  const errs: FieldError[] = [];
  (svc.status?.conditions ?? []).forEach((c, i) => {
    if (!CONDITION_STATUSES.includes(c?.status ?? ''))
      errs.push(fieldErr.notSupported(`status.conditions[${i}].status`, c?.status ?? '', CONDITION_STATUSES));
  });
  return errs;
}
