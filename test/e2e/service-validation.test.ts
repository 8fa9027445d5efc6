// Invalid Services, each refused with upstream's exact 422 text (pkg/apis/core/validation
// ValidateService/ValidateServiceUpdate and the service REST allocator), through the real API.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  // Pinned ranges: the expected texts quote them. 127.93.0.0/16 is no host slot's, and the NodePorts sit on their own address so slot 0's do not collide.
  tc = await startTestCluster({ serviceCIDR: '127.93.0.0/16', serviceNodePortRange: '30000-32767', nodePortAddresses: '127.0.0.4/32' });
  // Holds 127.93.0.20 and nodePort 30007 so the "already allocated" cases have something to hit.
  const r = await post('holder', { type: 'NodePort', clusterIP: '127.93.0.20', ports: [{ port: 80, nodePort: 30007 }] });
  expect(r.status).toBe(201);
});
afterAll(async () => {
  await tc?.stop();
});

function post(name: string, spec: Record<string, unknown>) {
  return api(tc.cluster, 'POST', '/api/v1/namespaces/default/services', {
    body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec },
  });
}

const DNS1035 = (v: string) =>
  `metadata.name: Invalid value: "${v}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;
const QUALIFIED = (f: string, v: string) =>
  `${f}: Invalid value: "${v}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`;
const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const BAD_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
const p80 = [{ port: 80 }];

interface Case {
  what: string;
  name?: string;
  spec: Record<string, unknown>;
  errors: string[];
}

