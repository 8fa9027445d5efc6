// kube-controller-manager's certificate controllers: csrsigning (the built-in signers, with the
// cluster CA) and csrcleaner. csrapproving is not here: it approves kubelets' own client
// certificate requests (TLS bootstrapping), and tinykube's node agent has no kubelet credentials
// to bootstrap.
import type { Controller, ControllerContext } from '../context.js';
import { startCSRSigningController } from './signer.js';
import { startCSRCleanerController } from './cleaner.js';

export function startCertificateControllers(ctx: ControllerContext & { caKeyPem?: string }): Controller {
  const all = [
    startCSRSigningController({ ...ctx, log: ctx.log.child({ controller: 'csrsigning' }) }),
    startCSRCleanerController({ ...ctx, log: ctx.log.child({ controller: 'csrcleaner' }) }),
  ];
  return {
    stop() {
      for (const c of all) c.stop();
    },
    idle: async () => {
      await Promise.all(all.map((c) => c.idle()));
    },
  };
}
