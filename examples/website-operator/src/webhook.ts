// The validating admission webhook: an HTTPS server answering AdmissionReviews for Websites. It
// refuses images that are not pinned (the `latest` tag, or no tag, which means latest): a Website's
// Pods would otherwise run whatever that tag points to on the day they start.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { ServingCerts } from './certs.js';
import type { Website } from './website.js';

export const WEBHOOK_PATH = '/validate-website';

/** Why this image is refused, or undefined when it is pinned to a tag other than latest or to a digest. */
export function unpinnedImage(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  // The tag follows the last ':' of the last path segment (a ':' before a '/' is a registry's port).
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  const tag = colon < 0 ? undefined : last.slice(colon + 1);
  if (tag === undefined) return 'an image without a tag runs the latest tag: pin a version tag or a digest';
  if (tag === 'latest') return 'the latest tag is not allowed: pin a version tag or a digest';
  return undefined;
}

interface AdmissionRequest {
  uid: string;
  operation: string;
  object?: Website;
}

/** The AdmissionReview response for one request. */
export function review(request: AdmissionRequest): object {
  const image = request.object?.spec?.image;
  const why = typeof image === 'string' ? unpinnedImage(image) : undefined;
  const response = why
    ? {
        uid: request.uid,
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: `spec.image: Invalid value: ${JSON.stringify(image)}: ${why}` },
      }
    : { uid: request.uid, allowed: true };
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

export interface WebhookServer {
  /** https://127.0.0.1:PORT/validate-website */
  url: string;
  close(): Promise<void>;
}

/** Serves the webhook over HTTPS with these certificates on `host` (a free port unless given). */
export async function startWebhookServer(certs: ServingCerts, listen: { host: string; port?: number }): Promise<WebhookServer> {
  const server: Server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: string;
      try {
        if (req.method !== 'POST' || req.url?.split('?')[0] !== WEBHOOK_PATH) throw new Error(`no ${req.method} ${req.url} here`);
        const request = (JSON.parse(Buffer.concat(chunks).toString()) as { request?: AdmissionRequest }).request;
        if (!request?.uid) throw new Error('not an AdmissionReview with a request');
        body = JSON.stringify(review(request));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String((err as Error).message));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `https://${host}:${port}${WEBHOOK_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * config/webhook.yaml's configuration pointed at a running server: its URL and the CA that issued
 * its certificate (cert-manager's CA injection does the same in a real cluster).
 */
export function webhookConfiguration(
  template: V1ValidatingWebhookConfiguration,
  server: { url: string; caPem: string },
): V1ValidatingWebhookConfiguration {
  return {
    ...template,
    webhooks: template.webhooks?.map((w) => ({
      ...w,
      clientConfig: { url: server.url, caBundle: Buffer.from(server.caPem).toString('base64') },
    })),
  };
}
