// ValidatingWebhookConfiguration and MutatingWebhookConfiguration (admissionregistration.k8s.io/v1),
// after upstream's pkg/registry/admissionregistration strategies: cluster-scoped, generation 1 on
// create and raised by any change of the webhooks, the v1 defaults of
// pkg/apis/admissionregistration/v1/defaults.go (failurePolicy Fail, matchPolicy Equivalent, empty
// namespace and object selectors, timeoutSeconds 10, rules' scope `*`, service port 443, a mutating
// webhook's reinvocationPolicy Never; sideEffects and admissionReviewVersions have no default in v1),
// validation in ./webhook-validation.ts, and printers.go's NAME, WEBHOOKS, AGE. The webhooks are
// called by ../admission (writes through AdmittedWrites).
import {
  schemas,
  type MutatingWebhook,
  type MutatingWebhookConfiguration,
  type RuleWithOperations,
  type ValidatingWebhook,
  type ValidatingWebhookConfiguration,
} from '../../api/generated/admissionregistration/v1.js';
import { asObject, defineKind, objectsIn, type Obj } from '../define.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { ADMISSION_GROUP, updateOptions, validateWebhookConfiguration, type AnyWebhook } from './webhook-validation.js';

export type ValidatingWebhookConfigurationObj = Obj<ValidatingWebhookConfiguration>;
export type MutatingWebhookConfigurationObj = Obj<MutatingWebhookConfiguration>;

const unset = (v: unknown) => v === undefined || v === null;

/** SetDefaults_Rule (through RuleWithOperations). */
function defaultRule(rule: RuleWithOperations): void {
  if (unset(rule.scope)) rule.scope = '*';
}

/** SetDefaults_ValidatingWebhook / SetDefaults_MutatingWebhook, with the nested rule and service defaults. */
export function defaultWebhook(hook: ValidatingWebhook | MutatingWebhook, mutating: boolean): void {
  if (unset(hook.failurePolicy)) hook.failurePolicy = 'Fail';
  if (unset(hook.matchPolicy)) hook.matchPolicy = 'Equivalent';
  if (unset(hook.namespaceSelector)) hook.namespaceSelector = {};
  if (unset(hook.objectSelector)) hook.objectSelector = {};
  if (unset(hook.timeoutSeconds)) hook.timeoutSeconds = 10;
  if (mutating && unset((hook as MutatingWebhook).reinvocationPolicy)) (hook as MutatingWebhook).reinvocationPolicy = 'Never';
  for (const rule of objectsIn(hook.rules)) defaultRule(rule);
  const svc = asObject(asObject(hook.clientConfig)?.service);
  // SetDefaults_ServiceReference
  if (svc && unset(svc.port)) svc.port = 443;
}

type AnyConfigurationObj = ValidatingWebhookConfigurationObj | MutatingWebhookConfigurationObj;

const webhooksOf = (o: AnyConfigurationObj): AnyWebhook[] => objectsIn<AnyWebhook>(o.webhooks as AnyWebhook[] | undefined);

/** printValidatingWebhook / printMutatingWebhook. */
const table = {
  columns: [
    nameColumn(),
    column('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration', 0, 'integer'),
    ageColumn(),
  ],
  row: (o: AnyConfigurationObj, now: Date) => [o.metadata.name, Array.isArray(o.webhooks) ? o.webhooks.length : 0, age(o, now)],
};

const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const strategy = (mutating: boolean) => ({
  defaults: (o: AnyConfigurationObj) => {
    for (const hook of webhooksOf(o)) defaultWebhook(hook as ValidatingWebhook, mutating);
  },
  prepareForCreate: (o: AnyConfigurationObj) => {
    o.metadata.generation = 1;
  },
  prepareForUpdate: (o: AnyConfigurationObj, old: AnyConfigurationObj) => {
    const gen = old.metadata.generation ?? 0;
    o.metadata.generation = sameJSON(o.webhooks, old.webhooks) ? gen : gen + 1;
  },
  validate: (o: AnyConfigurationObj) => validateWebhookConfiguration(webhooksOf(o), mutating),
  validateUpdate: (o: AnyConfigurationObj, old: AnyConfigurationObj) =>
    validateWebhookConfiguration(webhooksOf(o), mutating, updateOptions(webhooksOf(o), webhooksOf(old))),
  table,
});

export const validatingWebhookConfigurationDef = defineKind<ValidatingWebhookConfigurationObj>({
  group: ADMISSION_GROUP,
  version: 'v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  singular: 'validatingwebhookconfiguration',
  namespaced: false,
  categories: ['api-extensions'],
  get schema() {
    return schemas.ValidatingWebhookConfiguration;
  },
  openapiName: 'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration',
  ...strategy(false),
});

export const mutatingWebhookConfigurationDef = defineKind<MutatingWebhookConfigurationObj>({
  group: ADMISSION_GROUP,
  version: 'v1',
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  singular: 'mutatingwebhookconfiguration',
  namespaced: false,
  categories: ['api-extensions'],
  get schema() {
    return schemas.MutatingWebhookConfiguration;
  },
  openapiName: 'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration',
  ...strategy(true),
});
