// batch/v1 CronJobs end to end, on a cluster whose controllers run on a fake clock: kubectl create
// cronjob and its table, one Job per schedule time (named `<cronjob>-<minutes since the epoch>`,
// with the scheduled-timestamp annotation and the CronJob as controller), concurrencyPolicy Allow,
// Forbid and Replace with a long-running Job, suspend (and the most recent missed time on resume),
// startingDeadlineSeconds, history limits deleting the oldest finished Jobs, a schedule in a time
// zone, `kubectl create job --from=cronjob/...`, invalid CronJobs refused with upstream's texts,
// and the Python client's BatchV1Api.
//
// The store stamps creationTimestamp with the wall clock while the controllers read the fake
// clock, which only moves when a test moves it: each test brings its CronJob to its first Job
// with firstRun() (at once when the fake clock is already past its first schedule time, which
// upstream does too: the most recent missed time), then moves minute by minute.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';
import { workloadKubectl } from '../helpers/workloads.js';
import { createFakeClock } from '../../src/base/clock.js';
import { parseStandard } from '../../src/registry/batch/cron-schedule.js';

const MIN = 60_000;
const clock = createFakeClock();
let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster({ clock, podBackoff: { initialMs: 200, maxMs: 1000 } });
});
afterAll(async () => {
  await tc?.stop();
});

const { k, fails, get: getJSON, newNamespace } = workloadKubectl(() => tc, { nsPrefix: 'cj' });

interface Job {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}
/** The Jobs the CronJob controls, by name. */
const jobsOf = async (ns: string, cj: string): Promise<Job[]> =>
  ((await getJSON(['jobs', '-n', ns])).items as Job[])
    .filter((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === cj && r.controller))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
const jobNames = async (ns: string, cj: string) => (await jobsOf(ns, cj)).map((j) => j.metadata.name);
const reasons = async (ns: string, name: string): Promise<string[]> =>
  ((await getJSON(['events', '-n', ns, '--field-selector', `involvedObject.name=${name}`])).items as { reason: string }[]).map(
    (e) => e.reason,
  );
const eventMessages = async (ns: string, name: string): Promise<string[]> =>
  ((await getJSON(['events', '-n', ns, '--field-selector', `involvedObject.name=${name}`])).items as { message: string }[]).map(
    (e) => e.message,
  );

/** Moves the fake clock to one second into minute `m` (minutes since the epoch). */
const toMinute = (m: number) => clock.set(m * MIN + 1000);

/** Brings an every-minute CronJob to its first Job and returns that Job's minute. */
async function firstRun(ns: string, name: string): Promise<number> {
  const cj = await getJSON(['cronjob', name, '-n', ns]);
  const firstDue = (Math.floor(Date.parse(cj.metadata.creationTimestamp) / MIN) + 1) * MIN;
  let minute: number;
  if (firstDue <= clock.now()) minute = Math.floor(clock.now() / MIN);
  else {
    minute = firstDue / MIN;
    toMinute(minute);
  }
  await untilPasses(async () => expect(await jobNames(ns, name)).toEqual([`${name}-${minute}`]));
  return minute;
}

const cronJobYaml = (name: string, spec: string, command = "[sleep, '3600']") => `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}}
spec:
${spec}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: c, image: local/sh, command: ${command}}
`;

