// The Available condition of an aggregated APIService, as upstream's remote availability
// controller (kube-aggregator pkg/controllers/status/remote) decides it: the Service must exist,
// listen on the APIService's port and have a ready endpoint for that port's name, and the server
// must answer GET /apis/<group>/<version> with a 2xx within 5 seconds, asked as
// system:kube-aggregator in system:masters with the front-proxy client certificate (the serving
// certificate is not verified: this is a best-effort probe, as upstream's). Texts are upstream's.
import { request } from 'node:https';
import type { APIServiceObj } from '../../registry/apiregistration/apiservice.js';
import { findServicePort, readyAddresses, resolveEndpoint, type ServiceLookup } from './resolve.js';
import { goTransportError } from './go-errors.js';
import { GROUP_HEADER, USERNAME_HEADER, type FrontProxyIdentity } from './front-proxy.js';

export interface AvailableCondition {
  type: 'Available';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

const CHECK_TIMEOUT_MS = 5000;

const notAvailable = (reason: string, message: string): AvailableCondition => ({ type: 'Available', status: 'False', reason, message });

/**
 * The checks that need no network (upstream's order): the condition they fail with, or undefined
 * when the discovery check is next.
 */
export function serviceCondition(svc: APIServiceObj, lookup: ServiceLookup): AvailableCondition | undefined {
  const ref = svc.spec!.service!;
  const ns = ref.namespace ?? '';
  const name = ref.name ?? '';
  const port = ref.port ?? 443;
  const service = lookup.service(ns, name);
  if (!service) return notAvailable('ServiceNotFound', `service/${name} in "${ns}" is not present`);
  if ((service.spec?.type ?? 'ClusterIP') !== 'ClusterIP') return undefined;
  const servicePort = findServicePort(service, port);
  if (!servicePort) return notAvailable('ServicePortError', `service/${name} in "${ns}" is not listening on port ${port}`);
  const slices = lookup.slices(ns, name);
  if (!slices.length) return notAvailable('EndpointsNotFound', `cannot find endpointslices for service/${name} in "${ns}"`);
  const portName = servicePort.name ?? '';
  if (!readyAddresses(slices, portName).length)
    return notAvailable('MissingEndpoints', `endpointslices for service/${name} in "${ns}" have no addresses with port name "${portName}"`);
  return undefined;
}

/** One discovery probe: undefined when the server answered 2xx, else upstream's error text. */
function probe(url: URL, fp: FrontProxyIdentity | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const req = request(url, {
      method: 'GET',
      // A connection of its own per probe (upstream builds a transport per check): nothing is kept open.
      agent: false,
      rejectUnauthorized: false,
      ...(fp ? { cert: fp.certPem, key: fp.keyPem } : {}),
      headers: { [USERNAME_HEADER]: 'system:kube-aggregator', [GROUP_HEADER]: 'system:masters', Accept: 'application/json' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(`timed out waiting for ${url.href}`);
    }, CHECK_TIMEOUT_MS + 1000);
    req.setTimeout(CHECK_TIMEOUT_MS, () =>
      req.destroy(
        Object.assign(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'), { code: 'TIMEOUT' }),
      ),
    );
    req.on('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      done(
        status >= 200 && status < 300 ? undefined : `failing or missing response from ${url.href}: bad status from ${url.href}: ${status}`,
      );
    });
    req.on('error', (err) => done(`failing or missing response from ${url.href}: Get "${url.href}": ${goTransportError(err, url.host)}`));
    req.end();
  });
}

/** The whole check of a remote APIService (spec.service set). */
export async function checkAvailability(
  svc: APIServiceObj,
  lookup: ServiceLookup,
  fp: FrontProxyIdentity | undefined,
): Promise<AvailableCondition> {
  const early = serviceCondition(svc, lookup);
  if (early) return early;
  const ref = svc.spec!.service!;
  let host: string;
  try {
    host = resolveEndpoint(lookup, ref.namespace ?? '', ref.name ?? '', ref.port ?? 443);
  } catch (e) {
    return notAvailable('FailedDiscoveryCheck', (e as Error).message);
  }
  const path = svc.metadata.name === 'v1.' ? `/api/${svc.spec!.version}` : `/apis/${svc.spec!.group}/${svc.spec!.version}`;
  const failure = await probe(new URL(`https://${host}${path}`), fp);
  if (failure) return notAvailable('FailedDiscoveryCheck', failure);
  return { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };
}
