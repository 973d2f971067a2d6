// End-to-end test of Shoal's subscriptions with the real graphql-ws client:
// subscribe, receive writes made over HTTP, disconnect, resume with the last
// cursor while writes continue, and check that nothing was lost or repeated.
//
// The server binary comes from SHOAL_BIN, or is built from the repository.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';

const here = dirname(fileURLToPath(import.meta.url));
let server, base, dataDir, binDir, rootKey;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shoal-e2e-data-'));
  let bin = process.env.SHOAL_BIN;
  if (!bin) {
    binDir = mkdtempSync(join(tmpdir(), 'shoal-e2e-bin-'));
    bin = join(binDir, 'shoal');
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: join(here, '..'), stdio: 'inherit' });
  }
  const args = ['-addr', '127.0.0.1:0', '-data', dataDir, '-sync=false', '-log-format', 'json'];
  args.push(...(process.env.SHOAL_ARGS ? process.env.SHOAL_ARGS.split(' ') : []));
  server = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 20000);
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: server.stderr }).on('line', (line) => {
      let rec;
      try { rec = JSON.parse(line); } catch { return; }
      if (rec.msg === 'shoal listening') { clearTimeout(timer); resolve(rec.addr); }
    });
  });
  base = `127.0.0.1:${addr.split(':').pop()}`;
  // Secure by default: the first start wrote the root API key, readable
  // only by its owner; HTTP sends it as a bearer token, WebSocket in
  // connection_init.
  rootKey = readFileSync(join(dataDir, 'root-key'), 'utf8').trim();
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

async function gql(query, variables) {
  const res = await fetch(`http://${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${rootKey}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const put = (n) => gql(
  'mutation($item: JSON!) { putItem(input: {table: "Scores", item: $item}) { attributes } }',
  { item: { player: `p${n % 3}`, n, score: n * 10 } },
);

// subscribe collects itemChanges until `stopAfter` events, then disposes
// the client (a real disconnect).
function subscribe(after, stopAfter) {
  const client = createClient({
    url: `ws://${base}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0,
    connectionParams: { Authorization: `Bearer ${rootKey}` },
  });
  const got = [];
  let ready;
  const started = new Promise((resolve) => { ready = resolve; });
  const done = new Promise((resolve, reject) => {
    client.on('connected', () => ready());
    const dispose = client.subscribe(
      {
        query: `subscription($after: Cursor) {
          itemChanges(table: "Scores", after: $after) {
            cursor sequenceNumber event keys newImage oldImage origin
          }
        }`,
        variables: { after },
      },
      {
        next: (msg) => {
          if (msg.errors) { reject(new Error(JSON.stringify(msg.errors))); return; }
          // Events that arrive after dispose() was called are not ours:
          // the resumed subscription receives them.
          if (got.length === stopAfter) return;
          got.push(msg.data.itemChanges);
          if (got.length === stopAfter) { dispose(); client.dispose(); resolve(got); }
        },
        error: reject,
        complete: () => resolve(got),
      },
    );
  });
  return { started, done };
}

test('a graphql-ws client resumes from its cursor without loss or duplicates', async () => {
  await gql(`mutation { createTable(input: {
    name: "Scores", partitionKey: {name: "player", type: S}, sortKey: {name: "n", type: N},
    streamViewType: NEW_AND_OLD_IMAGES }) { name } }`);

  const total = 60;
  const first = subscribe(null, 20);
  await first.started;
  // Give the subscription a moment to register before the first write:
  // without `after` it starts at the latest change.
  await new Promise((r) => setTimeout(r, 200));

  // Writes go on while the first subscriber disconnects and the second
  // one resumes.
  let written = 0;
  const writer = (async () => {
    for (; written < total; written++) {
      await put(written);
      if (written % 10 === 0) await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const part1 = await first.done;
  assert.equal(part1.length, 20);
  const resume = subscribe(part1[part1.length - 1].cursor, total - 20);
  const part2 = await resume.done;
  await writer;

  const all = [...part1, ...part2];
  assert.equal(all.length, total);
  const ns = all.map((c) => c.newImage.n);
  assert.deepEqual(ns, [...Array(total).keys()], 'every write exactly once, in order');
  const seqs = all.map((c) => BigInt(c.sequenceNumber));
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], 'sequence numbers increase');
  for (const c of all) {
    assert.equal(c.event, 'INSERT');
    assert.equal(c.origin, 'USER');
    assert.equal(c.oldImage, null);
    assert.deepEqual(c.keys, { player: c.newImage.player, n: c.newImage.n });
  }
});

test('a graphql-ws client with a bad key is closed with 4403', async () => {
  const client = createClient({
    url: `ws://${base}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0,
    connectionParams: { Authorization: 'Bearer shoal_nope_nope' },
  });
  const closed = await new Promise((resolve) => {
    client.subscribe(
      { query: 'subscription { itemChanges(table: "Scores") { cursor } }' },
      { next: () => resolve('got data'), error: (e) => resolve(e), complete: () => resolve('completed') },
    );
  });
  await client.dispose();
  assert.equal(closed.code, 4403, `closed with ${closed.code} ${closed.reason}`);
});