describe('cron schedules as robfig/cron reads them', () => {
  const runs = (spec: string, zone: string, from: string, n: number) => {
    const s = parseStandard(spec, zone);
    const out: string[] = [];
    let t: number | undefined = Date.parse(from);
    for (let i = 0; i < n && t !== undefined; i++) {
      t = s.next(t);
      if (t !== undefined) out.push(new Date(t).toISOString());
    }
    return out;
  };
  it('descriptors, names, steps and ? as upstream', () => {
    expect(runs('@hourly', 'UTC', '2024-03-09T12:34:56Z', 2)).toEqual(['2024-03-09T13:00:00.000Z', '2024-03-09T14:00:00.000Z']);
    expect(runs('@weekly', 'UTC', '2024-03-09T12:00:00Z', 1)).toEqual(['2024-03-10T00:00:00.000Z']);
    expect(runs('*/20 9-10 ? JAN-mar mon-FRI', 'UTC', '2024-03-08T10:50:00Z', 2)).toEqual([
      '2024-03-11T09:00:00.000Z',
      '2024-03-11T09:20:00.000Z',
    ]);
    // Day of month and day of week: ORed when neither is a star, ANDed otherwise; a stepped star is no star.
    expect(runs('0 0 13 * fri', 'UTC', '2024-10-01T00:00:00Z', 3)).toEqual([
      '2024-10-04T00:00:00.000Z',
      '2024-10-11T00:00:00.000Z',
      '2024-10-13T00:00:00.000Z',
    ]);
    expect(runs('0 0 */2 * mon', 'UTC', '2024-03-09T12:00:00Z', 2)).toEqual(['2024-03-11T00:00:00.000Z', '2024-03-13T00:00:00.000Z']);
    expect(runs('0 0 * * mon', 'UTC', '2024-03-09T12:00:00Z', 1)).toEqual(['2024-03-11T00:00:00.000Z']);
    expect(runs('@every 90s', 'UTC', '2024-03-09T12:00:00.500Z', 1)).toEqual(['2024-03-09T12:01:30.000Z']);
    // Never (February 30th): no time within five years.
    expect(runs('0 0 30 2 *', 'UTC', '2024-01-01T00:00:00Z', 1)).toEqual([]);
  });
  it('walks wall time in the zone, skipping a time a daylight-saving jump removes', () => {
    expect(runs('0 9 * * *', 'America/New_York', '2024-03-09T12:00:00Z', 3)).toEqual([
      '2024-03-09T14:00:00.000Z',
      '2024-03-10T13:00:00.000Z',
      '2024-03-11T13:00:00.000Z',
    ]);
    expect(runs('30 2 * * *', 'America/New_York', '2024-03-09T12:00:00Z', 1)).toEqual(['2024-03-11T06:30:00.000Z']);
    expect(runs('TZ=Asia/Tokyo 0 9 * * *', 'UTC', '2024-03-09T12:00:00Z', 1)).toEqual(['2024-03-10T00:00:00.000Z']);
  });
  it('answers upstream errors', () => {
    const err = (spec: string) => {
      try {
        parseStandard(spec, 'UTC');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(err('')).toBe('empty spec string');
    expect(err('* * * * 7')).toBe('end of range (7) above maximum (6): 7');
    expect(err('5-1 * * * *')).toBe('beginning of range (5) beyond end of range (1): 5-1');
    expect(err('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(err('x * * * *')).toBe('failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    expect(err('1-2-3 * * * *')).toBe('too many hyphens: 1-2-3');
    expect(err('@every 5')).toBe('failed to parse duration @every 5: time: missing unit in duration "5"');
    expect(err('@yearly ')).toBe('unrecognized descriptor: @yearly ');
    expect(err('TZ=Mars/Base * * * * *')).toBe('provided bad location Mars/Base: unknown time zone Mars/Base');
  });
});

describe('kubectl create cronjob', () => {
  it('creates a CronJob with upstream defaults, shows it in get and get -o wide, and runs one Job per schedule time', async () => {
    const ns = await newNamespace();
    await k(['create', 'cronjob', 'tick', '-n', ns, '--schedule=*/1 * * * *', '--image=busybox', '--', 'sh', '-c', 'exit 0']);
    const cj = await getJSON(['cronjob', 'tick', '-n', ns]);
    expect(cj.spec).toMatchObject({
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(cj.spec.jobTemplate.spec.template.spec).toMatchObject({ restartPolicy: 'OnFailure', dnsPolicy: 'ClusterFirst' });
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(cj.metadata.generation).toBe(1);

    const table = (await k(['get', 'cj', '-n', ns])).stdout.split('\n');
    expect(table[0]!.split(/\s{2,}/)).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    expect(table[1]!.split(/\s{2,}/).slice(0, 6)).toEqual(['tick', '*/1 * * * *', '<none>', 'False', '0', '<none>']);
    const wide = (await k(['get', 'cronjobs', '-n', ns, '-o', 'wide'])).stdout.split('\n');
    expect(wide[0]!.split(/\s{2,}/).slice(7)).toEqual(['CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide[1]!.split(/\s{2,}/).slice(7)).toEqual(['tick', 'busybox', '<none>']);
    // `kubectl get all` lists CronJobs (category all).
    expect((await k(['get', 'all', '-n', ns])).stdout).toContain('cronjob.batch/tick');

    const m = await firstRun(ns, 'tick');
    const [job] = await jobsOf(ns, 'tick');
    expect(job!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true }),
    ]);
    expect(job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      new Date(m * MIN).toISOString().replace('.000', ''),
    );
    await untilPasses(async () => {
      const s = (await getJSON(['cronjob', 'tick', '-n', ns])).status;
      expect(s.lastScheduleTime).toBe(new Date(m * MIN).toISOString().replace('.000', ''));
    });
    expect(await reasons(ns, 'tick')).toContain('SuccessfulCreate');
    expect(await eventMessages(ns, 'tick')).toContain(`Created job tick-${m}`);

    // Each minute one more Job; moving within the same minute makes none.
    toMinute(m + 1);
    await untilPasses(async () => expect(await jobNames(ns, 'tick')).toEqual([`tick-${m}`, `tick-${m + 1}`]));
    clock.set((m + 1) * MIN + 30_000);
    toMinute(m + 2);
    await untilPasses(async () => expect(await jobNames(ns, 'tick')).toEqual([`tick-${m}`, `tick-${m + 1}`, `tick-${m + 2}`]));
    await tc.cluster.idle();
    expect(await jobNames(ns, 'tick')).toHaveLength(3);

    // The Jobs run `exit 0`: they complete, leave status.active and set lastSuccessfulTime.
    await untilPasses(
      async () => {
        const s = (await getJSON(['cronjob', 'tick', '-n', ns])).status;
        expect(s.active ?? []).toEqual([]);
        expect(s.lastSuccessfulTime).toBeTruthy();
      },
      { timeout: 30_000 },
    );
    expect(await reasons(ns, 'tick')).toContain('SawCompletedJob');

    // kubectl create job --from=cronjob/tick: a Job from the template, owned by the CronJob.
    await k(['create', 'job', 'manual', '--from=cronjob/tick', '-n', ns]);
    const manual = await getJSON(['job', 'manual', '-n', ns]);
    expect(manual.metadata.annotations['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(manual.metadata.ownerReferences[0]).toMatchObject({ kind: 'CronJob', name: 'tick', uid: cj.metadata.uid });
    expect(manual.spec.template.spec.containers[0].command).toEqual(['sh', '-c', 'exit 0']);
    await k(['delete', 'cronjob', 'tick', '-n', ns]);
    await untilPasses(async () => expect(await jobNames(ns, 'tick')).toEqual([]));
  }, 60_000);
});

describe('concurrencyPolicy with a long-running Job', () => {
  it('Allow runs Jobs side by side', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], cronJobYaml('allow', "  schedule: '*/1 * * * *'"));
    const m = await firstRun(ns, 'allow');
    toMinute(m + 1);
    await untilPasses(async () => expect(await jobNames(ns, 'allow')).toHaveLength(2));
    toMinute(m + 2);
    await untilPasses(async () => {
      expect(await jobNames(ns, 'allow')).toEqual([`allow-${m}`, `allow-${m + 1}`, `allow-${m + 2}`]);
      const active = (await getJSON(['cronjob', 'allow', '-n', ns])).status.active ?? [];
      expect(active.map((r: { name: string }) => r.name).sort()).toEqual([`allow-${m}`, `allow-${m + 1}`, `allow-${m + 2}`]);
    });
    expect((await k(['get', 'cronjob', 'allow', '-n', ns, '--no-headers'])).stdout.split(/\s{2,}/)[4]).toBe('3');
    await k(['delete', 'cronjob', 'allow', '-n', ns]);
  }, 60_000);

  it('Forbid skips a schedule time while a Job runs, and starts the missed time once it is gone', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], cronJobYaml('forbid', "  schedule: '*/1 * * * *'\n  concurrencyPolicy: Forbid"));
    const m = await firstRun(ns, 'forbid');
    await untilPasses(async () => expect((await getJSON(['cronjob', 'forbid', '-n', ns])).status.active ?? []).toHaveLength(1));
    toMinute(m + 1);
    await untilPasses(async () => expect(await reasons(ns, 'forbid')).toContain('JobAlreadyActive'));
    expect(await jobNames(ns, 'forbid')).toEqual([`forbid-${m}`]);
    // The running Job goes: the controller notices and starts the time it had to skip.
    await k(['delete', 'job', `forbid-${m}`, '-n', ns, '--wait=false']);
    await untilPasses(async () => expect(await jobNames(ns, 'forbid')).toEqual([`forbid-${m + 1}`]));
    await k(['delete', 'cronjob', 'forbid', '-n', ns]);
  }, 60_000);

  it('Replace deletes the running Job and starts the next one', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], cronJobYaml('replace', "  schedule: '*/1 * * * *'\n  concurrencyPolicy: Replace"));
    const m = await firstRun(ns, 'replace');
    await untilPasses(async () => expect((await getJSON(['cronjob', 'replace', '-n', ns])).status.active ?? []).toHaveLength(1));
    toMinute(m + 1);
    await untilPasses(async () => {
      expect(await jobNames(ns, 'replace')).toEqual([`replace-${m + 1}`]);
      const active = (await getJSON(['cronjob', 'replace', '-n', ns])).status.active ?? [];
      expect(active.map((r: { name: string }) => r.name)).toEqual([`replace-${m + 1}`]);
    });
    expect(await eventMessages(ns, 'replace')).toContain(`Deleted job replace-${m}`);
    await k(['delete', 'cronjob', 'replace', '-n', ns]);
  }, 60_000);
});

