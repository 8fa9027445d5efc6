#!/usr/bin/env node
// `tinykube up`: start a cluster, make kubectl point at it, serve until SIGINT/SIGTERM.
import { Command, Option } from 'commander';
import { startCluster } from './cluster.js';
import { cliDataDir, DEFAULTS, OptionError, resolveConfig, type StartOptions } from './options.js';
import { defaultKubeconfigPath } from './paths.js';
import { mergeKubeconfig } from './kubeconfig.js';
import { VERSION_INFO } from './version.js';

interface UpFlags {
  dataDir?: string;
  inMemory?: boolean;
  apiListen: string;
  kubeconfig?: string;
  name: string;
  verbose?: boolean;
  serviceCidr?: string;
  secondaryServiceCidr?: string;
  podCidr?: string;
  loadbalancerCidr?: string;
  serviceNodePortRange?: string;
  dnsListen?: string;
  dnsUpstream?: string;
  dnsTtl?: string;
  clusterDomain?: string;
  nodeName?: string;
  zone?: string;
  maxPods?: string;
  podIsolation?: string;
  maxEndpointsPerSlice?: string;
  nodeportAddresses?: string;
}

function fail(msg: string): never {
  process.stderr.write(`tinykube: ${msg}\n`);
  process.exit(1);
}

