// The jwtguard debugger page. It does no JOSE itself: decoding, verifying, key generation and
// signing are the local jwtguard process's JSON API, the same code as the CLI.
"use strict";

const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({ error: "the server answered " + res.status }));
  if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
  return data;
}

function span(cls, text) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = text;
  return s;
}

function showColored(segments) {
  const box = $("colored");
  box.textContent = "";
  ["h", "p", "s"].forEach((cls, i) => {
    if (i > 0) box.append(".");
    box.append(span(cls, segments[i] || ""));
  });
}

async function decode() {
  const token = $("token").value.trim();
  $("decode-error").textContent = "";
  if (!token) {
    for (const id of ["header", "payload", "colored", "times"]) $(id).textContent = "";
    return;
  }
  try {
    const d = await api("/api/decode", { token });
    showColored(d.segments);
    $("header").textContent = JSON.stringify(d.header, null, 2);
    $("payload").textContent = JSON.stringify(d.claims, null, 2);
    $("edit").value = JSON.stringify(d.claims, null, 2);
    const times = $("times");
    times.textContent = "";
    for (const name of ["iat", "nbf", "exp"]) {
      if (d.times[name]) {
        const li = document.createElement("li");
        li.textContent = name + ": " + d.times[name] + " (" + d.relative[name] + ")";
        times.append(li);
      }
    }
    if (d.header && typeof d.header.alg === "string" && d.header.alg !== "none") {
      if (!$("alg").dataset.touched) $("alg").value = d.header.alg;
      if (!$("sign-alg").dataset.touched) $("sign-alg").value = d.header.alg;
    }
  } catch (e) {
    $("decode-error").textContent = e.message;
  }
}

async function verify() {
  const v = $("verdict");
  v.className = "verdict";
  v.textContent = "";
  try {
    const r = await api("/api/verify", {
      token: $("token").value.trim(),
      alg: $("alg").value,
      key_type: $("key-type").value,
      key: $("verify-key").value,
      iss: $("iss").value,
      aud: $("aud").value,
      leeway: Number($("leeway").value || 60),
    });
    if (r.valid) {
      v.className = "verdict ok";
      v.textContent = "valid: " + r.why;
    } else {
      v.className = "verdict bad";
      v.textContent = "rejected (" + r.kind + "): " + r.why + "\nfix: " + r.fix;
    }
  } catch (e) {
    v.className = "verdict bad";
    v.textContent = "error: " + e.message;
  }
}

async function generate() {
  $("sign-error").textContent = "";
  try {
    const alg = $("sign-alg").value.trim();
    const k = await api("/api/keygen", { alg });
    $("sign-key").value = k.private_key_pem || k.secret;
    // The matching verification key, so "verify" works on the re-signed token.
    if (k.jwks) {
      $("key-type").value = "jwk";
      $("verify-key").value = JSON.stringify(k.jwks, null, 2);
    } else {
      $("key-type").value = "secret";
      $("verify-key").value = k.secret;
    }
    $("alg").value = alg;
  } catch (e) {
    $("sign-error").textContent = e.message;
  }
}

async function resign() {
  $("sign-error").textContent = "";
  let claims;
  try {
    claims = JSON.parse($("edit").value);
  } catch (e) {
    $("sign-error").textContent = "the payload is not JSON: " + e.message;
    return;
  }
  try {
    const r = await api("/api/sign", { claims, alg: $("sign-alg").value.trim(), key: $("sign-key").value });
    $("token").value = r.token;
    await decode();
    await verify();
  } catch (e) {
    $("sign-error").textContent = e.message;
  }
}

let timer;
$("token").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(decode, 150); });
$("alg").addEventListener("input", () => { $("alg").dataset.touched = "1"; });
$("sign-alg").addEventListener("input", () => { $("sign-alg").dataset.touched = "1"; });
$("verify").addEventListener("click", verify);
$("generate").addEventListener("click", generate);
$("resign").addEventListener("click", resign);