const cases: Case[] = [
  // metadata
  { what: 'name with upper case and underscore', name: 'Web_1', spec: { ports: p80 }, errors: [DNS1035('Web_1')] },
  { what: 'name starting with a digit', name: '1web', spec: { ports: p80 }, errors: [DNS1035('1web')] },
  {
    what: 'name longer than 63',
    name: 'a'.repeat(64),
    spec: { ports: p80 },
    errors: [`metadata.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
  },
  // ports
  { what: 'no ports', spec: {}, errors: ['spec.ports: Required value'] },
  {
    what: 'port 0 (targetPort defaults to it)',
    spec: { ports: [{ port: 0 }] },
    errors: [`spec.ports[0].port: Invalid value: 0: ${PORT_RANGE}`, `spec.ports[0].targetPort: Invalid value: 0: ${PORT_RANGE}`],
  },
  {
    what: 'port above 65535',
    spec: { ports: [{ port: 70000, targetPort: 8080 }] },
    errors: [`spec.ports[0].port: Invalid value: 70000: ${PORT_RANGE}`],
  },
  {
    what: 'unknown protocol',
    spec: { ports: [{ port: 80, protocol: 'HTTP' }] },
    errors: ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
  },
  {
    what: 'several ports without names',
    spec: { ports: [{ port: 80 }, { port: 81 }] },
    errors: ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value'],
  },
  {
    what: 'duplicate port names',
    spec: {
      ports: [
        { name: 'http', port: 80 },
        { name: 'http', port: 81 },
      ],
    },
    errors: ['spec.ports[1].name: Duplicate value: "http"'],
  },
  {
    what: 'port name not a DNS-1123 label',
    spec: { ports: [{ name: 'HTTP', port: 80 }] },
    errors: [
      `spec.ports[0].name: Invalid value: "HTTP": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ],
  },
  {
    what: 'duplicate port and protocol',
    spec: {
      ports: [
        { name: 'a', port: 80 },
        { name: 'b', port: 80, targetPort: 81 },
      ],
    },
    errors: [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ],
  },
  {
    what: 'targetPort number out of range',
    spec: { ports: [{ port: 80, targetPort: 65536 }] },
    errors: [`spec.ports[0].targetPort: Invalid value: 65536: ${PORT_RANGE}`],
  },
  {
    what: 'targetPort name with double hyphen',
    spec: { ports: [{ port: 80, targetPort: 'http--x' }] },
    errors: ['spec.ports[0].targetPort: Invalid value: "http--x": must not contain consecutive hyphens'],
  },
  {
    what: 'targetPort name over 15 characters',
    spec: { ports: [{ port: 80, targetPort: 'averyverylongname' }] },
    errors: ['spec.ports[0].targetPort: Invalid value: "averyverylongname": must be no more than 15 characters'],
  },
  {
    what: 'targetPort name without a letter',
    spec: { ports: [{ port: 80, targetPort: '80-80' }] },
    errors: ['spec.ports[0].targetPort: Invalid value: "80-80": must contain at least one letter (a-z)'],
  },
  {
    what: 'targetPort name with an underscore',
    spec: { ports: [{ port: 80, targetPort: 'web_port' }] },
    errors: ['spec.ports[0].targetPort: Invalid value: "web_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
  },
  {
    what: 'targetPort name ending in a hyphen',
    spec: { ports: [{ port: 80, targetPort: 'web-' }] },
    errors: ['spec.ports[0].targetPort: Invalid value: "web-": must not begin or end with a hyphen'],
  },
  {
    what: 'appProtocol with a space',
    spec: { ports: [{ port: 80, appProtocol: 'bad proto' }] },
    errors: [QUALIFIED('spec.ports[0].appProtocol', 'bad proto')],
  },
  // type and ExternalName
  {
    what: 'unknown type',
    spec: { type: 'Fancy', ports: p80 },
    errors: ['spec.type: Unsupported value: "Fancy": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
  },
  { what: 'ExternalName without externalName', spec: { type: 'ExternalName' }, errors: ['spec.externalName: Required value'] },
  {
    what: 'ExternalName with a clusterIP',
    spec: { type: 'ExternalName', externalName: 'example.com', clusterIP: '127.93.0.9' },
    errors: ['spec.clusterIPs: Forbidden: may not be set for ExternalName services'],
  },
  {
    what: 'ExternalName that is not a DNS name',
    spec: { type: 'ExternalName', externalName: 'Bad_Host' },
    errors: [
      `spec.externalName: Invalid value: "Bad_Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
  },
  {
    what: 'ExternalName with an ipFamilyPolicy',
    spec: { type: 'ExternalName', externalName: 'example.com', ipFamilyPolicy: 'SingleStack' },
    errors: ['spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services'],
  },
  {
    what: 'ExternalName with ipFamilies',
    spec: { type: 'ExternalName', externalName: 'example.com', ipFamilies: ['IPv4'] },
    errors: ['spec.ipFamilies: Forbidden: may not be set for ExternalName services'],
  },
  // session affinity
  {
    what: 'unknown sessionAffinity',
    spec: { ports: p80, sessionAffinity: 'Sticky' },
    errors: ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'],
  },
  {
    what: 'ClientIP timeout 0',
    spec: { ports: p80, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } },
    errors: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400'],
  },
  {
    what: 'ClientIP timeout over a day',
    spec: { ports: p80, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } } },
    errors: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400'],
  },
  {
    what: 'sessionAffinityConfig without ClientIP affinity',
    spec: { ports: p80, sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } },
    errors: ['spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None'],
  },
  // node ports
  {
    what: 'nodePort on a ClusterIP Service',
    spec: { ports: [{ port: 80, nodePort: 30080 }] },
    errors: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
  },
  {
    what: 'nodePort outside the range',
    spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] },
    errors: [
      'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ],
  },
  {
    what: 'nodePort already allocated',
    spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30007 }] },
    errors: ['spec.ports[0].nodePort: Invalid value: 30007: provided port is already allocated'],
  },
  {
    what: 'the same nodePort twice',
    spec: {
      type: 'NodePort',
      ports: [
        { name: 'a', port: 80, nodePort: 30100 },
        { name: 'b', port: 81, nodePort: 30100 },
      ],
    },
    errors: ['spec.ports[1].nodePort: Duplicate value: 30100'],
  },
  {
    what: 'NodePort and headless',
    spec: { type: 'NodePort', clusterIP: 'None', ports: p80 },
    errors: [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`],
  },
  {
    what: 'LoadBalancer and headless',
    spec: { type: 'LoadBalancer', clusterIP: 'None', ports: p80 },
    errors: [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`],
  },
  // cluster IPs
  {
    what: 'malformed clusterIP',
    spec: { clusterIP: '300.1.1.1', ports: p80 },
    errors: [`spec.clusterIPs[0]: Invalid value: "300.1.1.1": ${BAD_IP}`],
  },
  {
    what: 'clusterIP outside the service CIDR',
    spec: { clusterIP: '10.0.171.239', ports: p80 },
    errors: [
      'spec.clusterIPs: Invalid value: []string{"10.0.171.239"}: failed to allocate IP 10.0.171.239: the provided IP (10.0.171.239) is not in the valid range. The range of valid IPs is 127.93.0.0/16',
    ],
  },
  {
    what: 'clusterIP already allocated',
    spec: { clusterIP: '127.93.0.20', ports: p80 },
    errors: [
      'spec.clusterIPs: Invalid value: []string{"127.93.0.20"}: failed to allocate IP 127.93.0.20: provided IP is already allocated',
    ],
  },
  {
    what: 'clusterIPs[0] different from clusterIP',
    spec: { clusterIP: '127.93.0.30', clusterIPs: ['127.93.0.31'], ports: p80 },
    errors: ['spec.clusterIPs: Invalid value: []string{"127.93.0.31"}: first value must match `clusterIP`'],
  },
  {
    what: 'clusterIPs without clusterIP',
    spec: { clusterIPs: ['127.93.0.31'], ports: p80 },
    errors: ['spec.clusterIPs: Invalid value: []string{"127.93.0.31"}: must be empty when `clusterIP` is not specified'],
  },
  {
    what: "'None' with a second IP",
    spec: { clusterIP: 'None', clusterIPs: ['None', '127.93.0.5'], ports: p80 },
    errors: [`spec.clusterIPs: Invalid value: []string{"None", "127.93.0.5"}: 'None' must be the first and only value`],
  },
  {
    what: 'three clusterIPs',
    spec: { clusterIP: '127.93.0.5', clusterIPs: ['127.93.0.5', 'fd00::5', '127.93.0.6'], ipFamilyPolicy: 'PreferDualStack', ports: p80 },
    errors: ['spec.clusterIPs: Invalid value: []string{"127.93.0.5", "fd00::5", "127.93.0.6"}: may only hold up to 2 values'],
  },
  {
    what: 'two IPs of one family',
    spec: { clusterIP: '127.93.0.5', clusterIPs: ['127.93.0.5', '127.93.0.6'], ipFamilyPolicy: 'PreferDualStack', ports: p80 },
    errors: ['spec.clusterIPs: Invalid value: []string{"127.93.0.5", "127.93.0.6"}: may specify no more than one IP for each IP family'],
  },
  {
    what: 'IPv6 clusterIP on an IPv4 cluster',
    spec: { clusterIP: 'fd00::10', ports: p80 },
    errors: ['spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster'],
  },
  {
    what: 'clusterIP of the wrong family for ipFamilies',
    spec: { clusterIP: '127.93.0.5', ipFamilies: ['IPv6'], ports: p80 },
    errors: ['spec.clusterIPs[0]: Invalid value: "127.93.0.5": expected an IPv6 value as indicated by `ipFamilies[0]`'],
  },
  // dual stack on a single-stack cluster
  {
    what: 'RequireDualStack on a single-stack cluster',
    spec: { ipFamilyPolicy: 'RequireDualStack', ports: p80 },
    errors: ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'],
  },
  {
    what: 'IPv6 family on an IPv4 cluster',
    spec: { ipFamilies: ['IPv6'], ports: p80 },
    errors: ['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'],
  },
  {
    what: 'unknown IP family',
    spec: { ipFamilies: ['IPv5'], ports: p80 },
    errors: ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
  },
  {
    what: 'duplicate IP family',
    spec: { ipFamilies: ['IPv4', 'IPv4'], ipFamilyPolicy: 'PreferDualStack', ports: p80 },
    errors: ['spec.ipFamilies[1]: Duplicate value: "IPv4"'],
  },
  {
    what: 'unknown ipFamilyPolicy',
    spec: { ipFamilyPolicy: 'Both', ports: p80 },
    errors: ['spec.ipFamilyPolicy: Unsupported value: "Both": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"'],
  },
  {
    what: 'SingleStack with two families',
    spec: { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'], ports: p80 },
    errors: [
      `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`,
    ],
  },
  // traffic policies and load balancer fields
  {
    what: 'externalTrafficPolicy on ClusterIP',
    spec: { ports: p80, externalTrafficPolicy: 'Local' },
    errors: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
  },
  {
    what: 'unknown externalTrafficPolicy',
    spec: { type: 'NodePort', ports: p80, externalTrafficPolicy: 'Global' },
    errors: ['spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"'],
  },
  {
    what: 'unknown internalTrafficPolicy',
    spec: { ports: p80, internalTrafficPolicy: 'Node' },
    errors: ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'],
  },
  {
    what: 'unknown trafficDistribution',
    spec: { ports: p80, trafficDistribution: 'Anywhere' },
    errors: ['spec.trafficDistribution: Unsupported value: "Anywhere": supported values: "PreferClose"'],
  },
  {
    what: 'loadBalancerClass on ClusterIP',
    spec: { ports: p80, loadBalancerClass: 'example.com/lb' },
    errors: ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"],
  },
  {
    what: 'loadBalancerClass not a qualified name',
    spec: { type: 'LoadBalancer', ports: p80, loadBalancerClass: 'bad class!' },
    errors: [QUALIFIED('spec.loadBalancerClass', 'bad class!')],
  },
  {
    what: 'allocateLoadBalancerNodePorts on NodePort',
    spec: { type: 'NodePort', ports: p80, allocateLoadBalancerNodePorts: false },
    errors: ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"],
  },
  {
    what: 'healthCheckNodePort without LoadBalancer + Local',
    spec: { type: 'NodePort', ports: p80, externalTrafficPolicy: 'Local', healthCheckNodePort: 30200 },
    errors: [
      "spec.healthCheckNodePort: Invalid value: 30200: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    ],
  },
  {
    what: 'loadBalancerSourceRanges entry not a CIDR',
    spec: { type: 'LoadBalancer', ports: p80, loadBalancerSourceRanges: ['10.0.0.0/33'] },
    errors: [
      'spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ],
  },
  {
    what: 'loadBalancerSourceRanges on ClusterIP',
    spec: { ports: p80, loadBalancerSourceRanges: ['10.0.0.0/8'] },
    errors: ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"],
  },
  // external IPs and selector
  {
    what: 'externalIP not an IP',
    spec: { ports: p80, externalIPs: ['not-an-ip'] },
    errors: [`spec.externalIPs[0]: Invalid value: "not-an-ip": ${BAD_IP}`],
  },
  {
    what: 'externalIP unspecified',
    spec: { ports: p80, externalIPs: ['0.0.0.0'] },
    errors: ['spec.externalIPs[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)'],
  },
  {
    what: 'externalIP link-local',
    spec: { ports: p80, externalIPs: ['169.254.1.1'] },
    errors: ['spec.externalIPs[0]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)'],
  },
  {
    what: 'selector value with a space',
    spec: { ports: p80, selector: { app: 'a b' } },
    errors: [
      `spec.selector: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ],
  },
];

describe('invalid Services are refused with upstream texts', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  for (const [i, c] of cases.entries()) {
    it(c.what, async () => {
      const name = c.name ?? `bad-${i}`;
      const r = await post(name, c.spec);
      const st = r.json();
      const joined = c.errors.length === 1 ? c.errors[0] : `[${c.errors.join(', ')}]`;
      expect({ code: r.status, reason: st.reason, message: st.message }).toEqual({
        code: 422,
        reason: 'Invalid',
        message: `Service "${name}" is invalid: ${joined}`,
      });
      expect(st.details.causes.map((x: { field: string; message: string }) => `${x.field}: ${x.message}`)).toEqual(c.errors);
      // Nothing was stored or allocated by the refused create.
      expect((await api(tc.cluster, 'GET', `/api/v1/namespaces/default/services/${name}`)).status).toBe(404);
    });
  }
  it('left the allocations of the refused creates free', async () => {
    const r = await post('reuse', {
      type: 'NodePort',
      clusterIP: '127.93.0.30',
      ports: [
        { name: 'a', port: 80, nodePort: 30100 },
        { name: 'b', port: 81, nodePort: 31000 },
      ],
    });
    expect(r.status).toBe(201);
  });
});

describe('invalid updates', () => {
  it('clusterIP may not change once set', async () => {
    expect((await post('fixed', { clusterIP: '127.93.0.40', ports: p80 })).status).toBe(201);
    const r = await api(tc.cluster, 'PATCH', '/api/v1/namespaces/default/services/fixed', {
      body: { spec: { clusterIP: '127.93.0.41' } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(422);
    expect(r.json().message).toBe(
      'Service "fixed" is invalid: spec.clusterIPs[0]: Invalid value: []string{"127.93.0.41"}: may not change once set',
    );
  });
  it('loadBalancerClass may not change once set', async () => {
    expect((await post('classy', { type: 'LoadBalancer', loadBalancerClass: 'example.com/a', ports: p80 })).status).toBe(201);
    const r = await api(tc.cluster, 'PATCH', '/api/v1/namespaces/default/services/classy', {
      body: { spec: { loadBalancerClass: 'example.com/b' } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.json().message).toBe(
      'Service "classy" is invalid: spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set',
    );
  });
  it('kubectl prints the Status like upstream', async () => {
    const r = await tc.kubectl(['create', 'service', 'nodeport', 'np-bad', '--tcp=80:80', '--node-port=30007'], { allowFail: true });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'error: failed to create NodePort service: Service "np-bad" is invalid: spec.ports[0].nodePort: Invalid value: 30007: provided port is already allocated',
    );
  });
});
