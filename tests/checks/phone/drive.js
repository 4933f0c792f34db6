// drive.js: drives the phone terminal page (/t/{network}) in headless Chromium over the Chrome
// DevTools Protocol, the way a visitor's phone would use it: load the page, type a prompt, send
// it, watch the answer and the lockout countdown, follow a run started elsewhere, and load an
// expired QR code's link. Node's standard library only (a minimal WebSocket client is below), so
// nothing is downloaded. Prints "ok NAME" / "FAIL NAME: why" lines for check_phone_page.sh.
//
// usage: node drive.js CHROMIUM BASE_URL ADMIN_TOKEN VISITOR_SECRET
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const [chromiumBin, base, adminToken, secret] = process.argv.slice(2);
if (!secret) {
  console.error('usage: node drive.js CHROMIUM BASE_URL ADMIN_TOKEN VISITOR_SECRET');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
function ok(name) {
  console.log(`ok   ${name}`);
}
function fail(name, why) {
  failures++;
  console.log(`FAIL ${name}: ${why}`);
}

// ---- the coordinator's API (plain http, so this runs on any Node with no fetch) ----

function api(method, p, body, token) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request(
      new URL(p, base),
      {
        method,
        headers: Object.assign(
          token ? { Authorization: `Bearer ${token}` } : {},
          data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}
        ),
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json = null;
          try {
            json = JSON.parse(text);
          } catch (e) {
            json = null;
          }
          resolve({ status: res.statusCode, json, text });
        });
      }
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function network(name, lockout) {
  const r = await api(
    'POST',
    '/api/v1/networks',
    { name, models: ['dummy-t2t'], lockout_seconds: lockout, schedule: [{ delay_s: 1 }] },
    adminToken
  );
  if (r.status !== 201) throw new Error(`creating network ${name}: HTTP ${r.status} ${r.text}`);
  return r.json.id;
}

async function promptUrl(net) {
  const r = await api('GET', `/api/v1/networks/${net}/prompt-url`, undefined, adminToken);
  if (r.status !== 200) throw new Error(`prompt-url: HTTP ${r.status}`);
  return r.json.url;
}

// The same token panicd mints (token.h), for a slot of our choosing: a cross-check of the format.
function mintToken(net, slot) {
  const raw = Buffer.alloc(33);
  raw[0] = 1;
  raw.writeBigInt64BE(BigInt(net), 1);
  raw.writeBigInt64BE(BigInt(slot), 9);
  crypto.createHmac('sha256', secret).update(`visitor|${net}|${slot}`).digest().copy(raw, 17, 0, 16);
  return raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// ---- a minimal WebSocket client (RFC 6455: masked text frames out, unfragmented frames in) ----

function wsConnect(url) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const key = crypto.randomBytes(16).toString('base64');
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Version': '13',
      },
    });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`websocket upgrade refused: ${res.statusCode}`)));
    req.on('upgrade', (res, socket, head) => {
      const ws = { onmessage: null, onclose: null };
      let buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
      socket.setNoDelay(true);
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf.length < 2) return;
          const op = buf[0] & 0x0f;
          let len = buf[1] & 0x7f;
          let off = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            off = 10;
          }
          if (buf.length < off + len) return;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (op === 1 && ws.onmessage) ws.onmessage(payload.toString());
          if (op === 8) socket.end();
        }
      });
      socket.on('close', () => ws.onclose && ws.onclose());
      ws.send = (text) => {
        const payload = Buffer.from(text);
        const mask = crypto.randomBytes(4);
        let header;
        if (payload.length < 126) {
          header = Buffer.from([0x81, 0x80 | payload.length]);
        } else if (payload.length < 65536) {
          header = Buffer.alloc(4);
          header[0] = 0x81;
          header[1] = 0x80 | 126;
          header.writeUInt16BE(payload.length, 2);
        } else {
          header = Buffer.alloc(10);
          header[0] = 0x81;
          header[1] = 0x80 | 127;
          header.writeBigUInt64BE(BigInt(payload.length), 2);
        }
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
        socket.write(Buffer.concat([header, mask, payload]));
      };
      ws.close = () => socket.destroy();
      resolve(ws);
    });
    req.end();
  });
}

// ---- Chrome DevTools Protocol ----

class Cdp {
  constructor(ws) {
    this.ws = ws;
    this.id = 0;
    this.pending = new Map();
    ws.onmessage = (text) => {
      const m = JSON.parse(text);
      if (m.id && this.pending.has(m.id)) {
        const { resolve, reject } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) reject(new Error(`${m.error.message} (${m.error.code})`));
        else resolve(m.result);
      }
    };
  }
  send(method, params = {}, sessionId) {
    const id = ++this.id;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify(msg));
    });
  }
}

