// The TLS clients of the aggregated API servers, one per APIService, made again when its TLS
// settings change: the serving certificate is verified against spec.caBundle for
// `<service>.<namespace>.svc` (upstream's BuildTransportConfig), not at all with
// insecureSkipTLSVerify, and the front-proxy client certificate is presented. Requests use
// undici's Agent (keep-alive pools, loaded on first use), WebSocket tunnels a node:https Agent
// (what http-proxy-3 dials with).
import { Agent as HttpsAgent } from 'node:https';
import type { Dispatcher } from 'undici';
import type { APIServiceObj } from '../../registry/apiregistration/apiservice.js';
import type { FrontProxyIdentity } from './front-proxy.js';

export interface APIServiceClients {
  dispatcher(s: APIServiceObj): Promise<Dispatcher>;
  httpsAgent(s: APIServiceObj): Promise<HttpsAgent>;
  /** Drops the clients of an APIService that is gone. */
  forget(name: string): void;
  /** Ends every connection, exchanges in flight (watches) included. */
  close(): Promise<void>;
}

function tlsOf(s: APIServiceObj, fp: FrontProxyIdentity | undefined) {
  const ref = s.spec!.service!;
  const ca = s.spec?.caBundle ? Buffer.from(s.spec.caBundle, 'base64').toString('utf8') : undefined;
  return {
    key: JSON.stringify([s.spec?.caBundle ?? '', !!s.spec?.insecureSkipTLSVerify, ref.namespace, ref.name, !!fp]),
    options: {
      servername: `${ref.name}.${ref.namespace}.svc`,
      rejectUnauthorized: !s.spec?.insecureSkipTLSVerify,
      ...(ca ? { ca } : {}),
      ...(fp ? { cert: fp.certPem, key: fp.keyPem } : {}),
    },
  };
}

export function createClients(identity: () => Promise<FrontProxyIdentity | undefined>): APIServiceClients {
  let undici: Promise<typeof import('undici')> | undefined;
  const dispatchers = new Map<string, { key: string; agent: Dispatcher }>();
  const agents = new Map<string, { key: string; agent: HttpsAgent }>();
  return {
    async dispatcher(s) {
      const m = await (undici ??= import('undici'));
      const Agent = m.Agent ?? (m as unknown as { default: typeof m }).default.Agent;
      const tls = tlsOf(s, await identity());
      const have = dispatchers.get(s.metadata.name!);
      if (have?.key === tls.key) return have.agent;
      void have?.agent.close();
      const agent = new Agent({ keepAliveTimeout: 30_000, connect: tls.options });
      dispatchers.set(s.metadata.name!, { key: tls.key, agent });
      return agent;
    },
    async httpsAgent(s) {
      const tls = tlsOf(s, await identity());
      const have = agents.get(s.metadata.name!);
      if (have?.key === tls.key) return have.agent;
      have?.agent.destroy();
      const agent = new HttpsAgent(tls.options);
      agents.set(s.metadata.name!, { key: tls.key, agent });
      return agent;
    },
    forget(name) {
      void dispatchers.get(name)?.agent.close();
      dispatchers.delete(name);
      agents.get(name)?.agent.destroy();
      agents.delete(name);
    },
    async close() {
      await Promise.all([...dispatchers.values()].map((d) => d.agent.destroy().catch(() => undefined)));
      dispatchers.clear();
      for (const a of agents.values()) a.agent.destroy();
      agents.clear();
    },
  };
}
