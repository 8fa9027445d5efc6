// Runs the operator on this host against the cluster of the current kubeconfig context, as
// `make run` runs a kubebuilder project's manager while you work on it:
//
//   tinykube up --detach
//   kubectl apply -f examples/website-operator/config/crd.yaml
//   npx vite-node examples/website-operator/src/main.ts
//
// With that context's identity it also installs config/webhook.yaml pointed at its own webhook
// (127.0.0.1, the CA it made at start), and deletes that configuration again when stopped (Ctrl-C):
// with failurePolicy Fail, a webhook that is gone would refuse every Website write.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { startManager } from './manager.js';
import { webhookConfiguration } from './webhook.js';

const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
const template = k8s.loadYaml<k8s.V1ValidatingWebhookConfiguration>(
  readFileSync(new URL('../config/webhook.yaml', import.meta.url), 'utf8'),
);
const name = template.metadata!.name!;

const manager = await startManager(kc, {
  webhook: { host: '127.0.0.1' },
  onError: (what, err) => console.error(`${what}: ${err instanceof k8s.ApiException ? `${err.code} ${String(err.body)}` : String(err)}`),
});
await admission.deleteValidatingWebhookConfiguration({ name }).catch((err: { code?: number }) => {
  if (err.code !== 404) throw err;
});
await admission.createValidatingWebhookConfiguration({ body: webhookConfiguration(template, manager.webhook) });
console.log(`website-operator: reconciling Websites in ${kc.getCurrentCluster()?.server}; webhook at ${manager.webhook.url}`);

const stop = async () => {
  await admission.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
  await manager.stop();
  console.log('website-operator: stopped');
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
