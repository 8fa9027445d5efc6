// The batch/v1 Job controllers: the Job controller (job-controller) and the TTL-after-finished
// controller that deletes finished Jobs once their ttlSecondsAfterFinished has passed.
import type { Controller, ControllerContext } from '../context.js';
import { startJobController } from './controller.js';
import { startTTLAfterFinishedController } from './ttl.js';

export function startJobControllers(ctx: ControllerContext): Controller {
  const all = [
    startJobController({ ...ctx, log: ctx.log.child({ controller: 'job' }) }),
    startTTLAfterFinishedController({ ...ctx, log: ctx.log.child({ controller: 'ttl-after-finished' }) }),
  ];
  return {
    stop() {
      for (const c of all) c.stop();
    },
    async idle() {
      await Promise.all(all.map((c) => c.idle()));
    },
  };
}
