/* Plumbline forms, one file for two jobs (no inline script anywhere, so pages keep a strict CSP):
 *
 * 1. Embed: <script src="https://HOST/f/<slug>/embed.js"></script> renders form <slug> where the tag is and posts
 *    it to HOST with fetch() (CORS, no cookies); the answer (thank-you, redirect or errors per field) is JSON.
 * 2. Every <form data-plumbline-pow="<challenge url>"> in the page (our hosted pages): fills the hidden fields
 *    (UTM parameters, the tracking visitor id, the page URL) and solves the anti-spam proof of work before the
 *    form can be sent.
 *
 * The proof of work is ALTCHA's (v1): find n <= maxNumber with SHA-256(salt + n) == challenge, computed here with
 * crypto.subtle (no third-party code, nothing from a CDN), or with the small SHA-256 below where crypto.subtle is
 * missing (pages on plain http:// other than localhost are not "secure contexts"). The solution goes back
 * base64-encoded as `altcha`.
 *
 * To render a form into an element of your own: plumblineForms.embed(element, "https://HOST", "slug").
 */
(function () {
  "use strict";
  var script = document.currentScript;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  /* SHA-256 (FIPS 180-4) for when crypto.subtle is not there; constants from the primes' roots. */
  var K = [], H0 = [];
  (function () {
    for (var n = 2, found = 0; found < 64; n++) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (!prime) continue;
      if (found < 8) H0[found] = (Math.pow(n, 1 / 2) % 1) * 4294967296 | 0;
      K[found++] = (Math.pow(n, 1 / 3) % 1) * 4294967296 | 0;
    }
  })();

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  function sha256(bytes) {
    var length = bytes.length, size = ((length + 9 + 63) >> 6) << 6, block = new Uint8Array(size), i;
    block.set(bytes);
    block[length] = 0x80;
    var bits = length * 8;
    block[size - 4] = bits >>> 24; block[size - 3] = (bits >>> 16) & 255;
    block[size - 2] = (bits >>> 8) & 255; block[size - 1] = bits & 255;
    var H = H0.slice(), W = new Array(64);
    for (var off = 0; off < size; off += 64) {
      for (i = 0; i < 16; i++) {
        W[i] = (block[off + 4 * i] << 24) | (block[off + 4 * i + 1] << 16) | (block[off + 4 * i + 2] << 8) |
          block[off + 4 * i + 3];
      }
      for (i = 16; i < 64; i++) {
        var s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
        var s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
        W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (i = 0; i < 64; i++) {
        var t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
      H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
    }
    var out = new Uint8Array(32);
    for (i = 0; i < 8; i++) {
      out[4 * i] = H[i] >>> 24; out[4 * i + 1] = (H[i] >>> 16) & 255;
      out[4 * i + 2] = (H[i] >>> 8) & 255; out[4 * i + 3] = H[i] & 255;
    }
    return out.buffer;
  }

  function digest(bytes) {
    return window.crypto && crypto.subtle ? crypto.subtle.digest("SHA-256", bytes) : Promise.resolve(sha256(bytes));
  }

  async function solve(ch) {
    var enc = new TextEncoder(), chunk = 500;
    for (var start = 0; start <= ch.maxNumber; start += chunk) {
      var tries = [];
      for (var n = start; n < start + chunk && n <= ch.maxNumber; n++) {
        tries.push(digest(enc.encode(ch.salt + n)));
      }
      var hashes = await Promise.all(tries);
      for (var j = 0; j < hashes.length; j++) {
        if (hex(hashes[j]) === ch.challenge) {
          return btoa(JSON.stringify({algorithm: ch.algorithm, challenge: ch.challenge, number: start + j,
                                      salt: ch.salt, signature: ch.signature}));
        }
      }
    }
    return "";
  }

  async function proofOfWork(url) {
    var response = await fetch(url, {credentials: "omit", cache: "no-store"});
    return solve(await response.json());
  }

  function visitorId() {
    try { return (window.plumbline && window.plumbline.visitorId && window.plumbline.visitorId()) || ""; }
    catch (e) { return ""; }
  }

  function hiddenValue(source) {
    if (source === "visitor_id") return visitorId();
    if (source === "page_url") return location.href;
    return new URLSearchParams(location.search).get(source) || "";
  }

  function fillHidden(form) {
    form.querySelectorAll("input[data-hidden-source]").forEach(function (input) {
      if (!input.value) input.value = hiddenValue(input.getAttribute("data-hidden-source"));
    });
  }

  function armProofOfWork(form, challengeUrl) {
    var button = form.querySelector("button[type=submit]");
    var status = form.querySelector(".pl-pow-status");
    var field = form.querySelector("input[name=altcha]");
    var pending = null;
    function start() {
      if (button) button.disabled = true;
      if (status) status.textContent = "Checking you are not a robot…";
      pending = proofOfWork(challengeUrl).then(function (payload) {
        field.value = payload;
        if (button) button.disabled = false;
        if (status) status.textContent = "";
        return payload;
      });
      return pending;
    }
    start();
    return function again() { field.value = ""; return start(); };
  }

  /* 2. our hosted pages */
  function enhance(form) {
    fillHidden(form);
    form.addEventListener("submit", function () { fillHidden(form); });
    armProofOfWork(form, form.getAttribute("data-plumbline-pow"));
  }

  /* 1. the embed */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function renderField(f, id) {
    if (f.type === "hidden") {
      var hidden = el("input", {type: "hidden", name: f.key});
      hidden.value = hiddenValue(f.hidden_source);
      return hidden;
    }
    var wrap = el("div", {"class": "pl-field", "data-field": f.key});
    var input;
    if (f.type === "checkbox" || f.type === "consent") {
      var label = el("label", {"class": "pl-check"});
      input = el("input", {type: "checkbox", name: f.key, id: id, value: "on"});
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + f.label + (f.required ? " *" : "")));
      wrap.appendChild(label);
    } else {
      wrap.appendChild(el("label", {"for": id}, f.label + (f.required ? " *" : "")));
      if (f.type === "textarea") {
        input = el("textarea", {name: f.key, id: id, rows: "4"});
      } else if (f.type === "select") {
        input = el("select", {name: f.key, id: id});
        input.appendChild(el("option", {value: ""}, "Choose…"));
        f.options.forEach(function (o) { input.appendChild(el("option", {value: o}, o)); });
      } else {
        input = el("input", {name: f.key, id: id,
                             type: f.type === "email" ? "email" : f.type === "phone" ? "tel" : "text"});
      }
      wrap.appendChild(input);
    }
    if (f.help_text) wrap.appendChild(el("small", {"class": "pl-help"}, f.help_text));
    wrap.appendChild(el("ul", {"class": "pl-errors", role: "alert", hidden: ""}));
    return wrap;
  }

  function showErrors(form, body) {
    form.querySelectorAll(".pl-errors").forEach(function (ul) { ul.textContent = ""; ul.hidden = true; });
    (body.errors || []).forEach(function (e) {
      var box = e.field && form.querySelector('[data-field="' + e.field + '"] .pl-errors');
      box = box || form.querySelector(".pl-form-errors");
      box.appendChild(el("li", {}, e.message));
      box.hidden = false;
    });
  }

  function values(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name) return;
      data[input.name] = input.type === "checkbox" ? input.checked : input.value;
    });
    data.visitor_id = visitorId();
    data.page_url = location.href;
    new URLSearchParams(location.search).forEach(function (v, k) { if (k.indexOf("utm_") === 0) data[k] = v; });
    return data;
  }

  function uuid() {
    return (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random().toString(16).slice(2);
  }

  async function embed(holder, base, slug) {
    holder.classList.add("plumbline-embed");
    holder.setAttribute("data-plumbline-form", slug);
    var query = new URLSearchParams();
    var known = new URLSearchParams(location.search).get("plumbline_k");
    if (known) query.set("k", known);
    if (visitorId()) query.set("vid", visitorId());
    var schema = await (await fetch(base + "/f/" + slug + "/schema.json?" + query, {credentials: "omit"})).json();
    var form = el("form", {"class": "pl-form", novalidate: ""});
    form.appendChild(el("ul", {"class": "pl-errors pl-form-errors", role: "alert", hidden: ""}));
    schema.fields.forEach(function (f) { form.appendChild(renderField(f, "pl-" + slug + "-" + f.key)); });
    var hp = el("div", {"class": "pl-hp", "aria-hidden": "true"});
    // CSSOM, not a style attribute: a strict CSP (style-src 'self') allows the one and blocks the other.
    hp.style.position = "absolute"; hp.style.left = "-10000px"; hp.style.width = "1px"; hp.style.height = "1px";
    hp.style.overflow = "hidden";
    var trap = el("input", {type: "text", name: schema.honeypot, tabindex: "-1", autocomplete: "off"});
    hp.appendChild(trap);
    form.appendChild(hp);
    var pow = el("input", {type: "hidden", name: "altcha"});
    form.appendChild(pow);
    if (known) { var k = el("input", {type: "hidden", name: "k"}); k.value = known; form.appendChild(k); }
    form.appendChild(el("button", {type: "submit", "class": "pl-submit"}, schema.submit_label));
    form.appendChild(el("p", {"class": "pl-pow-status", "aria-live": "polite"}));
    holder.appendChild(form);
    var again = armProofOfWork(form, base + "/f/challenge");
    var key = uuid();
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var response = await fetch(base + "/f/" + slug + "/submit", {
        method: "POST", credentials: "omit", body: JSON.stringify(values(form)),
        headers: {"Content-Type": "application/json", "Idempotency-Key": key}});
      var body = await response.json();
      if (response.ok) {
        if (body.redirect_url) { location.href = body.redirect_url; return; }
        holder.textContent = "";
        holder.appendChild(el("p", {"class": "pl-thanks", role: "status"}, body.message));
        return;
      }
      showErrors(form, body);
      key = uuid();
      again();
    });
  }

  function start() {
    document.querySelectorAll("form[data-plumbline-pow]").forEach(enhance);
  }

  var match = script && /^(https?:\/\/[^/]+)\/f\/([-\w]+)\/embed\.js/.exec(script.src);
  if (match) {
    var holder = el("div");
    script.parentNode.insertBefore(holder, script);
    embed(holder, match[1], match[2]);
  }
  window.plumblineForms = {embed: embed, sha256: function (text) { return hex(sha256(new TextEncoder().encode(text))); }};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
