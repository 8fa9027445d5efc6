// Where the built-in ingress controller listens. Without flags: on the last address of the
// cluster's load-balancer CIDR (allocators/loadbalancer-pool.ts), which no other cluster on the
// host shares, at the ports a cloud load balancer has, 80 and 443, where the process may bind
// them (root, CAP_NET_BIND_SERVICE, or a lowered net.ipv4.ip_unprivileged_port_start); else at
// 8080 and 8443; else (another program holds those on that address) at free ports. What the user
// gave is used as given, and its failure stops the start.
import { loadBalancerPool } from '../allocators/loadbalancer-pool.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { ListenAddress } from './controller.js';

export interface IngressListeners {
  http: ListenAddress[];
  https: ListenAddress[];
}

/**
 * The listeners to try, in order. `canBind(ip)` says whether this host can bind the address at
 * all (all of 127.0.0.0/8 on Linux; elsewhere only configured addresses, so 127.0.0.1).
 */
export function ingressListeners(config: ClusterConfig, canBind: (ip: string) => boolean): IngressListeners | undefined {
  const asked = config.ingress;
  if (asked === false) return undefined;
  const ip = loadBalancerPool(config.loadBalancerCIDR).ingressIP;
  const host = ip && canBind(ip) ? ip : '127.0.0.1';
  const ports = (...ps: number[]) => ps.map((port) => ({ host, port }));
  return {
    http: asked.http ? [asked.http] : ports(80, 8080, 0),
    https: asked.https ? [asked.https] : ports(443, 8443, 0),
  };
}
