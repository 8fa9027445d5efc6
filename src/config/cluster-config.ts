// Cluster configuration: every flag of `tinykube up` and every option of startCluster() lands
// here, validated once (src/cli/main.ts parses flags into StartOptions; resolveConfig fills defaults).
import type { ImageMap } from './images/image-map.js';
import { contains, parseCIDR } from '../apimachinery/ipnet.js';
export interface ClusterConfig {
  name: string;
  /** Data directory; undefined = in-memory cluster (tests). */
  dataDir?: string;
  apiHost: string;
  apiPort: number;
  serviceCIDR: string;
  secondaryServiceCIDR?: string;
  podCIDR: string;
  loadBalancerCIDR: string;
  nodePortRange: { base: number; size: number };
  dnsHost: string;
  dnsPort: number;
  /** Upstream resolvers (`HOST:PORT`) for names outside the cluster domain; undefined = the host's /etc/resolv.conf. */
  dnsUpstream?: string[];
  /** TTL in seconds of the cluster DNS records (default 5, as CoreDNS). */
  dnsTTL?: number;
  clusterDomain: string;
  nodeName: string;
  zone?: string;
  maxPods: number;
  podBackoff: { initialMs: number; maxMs: number };
  podIsolation: 'auto' | 'mount' | 'userns' | 'none';
  /** Who may do what: everyone authenticated (AlwaysAllow), or what RBAC objects say. */
  authorizationMode: 'AlwaysAllow' | 'RBAC';
  /** The image map given at start (--images, startCluster({ images })). */
  images?: ImageMap;
  maxEndpointsPerSlice: number;
  /** CIDRs whose host addresses get NodePorts (kube-proxy's --nodeport-addresses). */
  nodePortAddresses: string[];
  /** CIDRs of non-loopback host addresses Services' externalIPs may be served on (default none). */
  externalIPAddresses: string[];
  /** Whether the service proxy runs. */
  proxy: boolean;
  /**
   * The built-in ingress controller: off, or its listeners as the user gave them (undefined: the
   * defaults, which depend on the load-balancer CIDR and the process's privilege; see cluster.ts).
   */
  ingress: false | { http?: { host: string; port: number }; https?: { host: string; port: number } };
  /** Compaction of the change log (watch history). */
  compaction: { intervalMs: number; maxAgeMs: number; keepRevisions: number };
  /** Events expire after this (upstream --event-ttl, 1 h). */
  eventTTLMs: number;
}

/**
 * Addresses tinykube hands out itself and must therefore accept in Endpoints/EndpointSlices:
 * its pod, service and load-balancer CIDRs and the API and DNS servers' own addresses.
 */
export function clusterOwnedAddress(config: ClusterConfig | undefined): (ip: string) => boolean {
  if (!config) return () => false;
  const cidrs = [config.podCIDR, config.serviceCIDR, config.secondaryServiceCIDR, config.loadBalancerCIDR]
    .filter((c): c is string => !!c)
    .map((c) => parseCIDR(c))
    .filter((c) => !!c);
  const local = (h: string) => (h === '0.0.0.0' || h === '' ? '127.0.0.1' : h === '::' ? '::1' : h);
  // The API server's and the DNS server's own listen addresses (their Endpoints point there).
  const apiIP = local(config.apiHost);
  const dnsIP = config.dnsHost === undefined ? apiIP : local(config.dnsHost);
  return (ip) => ip === apiIP || ip === dnsIP || cidrs.some((c) => contains(c, ip));
}
