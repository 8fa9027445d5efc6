// `tinykube agnhost ...`: dispatch to the subcommands, help, and the errors of what is not there
// or not right, as cobra words them.
import { describe, expect, it } from 'vitest';
import { runAgnhost } from '../../src/agnhost/main.js';
import { fakeRuntime } from './helpers.js';

async function run(...argv: string[]) {
  const f = fakeRuntime();
  const code = await runAgnhost(argv, f.rt);
  return { code, out: f.stdout(), err: f.log(), f };
}

describe('runAgnhost', () => {
  it('without a subcommand prints the usage with the supported subcommands and exits 1', async () => {
    const r = await run();
    expect(r.code).toBe(1);
    for (const c of ['netexec', 'pause', 'porter', 'serve-hostname']) expect(r.err).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
  });

  it('help and --help print it on stdout and exit 0; `help <command>` and `<command> --help` that command', async () => {
    expect((await run('--help')).code).toBe(0);
    expect((await run('help')).out).toContain('Available Commands:');
    const h = await run('netexec', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage:\n  agnhost netexec [flags]');
    expect(h.out).toMatch(/--http-port int +HTTP Listen Port \(default 8080\)/);
    expect(h.out).toMatch(/--udp-port int +UDP Listen Port \(default 8081\)/);
    expect(h.out).toMatch(/--sctp-port int +SCTP Listen Port \(default -1\)/);
    expect((await run('help', 'serve-hostname')).out).toMatch(/--port int +Port number\. \(default 9376\)/);
  });

  it('says which upstream subcommands are not built in', async () => {
    const r = await run('connect', '127.0.0.1:80');
    expect(r.code).toBe(1);
    expect(r.err).toBe("tinykube's built-in agnhost does not implement connect; supported: netexec, pause, porter, serve-hostname\n");
  });

  it('refuses an unknown subcommand as cobra does', async () => {
    const r = await run('bogus');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: unknown command "bogus" for "agnhost"\n/);
  });

  it('refuses bad flags and arguments with the usage and cobra texts', async () => {
    const unknown = await run('netexec', '--bogus');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('--http-port int');
    expect(unknown.err.endsWith('Error: unknown flag: --bogus\n')).toBe(true);
    expect((await run('netexec', '--http-port=abc')).err).toContain(
      'Error: invalid argument "abc" for "--http-port" flag: strconv.ParseInt: parsing "abc": invalid syntax\n',
    );
    const extra = await run('pause', 'now');
    expect(extra).toMatchObject({ code: 1, err: 'Error: accepts at most 0 arg(s), received 1\n' });
  });

  it("logs a server that cannot start as upstream's log.Fatal, and exits 1", async () => {
    const tls = await run('netexec', '--http-port=0', '--udp-port=-1', '--tls-cert-file=/nonexistent/a.crt');
    expect(tls.code).toBe(1);
    expect(tls.err).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d open \/nonexistent\/a\.crt: no such file or directory\n$/m);
    const sh = await run('serve-hostname', '--udp');
    expect(sh.code).toBe(1);
    expect(sh.err).toContain("Can't serve TCP/UDP mode and HTTP mode at the same time");
  });

  it('pause runs until a signal: undefined, then the exit', async () => {
    const r = await run('pause');
    expect(r.code).toBeUndefined();
    expect(r.out).toBe('Paused\n');
    r.f.signals.emit('SIGTERM');
    expect(await r.f.exited()).toBe(2);
  });
});
