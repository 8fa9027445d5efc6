// The official Python client on the kinds of issue 25 it has typed APIs for: a ResourceQuota
// whose status the controller fills and whose limit refuses a Pod (ApiException 403 with
// upstream's text), a LimitRange defaulting a Pod's resources, and a CertificateSigningRequest
// created, approved (replace_certificate_signing_request_approval) and signed; a NetworkPolicy, the
// default IngressClass, an Ingress whose status the built-in controller fills, and APIServices.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { pythonJson } from '../helpers/python.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

/** A PKCS#10 request (base64 of its PEM) for CN=bob, O=qa, made by openssl. */
function csrBase64(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tinykube-pycsr-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=bob/O=qa',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'r.pem'),
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(join(dir, 'r.pem')).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the Python client', () => {
  it('works with ResourceQuota, LimitRange and CertificateSigningRequest', async () => {
    const got = await pythonJson(
      tc,
      {
        code: `
import json, sys, time
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
out = {}
core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-quota")))
core.create_namespaced_limit_range("py-quota", client.V1LimitRange(metadata=client.V1ObjectMeta(name="defaults"),
    spec=client.V1LimitRangeSpec(limits=[client.V1LimitRangeItem(type="Container", default={"cpu": "200m"}, default_request={"cpu": "100m"})])))
core.create_namespaced_resource_quota("py-quota", client.V1ResourceQuota(metadata=client.V1ObjectMeta(name="q"),
    spec=client.V1ResourceQuotaSpec(hard={"pods": "1", "requests.cpu": "1"})))
def pod(name):
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=client.V1PodSpec(node_name="elsewhere",
        containers=[client.V1Container(name="c", image="registry.k8s.io/pause:3.10")]))
first = core.create_namespaced_pod("py-quota", pod("first"))
out["defaulted"] = first.spec.containers[0].resources.requests
try:
    core.create_namespaced_pod("py-quota", pod("second"))
except ApiException as e:
    out["refused"] = [e.status, json.loads(e.body)["message"]]
for _ in range(100):
    q = core.read_namespaced_resource_quota("q", "py-quota")
    if q.status and q.status.used and q.status.used.get("pods") == "1":
        break
    time.sleep(0.05)
out["used"] = q.status.used
certs = client.CertificatesV1Api()
certs.create_certificate_signing_request(client.V1CertificateSigningRequest(metadata=client.V1ObjectMeta(name="py-bob"),
    spec=client.V1CertificateSigningRequestSpec(request=sys.argv[2], signer_name="kubernetes.io/kube-apiserver-client", usages=["client auth"])))
csr = certs.read_certificate_signing_request("py-bob")
csr.status.conditions = [client.V1CertificateSigningRequestCondition(type="Approved", status="True", reason="PyApprove", message="approved from python")]
certs.replace_certificate_signing_request_approval("py-bob", csr)
for _ in range(100):
    csr = certs.read_certificate_signing_request("py-bob")
    if csr.status.certificate:
        break
    time.sleep(0.05)
out["signed"] = bool(csr.status.certificate)
out["requestor"] = csr.spec.username
print(json.dumps(out))
`,
      },
      [csrBase64()],
    );
    expect(got).toEqual({
      defaulted: { cpu: '100m' },
      refused: [403, 'pods "second" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1'],
      used: { pods: '1', 'requests.cpu': '100m' },
      signed: true,
      requestor: 'kubernetes-admin',
    });
  });

  it('works with NetworkPolicy, the default IngressClass, an Ingress the controller serves, and APIServices', async () => {
    const got = await pythonJson(tc, {
      code: `
import json, sys, time
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
net = client.NetworkingV1Api()
out = {}
net.create_namespaced_network_policy("default", client.V1NetworkPolicy(metadata=client.V1ObjectMeta(name="py-deny"),
    spec=client.V1NetworkPolicySpec(pod_selector=client.V1LabelSelector(match_labels={"app": "db"}))))
np = net.read_namespaced_network_policy("py-deny", "default")
out["policyTypes"] = np.spec.policy_types
out["classes"] = [[c.metadata.name, c.spec.controller, (c.metadata.annotations or {}).get("ingressclass.kubernetes.io/is-default-class")] for c in net.list_ingress_class().items]
backend = client.V1IngressBackend(service=client.V1IngressServiceBackend(name="py-web", port=client.V1ServiceBackendPort(number=80)))
net.create_namespaced_ingress("default", client.V1Ingress(metadata=client.V1ObjectMeta(name="py-ing"),
    spec=client.V1IngressSpec(rules=[client.V1IngressRule(host="py.test", http=client.V1HTTPIngressRuleValue(
        paths=[client.V1HTTPIngressPath(path="/", path_type="Prefix", backend=backend)]))])))
for _ in range(400):
    ing = net.read_namespaced_ingress("py-ing", "default")
    if ing.status.load_balancer.ingress:
        break
    time.sleep(0.025)
out["ingress"] = [ing.spec.ingress_class_name, [i.ip for i in ing.status.load_balancer.ingress or []]]
reg = client.ApiregistrationV1Api()
svc = reg.read_api_service("v1.networking.k8s.io")
out["apiservice"] = [svc.spec.group, svc.spec.version, svc.spec.service, [[c.type, c.status, c.reason] for c in svc.status.conditions]]
out["apiservices"] = len(reg.list_api_service().items)
print(json.dumps(out))
`,
    });
    expect(got).toEqual({
      policyTypes: ['Ingress'],
      classes: [['tinykube', 'tinykube.io/ingress', 'true']],
      ingress: ['tinykube', [tc.cluster.ingress!.http!.host]],
      apiservice: ['networking.k8s.io', 'v1', null, [['Available', 'True', 'Local']]],
      apiservices: expect.any(Number),
    });
    expect(got.apiservices).toBeGreaterThanOrEqual(20);
  });
});