describe('suspend and startingDeadlineSeconds', () => {
  it('a suspended CronJob starts nothing; resumed, it starts only the most recent missed time', async () => {
    const ns = await newNamespace();
    await k(['apply', '-n', ns, '-f', '-'], cronJobYaml('pause', "  schedule: '*/1 * * * *'", "[sh, -c, 'exit 0']"));
    const m = await firstRun(ns, 'pause');
    await k(['patch', 'cronjob', 'pause', '-n', ns, '-p', '{"spec":{"suspend":true}}']);
    await untilPasses(async () =>
      expect((await k(['get', 'cj', 'pause', '-n', ns, '--no-headers'])).stdout.split(/\s{2,}/)[3]).toBe('True'),
    );
    toMinute(m + 1);
    toMinute(m + 3);
    await tc.cluster.idle();
    expect(await jobNames(ns, 'pause')).toEqual([`pause-${m}`]);
    await k(['patch', 'cronjob', 'pause', '-n', ns, '-p', '{"spec":{"suspend":false}}']);
    await untilPasses(async () => expect(await jobNames(ns, 'pause')).toEqual([`pause-${m}`, `pause-${m + 3}`]));
    await k(['delete', 'cronjob', 'pause', '-n', ns]);
  }, 60_000);

  it('with startingDeadlineSeconds, a time missed by more than the deadline is not started', async () => {
    const ns = await newNamespace();
    await k(
      ['apply', '-n', ns, '-f', '-'],
      cronJobYaml('late', "  schedule: '*/1 * * * *'\n  startingDeadlineSeconds: 10", "[sh, -c, 'exit 0']"),
    );
    const m = await firstRun(ns, 'late');
    await k(['patch', 'cronjob', 'late', '-n', ns, '-p', '{"spec":{"suspend":true}}']);
    await untilPasses(async () => expect((await getJSON(['cronjob', 'late', '-n', ns])).metadata.generation).toBe(2));
    clock.set((m + 1) * MIN + 30_000);
    await k(['patch', 'cronjob', 'late', '-n', ns, '-p', '{"spec":{"suspend":false}}']);
    await tc.cluster.idle();
    expect(await jobNames(ns, 'late')).toEqual([`late-${m}`]);
    toMinute(m + 2);
    await untilPasses(async () => expect(await jobNames(ns, 'late')).toEqual([`late-${m}`, `late-${m + 2}`]));
    await k(['delete', 'cronjob', 'late', '-n', ns]);
  }, 60_000);
});