async function up(f: UpFlags): Promise<void> {
  const opts: StartOptions = {
    name: f.name,
    dataDir: cliDataDir(f.dataDir, !!f.inMemory, f.name),
    apiListen: f.apiListen,
    kubeconfigPath: f.kubeconfig,
    verbose: !!f.verbose,
    serviceCIDR: f.serviceCidr,
    secondaryServiceCIDR: f.secondaryServiceCidr,
    podCIDR: f.podCidr,
    loadBalancerCIDR: f.loadbalancerCidr,
    serviceNodePortRange: f.serviceNodePortRange,
    dnsListen: f.dnsListen,
    dnsUpstream: f.dnsUpstream,
    dnsTTL: f.dnsTtl === undefined ? undefined : Number(f.dnsTtl),
    clusterDomain: f.clusterDomain,
    nodeName: f.nodeName,
    zone: f.zone,
    maxPods: f.maxPods === undefined ? undefined : Number(f.maxPods),
    podIsolation: f.podIsolation,
    maxEndpointsPerSlice: f.maxEndpointsPerSlice === undefined ? undefined : Number(f.maxEndpointsPerSlice),
    nodePortAddresses: f.nodeportAddresses,
  };
  // Validate every flag before touching the disk or the network.
  let dnsDefault: string;
  try {
    const cfg = resolveConfig(opts, 'cli');
    dnsDefault = `${cfg.dnsHost.includes(':') ? `[${cfg.dnsHost}]` : cfg.dnsHost}:${cfg.dnsPort}`;
  } catch (err) {
    fail((err as Error).message);
  }
  // The default (the kube-dns ClusterIP, port 53) needs root; without it, a free port there.
  if (opts.dnsListen === undefined) opts.dnsFallbackListen = dnsDefault.replace(/:53$/, ':0');
  opts.dnsListen ??= dnsDefault;

  const t0 = performance.now();
  let cluster;
  try {
    cluster = await startCluster(opts);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number; flag?: string };
    if (e.flag) fail(e.message);
    if (e.code === 'EADDRINUSE') fail(`cannot listen on ${f.apiListen}: address already in use`);
    if (e.code === 'EACCES') fail(`cannot listen on ${f.apiListen}: permission denied (ports below 1024 need privileges)`);
    if (e.code === 'EADDRNOTAVAIL') fail(`cannot listen on ${f.apiListen}: address not available on this host`);
    if (err instanceof OptionError) fail(e.message);
    fail(e.message ?? String(err));
  }
  const ms = Math.round(performance.now() - t0);

  let kubeconfigPath = f.kubeconfig;
  if (!kubeconfigPath) {
    kubeconfigPath = defaultKubeconfigPath();
    try {
      await mergeKubeconfig(kubeconfigPath, { name: cluster.name, server: cluster.server, caPem: cluster.caCert, token: cluster.token });
    } catch (err) {
      await cluster.stop();
      fail(`cannot update kubeconfig ${kubeconfigPath}: ${(err as Error).message}`);
    }
  }
  const ctx = f.kubeconfig ? `--kubeconfig ${kubeconfigPath}` : `--context ${cluster.name}`;
  process.stdout.write(
    [
      `tinykube "${cluster.name}" is up in ${ms} ms`,
      `  API server  ${cluster.server}`,
      `  kubeconfig  ${kubeconfigPath}${f.kubeconfig ? '' : ` (context "${cluster.name}", now current)`}`,
      `  data        ${opts.dataDir ?? 'in memory'}`,
      `  DNS         ${cluster.dns.addresses.join(', ')} (UDP and TCP)${cluster.dns.nameserver ? `; Pods use ${cluster.dns.nameserver}` : '; Pods get Service names in /etc/hosts (no port 53 here)'}`,
      ``,
      `  kubectl ${ctx} get ns`,
      `  dig @${dnsHostOf(cluster.dns.addresses[0]!)} -p ${cluster.ports.dns} kubernetes.default.svc.${cluster.config.clusterDomain}`,
      ``,
    ].join('\n'),
  );

  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`tinykube: ${sig} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    cluster
      .stop()
      .then(() => process.exit(0))
      .catch((err: Error) => {
        process.stderr.write(`tinykube: error while stopping: ${err.message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The host of a `HOST:PORT` / `[HOST]:PORT` address; a wildcard means loopback. */
function dnsHostOf(address: string): string {
  const host = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.slice(0, address.lastIndexOf(':'));
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

const program = new Command();
program.name('tinykube').description('A Kubernetes mini-cluster in one process').version(VERSION_INFO.gitVersion, '--version');
program
  .command('up')
  .description('start a cluster and serve until interrupted')
  .addOption(new Option('--data-dir <dir>', 'data directory (default: $XDG_DATA_HOME/tinykube/<name>)'))
  .addOption(new Option('--in-memory', 'keep nothing on disk').conflicts('dataDir'))
  .option('--api-listen <host:port>', 'API server address; port 0 picks a free port', '127.0.0.1:6443')
  .option('--kubeconfig <path>', 'write a standalone kubeconfig there (default: merge into $KUBECONFIG or ~/.kube/config)')
  .option('--name <name>', 'cluster, context and user name', DEFAULTS.name)
  .option('--verbose', 'debug logs on stderr')
  .option('--service-cidr <cidr[,cidr]>', `ClusterIP range (default ${DEFAULTS.serviceCIDR})`)
  .option('--secondary-service-cidr <cidr>', 'second ClusterIP range of the other IP family (dual stack)')
  .option('--pod-cidr <cidr>', `Pod IP range (default ${DEFAULTS.podCIDR})`)
  .option('--loadbalancer-cidr <cidr>', `LoadBalancer ingress IP range (default ${DEFAULTS.loadBalancerCIDR})`)
  .option('--service-node-port-range <from-to>', `NodePort range (default ${DEFAULTS.nodePortRange})`)
  .option('--dns-listen <host:port>', 'cluster DNS address (default: the kube-dns ClusterIP, port 53)')
  .option('--dns-upstream <host:port[,host:port]>', 'resolvers for names outside the cluster domain (default: those of /etc/resolv.conf)')
  .option('--dns-ttl <seconds>', 'TTL of the cluster DNS records (default 5)')
  .option('--cluster-domain <domain>', `cluster DNS domain (default ${DEFAULTS.clusterDomain})`)
  .option('--node-name <name>', 'name of the Node (default: this host name)')
  .option('--zone <zone>', 'topology.kubernetes.io/zone label of the Node')
  .option('--max-pods <n>', 'pod capacity of the Node (default 2000)')
  .option('--max-endpoints-per-slice <n>', 'endpoints per EndpointSlice, 1-1000 (default 100)')
  .option('--nodeport-addresses <cidrs>', 'CIDRs whose host addresses serve NodePorts, as kube-proxy (default 127.0.0.1/32; 0.0.0.0/0 = every IPv4 address)')
  .option('--pod-isolation <mode>', 'how Pods get their own mounts, /etc/hosts and resolv.conf: auto, mount (root), userns (unprivileged user namespaces) or none (default auto)')
  .action((f: UpFlags) => up(f));
program
  .command('version')
  .description('print the version')
  .action(() => {
    process.stdout.write(`tinykube ${VERSION_INFO.gitVersion} (${VERSION_INFO.platform})\n`);
  });
program.showHelpAfterError();
program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 1));
program.parseAsync(process.argv).catch((err: Error) => fail(err.message));
