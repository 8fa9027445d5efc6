// SetDefaults for apiextensions.k8s.io/v1 CustomResourceDefinitions (upstream's
// pkg/apis/apiextensions/v1/defaults.go): the singular name is the lowercased kind, the list kind
// `<Kind>List`, conversion None, a webhook Service's port 443, and status.storedVersions starts as
// the storage version. v1 has no scope default: scope is required.
import type { CRD, CRDSpec } from './types.js';

export function setDefaultsCRDSpec(spec: CRDSpec): void {
  const names = (spec.names ??= {});
  if (!names.singular) names.singular = (names.kind ?? '').toLowerCase();
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  if (!spec.conversion) spec.conversion = { strategy: 'None' };
  const service = spec.conversion.webhook?.clientConfig?.service;
  if (service && service.port == null) service.port = 443;
}

/** SetObjectDefaults_CustomResourceDefinition: mutates `crd` in place. */
export function setDefaultsCRD(crd: CRD): void {
  const spec = (crd.spec ??= {});
  setDefaultsCRDSpec(spec);
  const status = (crd.status ??= {});
  if (!status.storedVersions || status.storedVersions.length === 0) {
    const storage = (spec.versions ?? []).find((v) => v.storage);
    if (storage) status.storedVersions = [storage.name ?? ''];
  }
}