describe('history limits', () => {
  it('keeps the newest successfulJobsHistoryLimit successful and failedJobsHistoryLimit failed Jobs', async () => {
    const ns = await newNamespace();
    await k(
      ['apply', '-n', ns, '-f', '-'],
      cronJobYaml('ok', "  schedule: '*/1 * * * *'\n  successfulJobsHistoryLimit: 2", "[sh, -c, 'exit 0']") +
        '---\n' +
        cronJobYaml('bad', "  schedule: '*/1 * * * *'\n  failedJobsHistoryLimit: 1", "[sh, -c, 'exit 1']").replace(
          '    spec:\n      template:',
          '    spec:\n      backoffLimit: 0\n      template:',
        ),
    );
    const m = await firstRun(ns, 'ok');
    await untilPasses(async () => expect(await jobNames(ns, 'bad')).toEqual([`bad-${m}`]));
    const finished = async (cj: string, type: string, n: number) =>
      untilPasses(
        async () => {
          const js = await jobsOf(ns, cj);
          expect(js.filter((j) => j.status?.conditions?.some((c) => c.type === type && c.status === 'True'))).toHaveLength(n);
        },
        { timeout: 30_000 },
      );
    for (let i = 1; i <= 3; i++) {
      await finished('ok', 'Complete', Math.min(i, 2));
      await finished('bad', 'Failed', 1);
      toMinute(m + i);
      await untilPasses(async () => expect(await jobNames(ns, 'ok')).toContain(`ok-${m + i}`));
    }
    // The oldest finished Jobs went: two successful and one failed are kept, besides the newest runs.
    await finished('ok', 'Complete', 2);
    await untilPasses(
      async () => {
        expect(await jobNames(ns, 'ok')).toEqual([`ok-${m + 2}`, `ok-${m + 3}`]);
        expect(await jobNames(ns, 'bad')).toEqual([`bad-${m + 3}`]);
      },
      { timeout: 30_000 },
    );
    expect(await eventMessages(ns, 'ok')).toEqual(expect.arrayContaining([`Deleted job ok-${m}`, `Deleted job ok-${m + 1}`]));
    await k(['delete', 'cronjobs', '--all', '-n', ns]);
  }, 120_000);
});

