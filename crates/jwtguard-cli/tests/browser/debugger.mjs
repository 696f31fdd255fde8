// Drives the jwtguard debugger page in a real headless Chromium over the DevTools protocol
// (no npm dependencies: Node's WebSocket). Run by tests/browser.rs, which passes:
//   node debugger.mjs PAGE_URL CHROMIUM SCREENSHOT.png < {"token","jwks","pem","aud"} (JSON on stdin)
// Exits non-zero with a message when a step fails.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [pageUrl, chromium, screenshot] = process.argv.slice(2);
const input = JSON.parse(readFileSync(0, "utf8"));

function fail(msg) {
  console.error("browser test: " + msg);
  process.exitCode = 1;
  throw new Error(msg);
}

const args = [
  "--headless", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
  "--user-data-dir=" + mkdtempSync(join(tmpdir(), "jwtguard-chromium-")), "about:blank",
];
if (process.getuid && process.getuid() === 0) args.unshift("--no-sandbox");
const browser = spawn(chromium, args, { stdio: ["ignore", "ignore", "pipe"] });

const wsUrl = await new Promise((resolve, reject) => {
  let err = "";
  browser.stderr.on("data", (d) => {
    err += d;
    const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  browser.on("exit", (code) => reject(new Error("chromium exited " + code + ": " + err)));
  const timer = setTimeout(() => reject(new Error("chromium did not start: " + err)), 30000);
  timer.unref();
});

const ws = new WebSocket(wsUrl);
await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
let nextId = 1;
const pending = new Map();
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
  }
};
function send(method, params = {}, sessionId) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

let session;
const cmd = (method, params) => send(method, params, session);
async function evaluate(expression) {
  const r = await cmd("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) fail("page error: " + JSON.stringify(r.exceptionDetails));
  return r.result.value;
}
async function waitFor(what, expression, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await evaluate(expression)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail("timed out waiting for " + what + "; verdict: " + (await evaluate("document.getElementById('verdict').textContent")));
}
const setValue = (id, value) => evaluate(
  `(() => { const e = document.getElementById(${JSON.stringify(id)}); e.value = ${JSON.stringify(value)};
     e.dispatchEvent(new Event("input", { bubbles: true })); e.dispatchEvent(new Event("change", { bubbles: true })); })()`);
const click = (id) => evaluate(`document.getElementById(${JSON.stringify(id)}).click()`);
const verdict = () => evaluate("({ cls: document.getElementById('verdict').className, text: document.getElementById('verdict').textContent })");

try {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  ({ sessionId: session } = await send("Target.attachToTarget", { targetId, flatten: true }));
  await cmd("Page.enable");
  await cmd("Emulation.setDeviceMetricsOverride", { width: 1280, height: 1100, deviceScaleFactor: 1, mobile: false });
  await cmd("Page.navigate", { url: pageUrl });
  await waitFor("the page", "document.readyState === 'complete' && !!document.getElementById('token')");

  // 1. Paste: the decoded parts appear.
  await setValue("token", input.token);
  await waitFor("the decoded header", "document.getElementById('header').textContent.includes('at+jwt')");
  const payload = await evaluate("document.getElementById('payload').textContent");
  if (!payload.includes('"sub": "alice"')) fail("payload not shown: " + payload);
  if (!(await evaluate("document.querySelectorAll('#colored .h, #colored .p, #colored .s').length === 3"))) fail("no colour-coded parts");
  if (!(await evaluate("document.getElementById('times').textContent.includes('exp: ')"))) fail("no exp date");

  // 2. Verify, with the keyboard: valid, green.
  await evaluate("document.getElementById('key-type').value = 'jwk'");
  await setValue("verify-key", input.jwks);
  await setValue("aud", input.aud);
  await evaluate("document.getElementById('verify').focus()");
  for (const type of ["keyDown", "keyUp"]) {
    await cmd("Input.dispatchKeyEvent", { type, key: "Enter", code: "Enter", windowsVirtualKeyCode: 13, text: type === "keyDown" ? "\r" : undefined });
  }
  await waitFor("a valid verdict", "document.getElementById('verdict').classList.contains('ok')");
  const green = await evaluate("getComputedStyle(document.getElementById('verdict')).backgroundColor");
  if (green !== "rgb(232, 245, 233)") fail("valid verdict is not green: " + green);

  // 3. Tamper one character of the signature: the failing check is named.
  const t = input.token;
  const i = t.length - 5;
  await setValue("token", t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1));
  await click("verify");
  await waitFor("a rejected verdict", "document.getElementById('verdict').classList.contains('bad')");
  const bad = await verdict();
  if (!bad.text.includes("bad_signature") || !bad.text.includes("fix:")) fail("tampered verdict: " + bad.text);

  // 4. Edit the payload and re-sign with the pasted key: valid again.
  const edited = JSON.parse(await evaluate("document.getElementById('edit').value"));
  edited.tenant = "globex";
  await setValue("edit", JSON.stringify(edited, null, 2));
  await setValue("sign-alg", "ES256");
  await setValue("sign-key", input.pem);
  await click("resign");
  await waitFor("the re-signed token to verify", "document.getElementById('verdict').classList.contains('ok')");
  if (!(await evaluate("document.getElementById('payload').textContent.includes('globex')"))) fail("the edit is not in the new token");

  // The screenshot shows no private key, even a throwaway one.
  await setValue("sign-key", "");
  const shot = await cmd("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
  writeFileSync(screenshot, Buffer.from(shot.data, "base64"));

  // 5. A phone width: one column, nothing wider than the screen.
  await cmd("Emulation.setDeviceMetricsOverride", { width: 390, height: 844, deviceScaleFactor: 2, mobile: true });
  await new Promise((r) => setTimeout(r, 200));
  const overflow = await evaluate("document.documentElement.scrollWidth - window.innerWidth");
  if (overflow > 0) fail("wider than a phone by " + overflow + " px");
  console.log("ok: paste, verify (keyboard), tamper, re-sign, phone width; screenshot " + screenshot);
} catch (e) {
  if (!process.exitCode) console.error("browser test: " + e.message);
  process.exitCode = 1;
} finally {
  // Close the browser through the protocol: the binary on PATH may be a wrapper script, whose
  // death would leave the browser running.
  const exited = new Promise((r) => browser.once("exit", r));
  send("Browser.close").catch(() => {});
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  ws.close();
  browser.kill();
  process.exit(process.exitCode ?? 0);
}
