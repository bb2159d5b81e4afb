// screenshot.js takes the README's picture of the monitoring page
// (docs/dashboard.png): it opens the page of a running weir in headless
// Chromium at 1280x800, waits, and saves a screenshot of the page's top
// HEIGHT pixels (default: the whole page).
//
//   node screenshot.js URL TOKEN OUT.png [WAIT_SECONDS [HEIGHT]]
"use strict";

const { chromium } = require("playwright-core");

(async () => {
  const [url, token, out, wait, height] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
  await page.waitForTimeout(1000 * Number(wait || 20));
  const shot = { path: out, fullPage: true };
  if (height) shot.clip = { x: 0, y: 0, width: 1280, height: Number(height) };
  await page.screenshot(shot);
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