describe('bad input', () => {
  it('refuses invalid CronJobs with upstream texts (422) and stores nothing', async () => {
    const ns = await newNamespace();
    const invalid = async (spec: string, msg: string, name = 'bad') => {
      const out = await fails(['create', '-n', ns, '-f', '-'], cronJobYaml(name, spec));
      expect(out).toContain(`The CronJob "${name}" is invalid`);
      expect(out).toContain(msg);
    };
    await invalid("  schedule: 'bad'", 'spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]');
    await invalid("  schedule: '61 * * * *'", 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
    await invalid("  schedule: '@every 5x'", 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"');
    await invalid(
      "  schedule: 'TZ=UTC 0 * * * *'",
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    );
    await invalid(
      "  schedule: '0 * * * *'\n  timeZone: Mars/Olympus",
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    );
    await invalid(
      "  schedule: '0 * * * *'\n  startingDeadlineSeconds: -1",
      'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
    );
    await invalid(
      "  schedule: '0 * * * *'\n  concurrencyPolicy: Sometimes",
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    );
    await invalid("  schedule: '0 * * * *'\n  successfulJobsHistoryLimit: -2", 'spec.successfulJobsHistoryLimit: Invalid value: -2');
    await invalid(
      "  schedule: '0 * * * *'",
      'metadata.name: Invalid value: "' + 'x'.repeat(53) + '": must be no more than 52 characters',
      'x'.repeat(53),
    );
    const noRestart = await fails(
      ['create', '-n', ns, '-f', '-'],
      cronJobYaml('bad', "  schedule: '0 * * * *'").replace('restartPolicy: Never', 'restartPolicy: Always'),
    );
    expect(noRestart).toContain('spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
    const withSelector = await fails(
      ['create', '-n', ns, '-f', '-'],
      cronJobYaml('bad', "  schedule: '0 * * * *'").replace(
        '    spec:\n      template:',
        '    spec:\n      selector: {matchLabels: {a: b}}\n      template:',
      ),
    );
    expect(withSelector).toContain('spec.jobTemplate.spec.selector: Invalid value:');
    expect(withSelector).toContain('`selector` will be auto-generated');
    // kubectl create cronjob with a bad schedule: the server's answer.
    const viaCreate = await fails(['create', 'cronjob', 'bad', '-n', ns, '--schedule=* * *', '--image=x']);
    expect(viaCreate).toContain('spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]');
    expect((await k(['get', 'cronjobs', '-n', ns, '-o', 'name'])).stdout.trim()).toBe('');

    // A schedule change to an invalid one is refused on update too; a valid time zone is accepted.
    await k(['apply', '-n', ns, '-f', '-'], cronJobYaml('good', "  schedule: '0 * * * *'\n  timeZone: Europe/Berlin\n  suspend: true"));
    const upd = await fails(['patch', 'cronjob', 'good', '-n', ns, '-p', '{"spec":{"schedule":"0 0 * *"}}']);
    expect(upd).toContain('spec.schedule: Invalid value: "0 0 * *": expected exactly 5 fields, found 4: [0 0 * *]');
    expect((await k(['get', 'cj', 'good', '-n', ns, '--no-headers'])).stdout.split(/\s{2,}/).slice(1, 4)).toEqual([
      '0 * * * *',
      'Europe/Berlin',
      'True',
    ]);
  }, 60_000);
});

describe('the Python client', () => {
  it('BatchV1Api creates, reads and lists CronJobs', async () => {
    const ns = await newNamespace();
    const script = `
import json, sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
api = client.BatchV1Api()
body = client.V1CronJob(
    metadata=client.V1ObjectMeta(name="py"),
    spec=client.V1CronJobSpec(
        schedule="@hourly",
        concurrency_policy="Forbid",
        job_template=client.V1JobTemplateSpec(spec=client.V1JobSpec(template=client.V1PodTemplateSpec(
            spec=client.V1PodSpec(restart_policy="Never", containers=[client.V1Container(name="c", image="local/sh", command=["true"])]))))))
created = api.create_namespaced_cron_job(sys.argv[2], body)
read = api.read_namespaced_cron_job("py", sys.argv[2])
listed = api.list_namespaced_cron_job(sys.argv[2])
try:
    body.metadata.name = "py2"
    body.spec.schedule = "not a schedule"
    api.create_namespaced_cron_job(sys.argv[2], body)
    err = None
except client.exceptions.ApiException as e:
    err = {"status": e.status, "message": json.loads(e.body)["message"]}
print(json.dumps({"uid": created.metadata.uid, "policy": read.spec.concurrency_policy, "limit": read.spec.successful_jobs_history_limit,
                  "suspend": read.spec.suspend, "names": [c.metadata.name for c in listed.items], "err": err}))
`;
    const r = await pythonJson(tc, { code: script }, [ns]);
    expect(r).toMatchObject({ policy: 'Forbid', limit: 3, suspend: false, names: ['py'] });
    expect(r.uid).toBeTruthy();
    expect(r.err).toEqual({
      status: 422,
      message:
        'CronJob.batch "py2" is invalid: spec.schedule: Invalid value: "not a schedule": expected exactly 5 fields, found 3: [not a schedule]',
    });
  }, 60_000);
});

// Last: it moves the fake clock by up to a day, past every other test's schedule.
describe('time zones', () => {
  it('runs a schedule in its timeZone, and warns when too many start times were missed', async () => {
    const ns = await newNamespace();
    const nyHour = (t: number) =>
      Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(t));
    // A CronJob counts its start times from its creation (wall clock): a start time between that
    // and the controllers' clock, which the earlier tests left ahead, would be a missed one and
    // run at once (as upstream). So the hour is one that neither has reached: three hours on.
    const hour = (nyHour(Math.max(Date.now(), clock.now())) + 3) % 24;
    const schedule = `0 ${hour} * * *`;
    await k(
      ['apply', '-n', ns, '-f', '-'],
      cronJobYaml('ny', `  schedule: '${schedule}'\n  timeZone: America/New_York`, "[sh, -c, 'exit 0']"),
    );
    // The next such hour in New York after both the creation and the fake clock's now.
    const cj = await getJSON(['cronjob', 'ny', '-n', ns]);
    const from = Math.max(Date.parse(cj.metadata.creationTimestamp), clock.now());
    let due = (Math.floor(from / MIN) + 1) * MIN;
    while (!(nyHour(due) === hour && new Date(due).getUTCMinutes() === 0)) due += MIN;
    // New York is 4 hours behind UTC in summer time, 5 in winter.
    const behind = (new Date(due).getUTCHours() - hour + 24) % 24;
    expect([4, 5]).toContain(behind);
    clock.set(due - MIN);
    await tc.cluster.idle();
    expect(await jobNames(ns, 'ny')).toEqual([]);
    clock.set(due + 1000);
    await untilPasses(async () => expect(await jobNames(ns, 'ny')).toEqual([`ny-${due / MIN}`]));
    const [job] = await jobsOf(ns, 'ny');
    const offset = behind === 4 ? '-04:00' : '-05:00';
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(due);
    expect(job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      `${day}T${String(hour).padStart(2, '0')}:00:00${offset}`,
    );
    expect((await k(['get', 'cj', 'ny', '-n', ns, '--no-headers'])).stdout.split(/\s{2,}/).slice(1, 3)).toEqual([
      schedule,
      'America/New_York',
    ]);
    await k(['delete', 'cronjob', 'ny', '-n', ns]);

    // A CronJob created when its schedule already passed more than 100 times: one Job, for the
    // most recent time, and upstream's warning.
    clock.set(clock.now() + 3 * 3600_000);
    await k(['create', 'cronjob', 'behind', '-n', ns, '--schedule=*/1 * * * *', '--image=x', '--', 'true']);
    const minute = Math.floor(clock.now() / MIN);
    await untilPasses(async () => expect(await jobNames(ns, 'behind')).toEqual([`behind-${minute}`]));
    await until(async () => (await reasons(ns, 'behind')).includes('TooManyMissedTimes'));
    expect(await eventMessages(ns, 'behind')).toContain(
      'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    );
    await k(['delete', 'cronjob', 'behind', '-n', ns]);
  }, 60_000);
});
