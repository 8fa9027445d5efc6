// The built-in controllers: namespace deletion, system namespaces, garbage collection, default
// service accounts, event expiry, the built-in load balancer, the EndpointSlice, Endpoints and
// mirroring controllers, and the root CA publisher.
import type { Controller, ControllerContext } from './context.js';
import { startNamespaceController } from './namespace.js';
import { startGarbageCollector } from './gc.js';
import { startServiceAccountController } from './serviceaccount.js';
import { startEventTTLController } from './event-ttl.js';
import { startLoadBalancerController } from './loadbalancer.js';
import { startEndpointControllers } from './endpointslice/controllers.js';
import { startRootCAPublisher } from './rootca.js';
import { startSystemNamespacesController } from './system-namespaces.js';
import { startVolumeControllers } from './volume/index.js';
import { startCronJobController } from './cronjob/controller.js';
import { startJobControllers } from './job/index.js';
import { startStatefulSetController } from './statefulset/controller.js';
import { startReplicaSetControllers } from './replicaset/controller.js';
import { startDeploymentController } from './deployment/controller.js';
import { startDaemonSetController } from './daemonset/controller.js';
import { startDisruptionController } from './disruption/controller.js';
import { startHorizontalPodAutoscaler } from './podautoscaler/controller.js';
import { startClusterRoleAggregationController } from './clusterrole-aggregation.js';
import { startCRDController } from './crd.js';
import { startResourceQuotaController } from './resourcequota.js';
import { startCertificateControllers } from './certificates/index.js';
import { startAPIServiceRegistration } from './apiservice.js';

export type { ControllerContext } from './context.js';

export function startControllers(ctx: ControllerContext): Controller {
  const all: Controller[] = [
    startNamespaceController({ ...ctx, log: ctx.log.child({ controller: 'namespace' }) }),
    startSystemNamespacesController({ ...ctx, log: ctx.log.child({ controller: 'system-namespaces' }) }),
    startGarbageCollector({ ...ctx, log: ctx.log.child({ controller: 'garbage-collector' }) }),
    startServiceAccountController({ ...ctx, log: ctx.log.child({ controller: 'serviceaccount' }) }),
    startEventTTLController({ ...ctx, log: ctx.log.child({ controller: 'event-ttl' }) }),
    startLoadBalancerController({ ...ctx, log: ctx.log.child({ controller: 'service-lb' }) }),
    startEndpointControllers({ ...ctx, log: ctx.log.child({ controller: 'endpointslice' }) }),
    startRootCAPublisher({ ...ctx, log: ctx.log.child({ controller: 'root-ca-cert-publisher' }) }),
    startVolumeControllers(ctx),
    startCronJobController({ ...ctx, log: ctx.log.child({ controller: 'cronjob' }) }),
    startJobControllers(ctx),
    startStatefulSetController({ ...ctx, log: ctx.log.child({ controller: 'statefulset' }) }),
    startReplicaSetControllers(ctx),
    startDeploymentController({ ...ctx, log: ctx.log.child({ controller: 'deployment' }) }),
    startDaemonSetController({ ...ctx, log: ctx.log.child({ controller: 'daemonset' }) }),
    startDisruptionController({ ...ctx, log: ctx.log.child({ controller: 'disruption' }) }),
    startHorizontalPodAutoscaler({ ...ctx, log: ctx.log.child({ controller: 'horizontal-pod-autoscaler' }) }),
    startClusterRoleAggregationController({ ...ctx, log: ctx.log.child({ controller: 'clusterrole-aggregation' }) }),
    startResourceQuotaController({ ...ctx, log: ctx.log.child({ controller: 'resourcequota' }) }),
    startCertificateControllers(ctx),
    startAPIServiceRegistration({ ...ctx, log: ctx.log.child({ controller: 'apiservice-registration' }) }),
  ];
  if (ctx.served) all.push(startCRDController({ ...ctx, served: ctx.served, log: ctx.log.child({ controller: 'crd' }) }));
  return {
    stop() {
      for (const c of all) c.stop();
    },
    async idle() {
      // Controllers feed each other (namespace deletion → GC → ...): settle until all are quiet.
      for (let i = 0; i < 3; i++) await Promise.all(all.map((c) => c.idle()));
    },
  };
}
