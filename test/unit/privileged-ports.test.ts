// privilegedPortsNotice: the start banner's line about ClusterIP ports below 1024 (kube-dns's 53,
// the kubernetes Service's 443) for users who cannot bind them, from injected host facts.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { privilegedPortsNotice, readPortPrivileges, type PortPrivileges } from '../../src/base/privileged-ports.js';

// CapEff masks: a full root set (bit 10, CAP_NET_BIND_SERVICE, among them), a normal user's, and
// root's set without that one bit (docker run --cap-drop NET_BIND_SERVICE).
const ROOT_CAPS = '000001ffffffffff';
const NO_CAPS = '0000000000000000';
const ROOT_WITHOUT_BIND = (0x1ffffffffffn & ~(1n << 10n)).toString(16).padStart(16, '0');
const ONLY_BIND = (1n << 10n).toString(16).padStart(16, '0');

const host = (h: Partial<PortPrivileges>): PortPrivileges => ({
  platform: 'linux',
  uid: 1001,
  capEff: NO_CAPS,
  unprivilegedPortStart: 1024,
  ...h,
});
const BOTH =
  'ClusterIP ports below 1024 (kube-dns on 53, the kubernetes Service on 443) need root or CAP_NET_BIND_SERVICE; to allow them for every user: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0';

describe('privilegedPortsNotice', () => {
  it('names both ports and the sysctl for a normal user on a default kernel (a CI runner)', () => {
    expect(privilegedPortsNotice(host({}))).toBe(BOTH);
  });

  it('says nothing when the process holds CAP_NET_BIND_SERVICE, whoever it is', () => {
    expect(privilegedPortsNotice(host({ uid: 0, capEff: ROOT_CAPS }))).toBeUndefined();
    expect(privilegedPortsNotice(host({ uid: 1001, capEff: ONLY_BIND }))).toBeUndefined();
    // uid 0 stands in for the capability only where /proc/self/status could not be read.
    expect(privilegedPortsNotice(host({ uid: 0, capEff: undefined }))).toBeUndefined();
    expect(privilegedPortsNotice(host({ uid: 1001, capEff: undefined }))).toBe(BOTH);
  });

  it('does not take uid 0 for the capability: root without CAP_NET_BIND_SERVICE gets the notice', () => {
    expect(ROOT_WITHOUT_BIND).toBe('000001fffffffbff');
    expect(privilegedPortsNotice(host({ uid: 0, capEff: ROOT_WITHOUT_BIND }))).toBe(BOTH);
  });

  it('follows net.ipv4.ip_unprivileged_port_start: lowered to 53 or below, nothing; in between, only the ports under it', () => {
    for (const start of [0, 1, 53]) expect(privilegedPortsNotice(host({ unprivilegedPortStart: start })), String(start)).toBeUndefined();
    expect(privilegedPortsNotice(host({ unprivilegedPortStart: 54 }))).toBe(
      'ClusterIP ports below 54 (kube-dns on 53) need root or CAP_NET_BIND_SERVICE; to allow them for every user: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0',
    );
    expect(privilegedPortsNotice(host({ unprivilegedPortStart: 443 }))).toMatch(/^ClusterIP ports below 443 \(kube-dns on 53\) need/);
    expect(privilegedPortsNotice(host({ unprivilegedPortStart: 444 }))).toMatch(
      /^ClusterIP ports below 444 \(kube-dns on 53, the kubernetes Service on 443\) need/,
    );
  });

  it('without the sysctl (a kernel before 4.11) says ports below 1024 need the capability, and offers no sysctl', () => {
    expect(privilegedPortsNotice(host({ unprivilegedPortStart: undefined }))).toBe(
      'ClusterIP ports below 1024 (kube-dns on 53, the kubernetes Service on 443) need root or CAP_NET_BIND_SERVICE (this kernel has no net.ipv4.ip_unprivileged_port_start to lower)',
    );
  });

  it('judges Linux only, and the ports it is given', () => {
    expect(privilegedPortsNotice(host({ platform: 'darwin' }))).toBeUndefined();
    expect(privilegedPortsNotice(host({}), [{ port: 443, what: 'the kubernetes Service' }])).toMatch(/\(the kubernetes Service on 443\)/);
    expect(privilegedPortsNotice(host({}), [{ port: 8443, what: 'x' }])).toBeUndefined();
    expect(privilegedPortsNotice(host({}), [])).toBeUndefined();
  });
});

describe('readPortPrivileges', () => {
  it('reads this process: its uid, its CapEff mask and the sysctl', () => {
    const h = readPortPrivileges();
    expect(h.platform).toBe(process.platform);
    expect(h.uid).toBe(process.getuid?.());
    if (process.platform !== 'linux') return;
    expect(h.capEff).toMatch(/^[0-9a-f]{16}$/);
    expect(h.unprivilegedPortStart).toBe(
      Number(spawnSync('sysctl', ['-n', 'net.ipv4.ip_unprivileged_port_start']).stdout.toString().trim()),
    );
  });

  it('agrees with the kernel for a normal user (uid 65534 through setpriv, where this runs as root)', () => {
    if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) return;
    const asNobody = (args: string[]) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...args], { encoding: 'utf8', timeout: 10_000 });
    const capEff = /^CapEff:\s*(\S+)$/m.exec(asNobody(['cat', '/proc/self/status']).stdout)?.[1];
    expect(capEff).toBe(NO_CAPS);
    const notice = privilegedPortsNotice({ ...readPortPrivileges(), uid: 65534, capEff });
    // What the kernel says about port 443 (on a loopback address nobody else uses) as that user.
    const bind = asNobody([
      process.execPath,
      '-e',
      "require('net').createServer().on('error', (e) => { console.log(e.code); process.exit(0); }).listen(443, '127.77.0.1', () => { console.log('bound'); process.exit(0); })",
    ]).stdout.trim();
    if (readPortPrivileges().unprivilegedPortStart! > 443) {
      expect(bind).toBe('EACCES');
      expect(notice).toMatch(/the kubernetes Service on 443\) need root or CAP_NET_BIND_SERVICE/);
    } else {
      expect(bind).toBe('bound');
      expect(notice ?? '').not.toContain('443');
    }
  });
});
