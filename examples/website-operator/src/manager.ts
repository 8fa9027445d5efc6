// The operator's process, as controller-runtime's manager runs one: the controller and the
// admission webhook's HTTPS server side by side, the webhook with a CA of its own.
import type { KubeConfig } from '@kubernetes/client-node';
import { issueServingCerts } from './certs.js';
import { startOperator, type OperatorOptions } from './controller.js';
import { startWebhookServer } from './webhook.js';

export interface ManagerOptions extends OperatorOptions {
  /** Where the webhook listens: an IP address (its certificate's subject) and a port (default: a free one). */
  webhook: { host: string; port?: number };
}

export interface Manager {
  /** What the ValidatingWebhookConfiguration needs: the webhook's URL and the PEM of the CA that issued its certificate. */
  webhook: { url: string; caPem: string };
  stop(): Promise<void>;
}

export async function startManager(kc: KubeConfig, opts: ManagerOptions): Promise<Manager> {
  const certs = await issueServingCerts({ ips: [opts.webhook.host] });
  const server = await startWebhookServer(certs, opts.webhook);
  try {
    const controller = await startOperator(kc, opts);
    return {
      webhook: { url: server.url, caPem: certs.caPem },
      stop: async () => {
        await controller.stop();
        await server.close();
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}
