// CRDs for the CRD validation tests: the CronTab CRD of the Kubernetes docs ("Extend the Kubernetes
// API with CustomResourceDefinitions"), and builders for variants.
import { setDefaultsCRD } from '../../src/registry/apiextensions/crd/defaults.js';
import type { CRD, JSONSchemaProps } from '../../src/registry/apiextensions/crd/types.js';

export const cronTabSchema = (): JSONSchemaProps => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cronSpec: { type: 'string' },
        image: { type: 'string' },
        replicas: { type: 'integer' },
      },
    },
  },
});

export function cronTab(): CRD {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: cronTabSchema() } }],
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
    },
  };
}

/** A copy of `crd` changed by `edit`, then defaulted as the API server would before validating. */
export function defaulted(crd: CRD, edit: (c: CRD) => void = () => {}): CRD {
  const c = structuredClone(crd);
  edit(c);
  setDefaultsCRD(c);
  return c;
}
