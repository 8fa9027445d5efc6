// pods/portforward: every forwarded connection dials the Pod IP directly (this process is the
// node), whichever way the client speaks: SPDY/3.1 tunnelled in WebSocket (kubectl 1.32's first
// try), plain SPDY/3.1 (its fallback), or WebSocket channels (@kubernetes/client-node).
// The route is registered at start; the sessions (portforward-session.ts) load with the first one.
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { badRequest } from '../apimachinery/errors.js';
import { decodePodPortForwardOptions, rejectConnectDryRun, requestQuery } from '../server/query-params.js';
import { coreSubresource, type Subresource } from '../server/subresource.js';

let session: Promise<typeof import('./portforward-session.js')> | undefined;
const loadSession = () => (session ??= import('./portforward-session.js'));

export interface PortForwardDeps {
  store: Store;
  /** Installed with the cluster's log; the sessions get its `portforward` component. */
  log: Logger;
}

export const POD_PORTFORWARD: Subresource<PortForwardDeps> = {
  ...coreSubresource('pods', 'portforward', 'PodPortForwardOptions', ['create', 'get']),
  install: ({ app, upgrades, path }, deps) => {
    const d: PortForwardDeps = { store: deps.store, log: deps.log.child({ component: 'portforward' }) };
    upgrades.add(['GET', 'POST'], path, async (u) => (await loadSession()).servePortForward(u, d));
    app.route({
      method: ['GET', 'POST'],
      url: path,
      handler: async (req) => {
        const q = requestQuery(req.url);
        rejectConnectDryRun(q);
        decodePodPortForwardOptions(q);
        throw badRequest('Upgrade request required');
      },
    });
  },
};
