// tinykube's built-in agnhost (registry.k8s.io/e2e-test-images/agnhost, kubernetes
// test/images/agnhost). Upstream-style e2e tests run agnhost Pods everywhere: netexec behind
// Services, serve-hostname for session affinity, porter for the API server's proxy, pause to keep
// a container running. tinykube has no image runtime (Pods are local processes), so the image maps
// to `tinykube agnhost <subcommand> [flags]` and the subcommands tests use most are built in,
// with upstream's flags, defaults, endpoints, answers and log lines. The others say so and exit 1.
import { flagUsages, FlagError, parseFlags, type FlagSet, type FlagValues } from './flags.js';
import { goQuote } from '../apimachinery/go-format.js';
import { NETEXEC_FLAGS, netexecOptions, startNetexec } from './netexec.js';
import { PAUSE_FLAGS, pause } from './pause.js';
import { PORTER_FLAGS, porterOptions, startPorter } from './porter.js';
import { goLog, processRuntime, type AgnhostRuntime } from './runtime.js';
import { SERVE_HOSTNAME_FLAGS, serveHostnameOptions, startServeHostname } from './serve-hostname.js';

interface Command {
  name: string;
  short: string;
  long: string;
  flags: FlagSet;
  /** An exit code when it cannot run; undefined while it serves (it exits by itself, on a signal or a request). */
  run(flags: Record<string, unknown>, rt: AgnhostRuntime): Promise<number | undefined>;
}

function command<S extends FlagSet>(c: {
  name: string;
  short: string;
  long: string;
  flags: S;
  run(flags: FlagValues<S>, rt: AgnhostRuntime): Promise<number | undefined>;
}): Command {
  return c as unknown as Command;
}

/** A server's start: upstream's log.Fatal (its text on stderr, exit 1) when it fails. */
async function serving(rt: AgnhostRuntime, start: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await start();
    return undefined;
  } catch (e) {
    goLog(rt, (e as Error).message);
    return 1;
  }
}

const COMMANDS: Command[] = [
  command({
    name: 'netexec',
    short: 'Creates HTTP(S), UDP, and (optionally) SCTP servers with various endpoints',
    long: `Starts a HTTP(S) server on the given port with the endpoints /, /clientip, /header, /dial, /echo,
/exit, /healthz, /readyz, /hostname, /hostName, /redirect, /shell, /shutdown and /upload, and a
UDP server on the given UDP port answering "hostname", "echo <msg>" and "clientip" (--udp-port=-1
disables it). SCTP is not supported by tinykube's built-in agnhost.`,
    flags: NETEXEC_FLAGS,
    run: (f, rt) => serving(rt, () => startNetexec(netexecOptions(f, rt))),
  }),
  command({
    name: 'pause',
    short: 'Pauses the execution',
    long: 'Pauses the execution. Useful for keeping the containers running, so other commands can be executed.',
    flags: PAUSE_FLAGS,
    run: async (f, rt) => {
      void pause(f['delay-shutdown'], rt);
      return undefined;
    },
  }),
  command({
    name: 'porter',
    short: 'Serves requested data on ports specified in ENV variables',
    long: `Serves requested data on ports specified in environment variables of the form SERVE_{PORT,TLS_PORT}_[NNNN]
(SERVE_SCTP_PORT_ is not supported by tinykube's built-in agnhost). The TLS ports use CERT_FILE and
KEY_FILE, by default a self-signed certificate for 127.0.0.1, ::1 and localhost.`,
    flags: PORTER_FLAGS,
    run: (f, rt) => serving(rt, () => startPorter(porterOptions(f, rt))),
  }),
  command({
    name: 'serve-hostname',
    short: 'Serves the hostname',
    long: 'Serves the hostname through HTTP / TCP / UDP on the given port.',
    flags: SERVE_HOSTNAME_FLAGS,
    run: (f, rt) => serving(rt, () => startServeHostname(serveHostnameOptions(f, rt))),
  }),
];

/** Upstream's other subcommands: named here so that asking for one says it is missing, not unknown. */
const NOT_BUILT_IN = new Set([
  'audit-proxy',
  'connect',
  'crd-conversion-webhook',
  'dns-server-list',
  'dns-suffix',
  'entrypoint-tester',
  'etc-hosts',
  'fake-gitserver',
  'fake-registry-server',
  'grpc-health-checking',
  'guestbook',
  'inclusterclient',
  'liveness',
  'logs-generator',
  'mounttest',
  'mtlsclient',
  'mtlsserver',
  'net',
  'nettest',
  'no-snat-test',
  'no-snat-test-proxy',
  'port-forward-tester',
  'resource-consumer',
  'resource-consumer-controller',
  'stress',
  'tcp-reset',
  'test-service-account-issuer-discovery',
  'test-webserver',
  'webhook',
]);

const SUPPORTED = COMMANDS.map((c) => c.name).join(', ');

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `tinykube's built-in agnhost: the subcommands of registry.k8s.io/e2e-test-images/agnhost that e2e tests use most.

Usage:
  agnhost [command]

Available Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.short}`).join('\n')}

Use "agnhost [command] --help" for more information about a command.
`;
}

function commandHelp(c: Command): string {
  return `${c.long}

Usage:
  agnhost ${c.name} [flags]

Flags:
${flagUsages(c.flags, c.name)}`;
}

/** `tinykube agnhost <argv>`: an exit code, or undefined while a server runs (until a signal or request ends the process). */
export async function runAgnhost(argv: string[], rt: AgnhostRuntime = processRuntime()): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    rt.stderr(usage());
    return 1;
  }
  if (name === 'help' || name === '-h' || name === '--help') {
    const c = COMMANDS.find((x) => x.name === rest[0]);
    rt.stdout(c ? commandHelp(c) : usage());
    return 0;
  }
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) {
    if (NOT_BUILT_IN.has(name)) rt.stderr(`tinykube's built-in agnhost does not implement ${name}; supported: ${SUPPORTED}\n`);
    else rt.stderr(`Error: unknown command ${goQuote(name)} for "agnhost"\n\n${usage()}`);
    return 1;
  }
  let parsed;
  try {
    parsed = parseFlags(rest, c.flags);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    // cobra (as component-base's cli.Run sets it up) prints the usage, then the error.
    rt.stderr(`Usage:\n  agnhost ${c.name} [flags]\n\nFlags:\n${flagUsages(c.flags, c.name)}\nError: ${e.message}\n`);
    return 1;
  }
  if (parsed.help) {
    rt.stdout(commandHelp(c));
    return 0;
  }
  if (parsed.args.length > 0) {
    rt.stderr(`Error: accepts at most 0 arg(s), received ${parsed.args.length}\n`);
    return 1;
  }
  return c.run(parsed.flags, rt);
}