class Page {
  constructor(cdp, sessionId) {
    this.cdp = cdp;
    this.s = sessionId;
  }
  send(method, params) {
    return this.cdp.send(method, params, this.s);
  }
  async eval(expr) {
    const r = await this.send('Runtime.evaluate', { expression: expr, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluating ${expr}: ${r.exceptionDetails.text}`);
    return r.result.value;
  }
  async goto(url) {
    await this.send('Page.navigate', { url });
    await this.waitFor('document.readyState === "complete" && !!document.body', 10000);
  }
  // Poll a JS expression until it is truthy; its value, or null on a timeout.
  async waitFor(expr, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      try {
        const v = await this.eval(expr);
        if (v) return v;
      } catch (e) {
        // the page is between documents
      }
      await sleep(100);
    }
    return null;
  }
  text(id) {
    return this.eval(`(document.getElementById(${JSON.stringify(id)}) || {}).textContent || ''`);
  }
  async type(text) {
    await this.eval('document.getElementById("in").focus()');
    await this.send('Input.insertText', { text });
  }
  async pressEnter() {
    const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
    await this.send('Input.dispatchKeyEvent', Object.assign({ type: 'keyDown', text: '\r' }, key));
    await this.send('Input.dispatchKeyEvent', Object.assign({ type: 'keyUp' }, key));
  }
}

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'panic-chromium-'));
  const child = spawn(
    chromiumBin,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      '--window-size=390,844', // a phone
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] }
  );
  const portFile = path.join(profile, 'DevToolsActivePort');
  const end = Date.now() + 20000;
  while (!fs.existsSync(portFile) || fs.readFileSync(portFile, 'utf8').split('\n').length < 2) {
    if (Date.now() > end || child.exitCode !== null) throw new Error('chromium did not start');
    await sleep(100);
  }
  const [port, wsPath] = fs.readFileSync(portFile, 'utf8').split('\n');
  const ws = await wsConnect(`ws://127.0.0.1:${port}${wsPath}`);
  const cdp = new Cdp(ws);
  const stop = async () => {
    const exited = new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    await Promise.race([cdp.send('Browser.close').catch(() => {}), sleep(3000)]);
    await Promise.race([exited, sleep(5000)]);
    ws.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.race([exited, sleep(2000)]);
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (e) {
      // a straggling helper process still writing: the temp dir is left behind, not a failure
    }
  };
  return { cdp, stop };
}

async function newPage(cdp) {
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const page = new Page(cdp, sessionId);
  page.targetId = targetId;
  await page.send('Page.enable');
  await page.send('Runtime.enable');
  return page;
}

// ---- the checks ----

// Each check gets its own tab, closed afterwards (so no check inherits another's connections).
async function check(cdp, name, fn) {
  let page = null;
  try {
    page = await newPage(cdp);
    const why = await fn(page);
    if (why) fail(name, why);
    else ok(name);
  } catch (e) {
    fail(name, e.message);
  }
  if (page) await cdp.send('Target.closeTarget', { targetId: page.targetId }).catch(() => {});
}

async function main() {
  const { cdp, stop } = await launch();
  try {
    await check(cdp, 'type_and_send_a_prompt', async (page) => {
      const net = await network('phone typing', 8);
      await page.goto(await promptUrl(net));
      if (!(await page.waitFor('!document.getElementById("in").disabled', 5000)))
        return 'the input never became ready';
      const prompt = 'a teapot orbiting a small blue moon';
      await page.type(prompt);
      await page.pressEnter();
      const msg = await page.waitFor(
        'document.getElementById("msg").textContent.includes("started") && ' +
          'document.getElementById("msg").textContent',
        5000
      );
      if (!msg) return `no "started" message (message: "${await page.text('msg')}")`;
      if ((await page.text('prompt')) !== prompt) return `current run shows "${await page.text('prompt')}"`;
      const count = await page.waitFor(
        '/\\d+ seconds? until ready for new input/.test(document.getElementById("count").textContent) && ' +
          'document.getElementById("in").disabled && document.getElementById("count").textContent',
        5000
      );
      if (!count) return 'no lockout countdown after the prompt was sent';
      const run = await api('GET', `/api/v1/networks/${net}/runs/current`);
      if (!run.json || !run.json.run || run.json.run.prompt !== prompt)
        return `the coordinator's current run is not the typed prompt (${run.text.slice(0, 200)})`;
      if ((await page.eval('document.getElementById("in").value')) !== '')
        return 'the input was not cleared after a successful send';
      return null;
    });

    await check(cdp, 'countdown_ends_and_input_returns', async (page) => {
      const net = await network('phone short lockout', 2);
      const r = await api('POST', `/api/v1/networks/${net}/runs`, { prompt: 'a short one' }, adminToken);
      if (r.status !== 201) return `starting a run: HTTP ${r.status}`;
      await page.goto(await promptUrl(net));
      if (!(await page.waitFor('document.getElementById("in").disabled', 3000)))
        return 'the input is not disabled during the lockout';
      if (!/until ready for new input/.test(await page.eval('document.getElementById("in").placeholder')))
        return 'the placeholder does not count down';
      if (!(await page.waitFor('!document.getElementById("in").disabled', 6000)))
        return 'the input was not enabled when the lockout ended';
      const ph = await page.eval('document.getElementById("in").placeholder');
      if (ph !== 'Ready for new input') return `placeholder after the lockout: "${ph}"`;
      const focused = await page.eval('document.activeElement && document.activeElement.id');
      if (focused !== 'in') return 'the input is not focused when it is ready again';
      return null;
    });

    await check(cdp, 'follows_a_run_started_elsewhere', async (page) => {
      const net = await network('phone watching', 6);
      await page.goto(await promptUrl(net));
      if (!(await page.waitFor('!document.getElementById("in").disabled', 5000)))
        return 'the input never became ready';
      await sleep(500); // the event stream is connected by now
      const r = await api('POST', `/api/v1/networks/${net}/runs`, { prompt: 'started on another phone' }, adminToken);
      if (r.status !== 201) return `starting a run: HTTP ${r.status}`;
      if (!(await page.waitFor('document.getElementById("prompt").textContent === "started on another phone"', 5000)))
        return `the page did not show the new run (shows "${await page.text('prompt')}")`;
      if (!(await page.waitFor('document.getElementById("in").disabled', 3000)))
        return 'the page did not lock the input for the new run';
      return null;
    });

    await check(cdp, 'invalid_prompt_message', async (page) => {
      const net = await network('phone invalid', 0);
      await page.goto(await promptUrl(net));
      if (!(await page.waitFor('!document.getElementById("in").disabled', 5000)))
        return 'the input never became ready';
      await page.type('ring the bell \u0007 now');
      await page.pressEnter();
      const msg = await page.waitFor(
        'document.getElementById("msg").className === "bad" && document.getElementById("msg").textContent',
        5000
      );
      if (!msg || !msg.includes('control characters')) return `message: "${await page.text('msg')}"`;
      return null;
    });

    await check(cdp, 'expired_qr_code', async (page) => {
      const net = await network('phone expired', 0);
      const slot = Math.floor(Date.now() / 1000 / 300) - 13;
      const url = `${base}/t/${net}?token=${mintToken(net, slot)}`;
      await page.goto(url);
      const body = await page.waitFor('document.body && document.body.textContent', 5000);
      if (!body || !body.includes('expired') || !body.includes('scan the code again'))
        return `the page says: "${(body || '').slice(0, 200)}"`;
      if (await page.eval('!!document.getElementById("in")')) return 'an expired code still shows the form';
      // And the same format for the current slot is accepted: the token maths agree.
      const fresh = await api('POST', `/api/v1/networks/${net}/runs?token=${mintToken(net, slot + 13)}`, {
        prompt: 'minted by the test',
      });
      if (fresh.status !== 201) return `a token minted here for now: HTTP ${fresh.status}`;
      return null;
    });

    await check(cdp, 'token_expires_while_the_page_is_open', async (page) => {
      const net = await network('phone late', 0);
      await page.goto(await promptUrl(net));
      if (!(await page.waitFor('!document.getElementById("in").disabled', 5000)))
        return 'the input never became ready';
      // The hour passes: the page now holds a token from over an hour ago.
      const old = mintToken(net, Math.floor(Date.now() / 1000 / 300) - 13);
      await page.eval(`document.body.dataset.token = ${JSON.stringify(old)}`);
      await page.type('too late now');
      await page.pressEnter();
      const msg = await page.waitFor(
        'document.getElementById("msg").textContent.includes("expired") && ' +
          'document.getElementById("in").disabled && document.getElementById("msg").textContent',
        5000
      );
      if (!msg) return `message: "${await page.text('msg')}"`;
      return null;
    });

    await check(cdp, 'rate_limited_message', async (page) => {
      const net = await network('phone flood', 0);
      const url = await promptUrl(net);
      const token = url.slice(url.indexOf('?token=') + 7);
      let limited = false;
      for (let i = 0; i < 10 && !limited; i++) {
        const r = await api('POST', `/api/v1/networks/${net}/runs`, { prompt: `flood ${i}` }, token);
        limited = r.status === 429;
      }
      if (!limited) return 'the API never answered 429';
      await page.goto(url);
      if (!(await page.waitFor('!document.getElementById("in").disabled', 5000)))
        return 'the input never became ready';
      await page.type('one more');
      await page.pressEnter();
      const msg = await page.waitFor('document.getElementById("msg").textContent.includes("Too many prompts")', 5000);
      if (!msg) return `message: "${await page.text('msg')}"`;
      return null;
    });
  } finally {
    await stop();
  }
}

main()
  .catch((e) => fail('driver', e.message))
  .finally(() => process.exit(failures ? 1 : 0));
