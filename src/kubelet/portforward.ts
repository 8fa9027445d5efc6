// pods/portforward: every forwarded connection dials the Pod IP directly (this process is the
// node), whichever way the client speaks: SPDY/3.1 tunnelled in WebSocket (kubectl 1.32's first
// try), plain SPDY/3.1 (its fallback), or WebSocket channels (@kubernetes/client-node).
// The route is registered at start; the sessions (portforward-session.ts) load with the first one.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { badRequest } from '../apimachinery/errors.js';
import type { UpgradeRouter } from '../server/upgrade.js';
import { decodePodPortForwardOptions, rejectConnectDryRun, requestQuery } from '../server/query-params.js';

let session: Promise<typeof import('./portforward-session.js')> | undefined;
const loadSession = () => (session ??= import('./portforward-session.js'));

const PATH = '/api/v1/namespaces/:ns/pods/:name/portforward';

export interface PortForwardDeps {
  store: Store;
  log: Logger;
}

export function portForwardRoutes(app: FastifyInstance, upgrades: UpgradeRouter, d: PortForwardDeps) {
  upgrades.add(['GET', 'POST'], PATH, async (u) => (await loadSession()).servePortForward(u, d));
  app.route({
    method: ['GET', 'POST'],
    url: PATH,
    handler: async (req) => {
      const q = requestQuery(req.url);
      rejectConnectDryRun(q);
      decodePodPortForwardOptions(q);
      throw badRequest('Upgrade request required');
    },
  });
}
