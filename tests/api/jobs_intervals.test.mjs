// SPDX-License-Identifier: Apache-2.0
// jobs_intervals.test.mjs — TUTELA_JOB_INTERVALS, the operator's schedule of background jobs
// (issue 6 "on a schedule from the config", issue 9): a named job runs at the interval given;
// an entry naming no job, or seconds outside 1 s..31 days, stops `tutela serve` at start with a
// message naming the entry, before anything is served. On both backends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backends, startServer } from './lib/server.mjs';
import { until } from '../tools/receivers.mjs';

for (const backend of backends()) {
  describe(`job intervals from the config (${backend})`, () => {
    test('a_job_runs_at_the_interval_the_operator_set', async () => {
      // subscriptions.changes runs every 5 s by default: four passes would take 15 s or more
      const srv = await startServer(backend, {
        env: { TUTELA_JOBS: 'subscriptions.changes', TUTELA_JOB_INTERVALS: 'subscriptions.changes=1' },
      });
      try {
        const runs = () => Number(srv.sql("SELECT coalesce(max(runs), 0) FROM job_leases WHERE job = 'subscriptions.changes'").trim());
        const t0 = Date.now();
        assert.ok(await until(() => runs() >= 4, 20000), 'four passes');
        assert.ok(Date.now() - t0 < 15000, `four passes took ${Date.now() - t0} ms`);
      } finally {
        await srv.stop();
      }
    });

    for (const [bad, why] of [
      ['no.such.job=5', 'a job that does not exist'],
      ['outbox.deliver=0', 'zero seconds'],
      ['outbox.deliver=2678401', 'over 31 days'],
      ['outbox.deliver=5s', 'a unit after the number'],
      ['outbox.deliver', 'no seconds'],
      ['outbox.deliver=5,,', 'an empty entry'],
    ]) {
      test(`refused_at_start: ${why}`, async () => {
        await assert.rejects(startServer(backend, { env: { TUTELA_JOB_INTERVALS: bad } }),
          (e) => /TUTELA_JOB_INTERVALS: "[^"]*" is not job=seconds/.test(e.message) && /exited/.test(e.message));
      });
    }
  });
}
