// Cluster configuration: every flag of `tinykube up` and every option of startCluster() lands
// here, validated once (src/cli.ts parses flags into StartOptions; resolveConfig fills defaults).
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
  maxEndpointsPerSlice: number;
  /** CIDRs whose host addresses get NodePorts (kube-proxy's --nodeport-addresses). */
  nodePortAddresses: string[];
  /** CIDRs of non-loopback host addresses Services' externalIPs may be served on (default none). */
  externalIPAddresses: string[];
  /** Whether the service proxy runs. */
  proxy: boolean;
  /** Compaction of the change log (watch history). */
  compaction: { intervalMs: number; maxAgeMs: number; keepRevisions: number };
  /** Events expire after this (upstream --event-ttl, 1 h). */
  eventTTLMs: number;
}
