// The example operator's own suite (examples/website-operator: a CRD, a client-node controller, a
// validating webhook and RBAC, tested with startCluster()), run in CI with the rest: vitest
// collects test/ only, and the example needs no install of its own.
import '../../examples/website-operator/test/website-operator.test.js';
