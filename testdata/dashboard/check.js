// check.js opens weir's monitoring page in headless Chromium and checks
// that it works: the token cookie, live charts and results, the
// dashboard sink's chart, and stopping a query from the page. It is run
// by cmd/weir/dashboard_chromium_test.go, which starts weir:
//
//   node check.js --url http://127.0.0.1:PORT --token T --stop 1 \
//     --dashboard live --screenshot out.png [--chromium /usr/bin/chromium]
//
// It prints one line per check passed and exits 1 with the reason on the
// first failure.
"use strict";

const { chromium } = require("playwright-core");

function args() {
  const a = { chromium: process.env.CHROMIUM || "/usr/bin/chromium", timeout: 30000 };
  const v = process.argv.slice(2);
  for (let i = 0; i + 1 < v.length; i += 2) a[v[i].replace(/^--/, "")] = v[i + 1];
  for (const k of ["url", "token", "stop", "dashboard", "screenshot"]) {
    if (!a[k]) throw new Error("missing --" + k);
  }
  a.timeout = Number(a.timeout);
  return a;
}

function ok(msg) {
  console.log("ok: " + msg);
}

async function main() {
  const a = args();
  const browser = await chromium.launch({ executablePath: a.chromium, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    // Without the token: 401, for the page and the event stream.
    const anon = await browser.newContext();
    for (const path of ["/", "/api/events", "/static/app.js"]) {
      const r = await anon.request.get(a.url + path);
      if (r.status() !== 401) throw new Error(`GET ${path} without the token: ${r.status()}, want 401`);
    }
    await anon.close();
    ok("401 without the token");

    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    const resp = await page.goto(`${a.url}/?token=${encodeURIComponent(a.token)}`);
    if (!resp.ok()) throw new Error(`GET /?token=...: ${resp.status()}`);
    if (page.url() !== a.url + "/") throw new Error(`after the token the page is at ${page.url()}, want ${a.url}/`);
    const cookie = (await ctx.cookies()).find((c) => c.name === "weir_token");
    if (!cookie || !cookie.httpOnly || cookie.sameSite !== "Strict") throw new Error("no HttpOnly, SameSite=Strict weir_token cookie: " + JSON.stringify(cookie));
    ok("?token= set the cookie and redirected to /");

    await page.waitForFunction(() => window.weir && window.weir.connected, null, { timeout: a.timeout });
    ok("event stream connected");

    const id = a.stop;
    const card = `#query-${id}`;
    await page.waitForSelector(`${card} .q-result table.result tbody tr`, { timeout: a.timeout });
    await page.waitForSelector(`${card} [data-chart="input_rate"] canvas`, { timeout: a.timeout });
    await page.waitForSelector(`${card} .q-graph svg .node`, { timeout: a.timeout });
    const snap = () =>
      page.evaluate((card) => {
        const r = document.querySelector(card);
        const f = (name) => r.querySelector(`[data-field="${name}"]`).textContent;
        return {
          events: window.weir.perQuery[r.dataset.queryId] || 0,
          batches: f("batches"),
          rowsIn: f("rows_in"),
          points: Number(r.querySelector('[data-chart="input_rate"]').dataset.points),
          result: r.querySelector(".q-result").textContent,
          changed: r.querySelectorAll(".q-result tr.changed").length,
          status: r.querySelector(".q-status").textContent,
          nodes: r.querySelectorAll(".q-graph .node").length,
          stateful: r.querySelectorAll(".q-graph .node.stateful").length,
        };
      }, card);
    const s0 = await snap();
    if (s0.status !== "running") throw new Error(`query ${id} is ${s0.status}, want running`);
    if (s0.nodes < 3 || s0.stateful < 1) throw new Error(`graph of query ${id}: ${s0.nodes} nodes, ${s0.stateful} stateful`);
    ok(`graph drawn: ${s0.nodes} nodes, ${s0.stateful} stateful`);
    await page.waitForFunction(([card, n]) => (window.weir.perQuery[document.querySelector(card).dataset.queryId] || 0) >= n, [card, s0.events + 2], { timeout: a.timeout });
    // The last event's DOM update runs in the same task as its handler.
    const s1 = await snap();
    for (const k of ["batches", "rowsIn", "result"]) {
      if (s0[k] === s1[k]) throw new Error(`${k} did not change across two batch events: ${JSON.stringify(s0[k]).slice(0, 200)}`);
    }
    if (!(s1.points >= s0.points + 2)) throw new Error(`input rate chart: ${s0.points} then ${s1.points} points, want 2 more`);
    if (s1.changed < 1) throw new Error("no result row highlighted as changed by the last batch");
    ok(`charts and results updated: batches ${s0.batches} -> ${s1.batches}, chart points ${s0.points} -> ${s1.points}, ${s1.changed} changed rows highlighted`);

    const dash = `figure[data-dashboard="${a.dashboard}"]`;
    await page.waitForFunction((dash) => {
      const f = document.querySelector(dash);
      return f && f.querySelector("canvas") && Number(f.querySelector(".chart").dataset.points) > 0;
    }, dash, { timeout: a.timeout });
    const d0 = await page.evaluate((dash) => Number(document.querySelector(dash + " .chart").dataset.points), dash);
    await page.waitForFunction(([dash, n]) => Number(document.querySelector(dash + " .chart").dataset.points) !== n, [dash, d0], { timeout: a.timeout });
    const d1 = await page.evaluate((dash) => Number(document.querySelector(dash + " .chart").dataset.points), dash);
    ok(`dashboard ${a.dashboard} drawn and updated: ${d0} -> ${d1} points`);

    await page.screenshot({ path: a.screenshot });
    ok("screenshot " + a.screenshot);

    await page.click(`${card} .q-stop`);
    await page.waitForFunction((card) => document.querySelector(card + " .q-status").textContent === "stopped", card, { timeout: a.timeout });
    const api = await page.evaluate(async (id) => (await fetch("/api/queries/" + id)).json(), id);
    if (api.status !== "stopped") throw new Error(`after Stop the API says query ${id} is ${api.status}`);
    if (!(await page.isDisabled(`${card} .q-stop`))) throw new Error("the Stop button is still enabled");
    ok(`query ${id} stopped from the page; the API agrees`);

    if (errors.length) throw new Error("errors in the page: " + errors.join("; "));
    ok("no errors in the page");
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error("FAIL: " + (e && e.message ? e.message : e));
  process.exit(1);
});
