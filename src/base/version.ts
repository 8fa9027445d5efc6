// What /version reports. kubectl compares major/minor with its own (1.32) and warns when the skew
// is more than one minor version, so we report the API level we implement.
export const TINYKUBE_VERSION = '0.1.0';
export const KUBE_API_VERSION = 'v1.32.0';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: `${KUBE_API_VERSION}-tinykube.${TINYKUBE_VERSION}`,
  gitCommit: 'tinykube',
  gitTreeState: 'clean',
  buildDate: '2026-11-24T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tinykube',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};
