// pods/exec and pods/attach: what the API server checks (pkg/registry/core/pod streamLocation)
// and what the kubelet's streaming server then does, in one place because both are this process.
// The session arrives as a WebSocket (v5.channel.k8s.io first, as kubectl 1.32 asks) or as SPDY;
// either way it becomes a RemoteCommandStreams, and the command runs in the container's context:
// its environment, working directory and, when it has them, its mount and UTS namespaces.
// The routes are registered at start; the sessions themselves (WebSocket, SPDY, the processes:
// exec-session.ts) load with the first one.
import type { Logger } from 'pino';
import type { Store } from '../storage/store.js';
import { badRequest } from '../apimachinery/errors.js';
import { rejectConnectDryRun, requestQuery } from '../server/query-params.js';
import { coreSubresource, type Subresource } from '../server/subresource.js';
import type { ContainerHandle } from './runtime.js';

let session: Promise<typeof import('./exec-session.js')> | undefined;
const loadSession = () => (session ??= import('./exec-session.js'));

export interface StreamingDeps {
  store: Store;
  /** A container of a Pod this node runs (the node agent's runtime). */
  container(key: string, name: string): ContainerHandle | undefined;
  /** Installed with the cluster's log; the sessions get its `streaming` component. */
  log: Logger;
}

function remoteCommand(sub: 'exec' | 'attach', kind: string): Subresource<StreamingDeps> {
  return {
    ...coreSubresource('pods', sub, kind, ['create', 'get']),
    install: ({ app, upgrades, path }, deps) => {
      const d: StreamingDeps = {
        store: deps.store,
        container: (key, name) => deps.container(key, name),
        log: deps.log.child({ component: 'streaming' }),
      };
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
    },
  };
}

export const POD_ATTACH = remoteCommand('attach', 'PodAttachOptions');
export const POD_EXEC = remoteCommand('exec', 'PodExecOptions');
