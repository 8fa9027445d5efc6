// The built-in load balancer (upstream's cloud service controller, for this one machine): a
// Service of type LoadBalancer without a loadBalancerClass (or with `tinykube.io/local`) gets an
// ingress IP from --loadbalancer-cidr, published in status.loadBalancer.ingress with ipMode VIP.
// spec.loadBalancerIP is honoured when it is in the pool and free. Other classes are left alone,
// as upstream requires. The IP is held in the allocations table, written in the same transaction
// as the status, and released when the Service goes away or stops being ours.
import { requireDef } from '../registry/kinds.js';
import { contains } from '../apimachinery/ipnet.js';
import { ipToSlot, slotToIP } from '../allocators/clusterip.js';
import { loadBalancerPool } from '../allocators/loadbalancer-pool.js';
import { allocateNext, isTaken, release, releaseOwner, slotsOf, take } from '../allocators/bands.js';
import { createQueue } from './queue.js';
import { eventRecorder } from './events.js';
import { tolerate, type Controller, type ControllerContext } from './context.js';
import type { ServiceObj } from '../registry/service/strategy.js';

export const LOCAL_LB_CLASS = 'tinykube.io/local';

export function isOurs(svc: ServiceObj | undefined): boolean {
  const s = svc?.spec;
  return (
    !!svc &&
    !svc.metadata.deletionTimestamp &&
    s?.type === 'LoadBalancer' &&
    (!s.loadBalancerClass || s.loadBalancerClass === LOCAL_LB_CLASS)
  );
}

export function startLoadBalancerController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log, config } = ctx;
  const svcDef = requireDef(defs, '', 'services');
  const record = eventRecorder(registry, requireDef(defs, '', 'events'), 'service-controller', (err) =>
    log.debug({ err }, 'event not recorded'),
  );
  // All addresses but the network (and broadcast for IPv4) and the ingress controller's; no static band.
  const pool = loadBalancerPool(config.loadBalancerCIDR).services;
  const { cidr, band } = pool;
  const ipOf = (slot: number) => slotToIP(pool, slot);
  const slotOf = (ip: string) => ipToSlot(pool, ip);

  const reconcile = (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    const svc = store.get('services', ns, name) as ServiceObj | undefined;
    const db = store.db;
    if (!isOurs(svc)) {
      const held = slotsOf(db, band, key);
      if (!held.length) return;
      store.txn(() => {
        releaseOwner(db, band, key);
        if (svc && !svc.metadata.deletionTimestamp) {
          const ingress = (svc.status?.loadBalancer?.ingress ?? []).filter((i) => !i.ip || !held.map(ipOf).includes(i.ip));
          const next = { ...svc, status: { ...svc.status, loadBalancer: ingress.length ? { ingress } : {} } };
          tolerate(() => registry.update(svcDef, ns, name, next, { subresource: 'status', fieldManager: 'service-controller' }));
        }
      });
      if (svc) record(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      log.debug({ service: key }, 'released load balancer IP');
      return;
    }
    // Ours, so there.
    const ours = svc!;
    const s = ours.spec ?? {};
    const held = slotsOf(db, band, key);
    let ip = held.length ? ipOf(held[0]!) : undefined;
    const wanted = s.loadBalancerIP;
    if (wanted && ip !== wanted && contains(cidr, wanted)) {
      const slot = slotOf(wanted);
      if (slot !== undefined && !isTaken(db, band, slot)) ip = wanted;
    }
    const current = ours.status?.loadBalancer?.ingress ?? [];
    if (ip && current.length === 1 && current[0]!.ip === ip && current[0]!.ipMode === 'VIP' && held.length === 1 && held[0] === slotOf(ip))
      return;
    record(ours, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    let failed: string | undefined;
    store.txn(() => {
      let slot = ip ? slotOf(ip) : undefined;
      if (slot === undefined || (isTaken(db, band, slot) && isTaken(db, band, slot) !== key)) slot = allocateNext(db, band, key);
      else take(db, band, slot, key);
      if (slot === undefined) {
        failed = `no free IP in ${cidr.text}`;
        return;
      }
      for (const h of slotsOf(db, band, key)) if (h !== slot) release(db, band, h, key);
      const next = { ...ours, status: { ...ours.status, loadBalancer: { ingress: [{ ip: ipOf(slot), ipMode: 'VIP' }] } } };
      registry.update(svcDef, ns, name, next, { subresource: 'status', fieldManager: 'service-controller' });
    });
    if (failed) {
      record(ours, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: failed to ensure load balancer: ${failed}`);
      throw new Error(failed);
    }
    record(ours, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  };

  const q = createQueue('loadbalancer', reconcile, (k, err) => log.debug({ err, service: k }, 'load balancer retry'));
  const unsub = store.subscribe('services', (ev) => {
    const wasOurs = isOurs(ev.prev);
    if (wasOurs || isOurs(ev.type === 'DELETED' ? undefined : ev.object) || ev.type === 'DELETED') {
      // Status writes of our own trigger one cheap no-op reconcile.
      q.add(`${ev.namespace}/${ev.name}`);
    }
  });
  for (const svc of ctx.informers.list('services')) if (isOurs(svc)) q.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
  // Allocations whose Service is gone (deleted while we were down): release.
  const owners = store.db.prepare('SELECT DISTINCT owner FROM allocations WHERE range = ?').pluck().all(band.key) as string[];
  for (const o of owners) q.add(o);
  return {
    stop() {
      unsub();
      q.stop();
    },
    idle: () => q.idle(),
  };
}
