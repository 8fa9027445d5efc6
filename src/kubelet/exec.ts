// pods/exec and pods/attach: what the API server checks (pkg/registry/core/pod streamLocation)
// and what the kubelet's streaming server then does, in one place because both are this process.
// The session arrives as a WebSocket (v5.channel.k8s.io first, as kubectl 1.32 asks) or as SPDY;
// either way it becomes a RemoteCommandStreams, and the command runs in the container's context:
// its environment, working directory and, when it has them, its mount and UTS namespaces.
// The routes are registered at start; the sessions themselves (WebSocket, SPDY, the processes:
// exec-session.ts) load with the first one.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { badRequest } from '../apimachinery/errors.js';
import type { UpgradeRouter } from '../server/upgrade.js';
import { rejectConnectDryRun, requestQuery } from '../server/query-params.js';
import type { ContainerHandle } from './runtime.js';

let session: Promise<typeof import('./exec-session.js')> | undefined;
const loadSession = () => (session ??= import('./exec-session.js'));

export interface StreamingDeps {
  store: Store;
  /** A container of a Pod this node runs (the node agent's runtime). */
  container(key: string, name: string): ContainerHandle | undefined;
  log: Logger;
}

export function streamingRoutes(app: FastifyInstance, upgrades: UpgradeRouter, d: StreamingDeps) {
  for (const sub of ['exec', 'attach'] as const) {
    const path = `/api/v1/namespaces/:ns/pods/:name/${sub}`;
    upgrades.add(['GET', 'POST'], path, async (u) => (await loadSession()).serveRemoteCommand(u, sub, d));
    // Without an upgrade there is no session: upstream answers 400 as well.
    app.route({
      method: ['GET', 'POST'],
      url: path,
      handler: async (req) => {
        rejectConnectDryRun(requestQuery(req.url));
        throw badRequest('Upgrade request required');
      },
    });
  }
}
