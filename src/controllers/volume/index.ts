// Persistent volumes: the PV controller (binder.ts), the built-in local-path provisioner
// (provisioner.ts, its directories in local-path.ts) and the pvc/pv protection controllers
// (protection.ts). Their directories of an in-memory cluster go when the controllers stop.
import type { Controller, ControllerContext } from '../context.js';
import { startBinder } from './binder.js';
import { startLocalPathProvisioner } from './provisioner.js';
import { startProtectionControllers } from './protection.js';
import { localPathStore } from './local-path.js';

export function startVolumeControllers(ctx: ControllerContext): Controller {
  const dirs = localPathStore(ctx.config.dataDir);
  const all = [
    startBinder({ ...ctx, log: ctx.log.child({ controller: 'persistentvolume-binder' }) }),
    startLocalPathProvisioner({ ...ctx, log: ctx.log.child({ controller: 'local-path-provisioner' }) }, dirs),
    startProtectionControllers({ ...ctx, log: ctx.log.child({ controller: 'storage-protection' }) }),
  ];
  return {
    stop() {
      for (const c of all) c.stop();
      dirs.close();
    },
    async idle() {
      for (const c of all) await c.idle();
    },
  };
}
