// The load-balancer CIDR's addresses: LoadBalancer Services get theirs from it (the built-in load
// balancer, controllers/loadbalancer.ts), and its last one is the built-in ingress controller's
// (src/ingress): each cluster has a CIDR of its own on a host (config/slots.ts), so clusters side
// by side reach their Ingresses on different addresses at the same ports, as clusters with a
// cloud load balancer each have an ingress IP. The top address goes first because the Services'
// addresses are drawn at random from the rest, so none of them moves when a cluster starts
// reserving it: a Service that held it before is given another one by its next sync.
import { addressRange, slotToIP, type IPRange } from './clusterip.js';

export interface LoadBalancerPool {
  /** What LoadBalancer Services are given. */
  services: IPRange;
  /** The ingress controller's address; undefined when the CIDR has room for Services only (two addresses or fewer). */
  ingressIP?: string;
}

export function loadBalancerPool(cidr: string): LoadBalancerPool {
  const all = addressRange('loadbalancer', cidr, false);
  if (all.band.size < 3) return { services: all };
  const last = all.band.size - 1;
  return { services: { cidr: all.cidr, band: { ...all.band, size: last } }, ingressIP: slotToIP(all, last) };
}
