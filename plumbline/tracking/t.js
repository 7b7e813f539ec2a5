/* Plumbline tracking, first party, no third-party code. Embed:
   <script async src="https://PLUMBLINE/t.js" data-site="KEY"></script>  (add data-consent="required" in GDPR mode)
   API: plumbline('track', name, props); plumbline('identify', {email: ...}); plumbline('consent', true|false);
        plumbline.visitorId()  (also fills <input name="plumbline_visitor"> in forms).
   Honours Global Privacy Control and Do Not Track: then no cookie is set and nothing is sent. */
(function (w, d, n) {
  "use strict";
  var script = d.currentScript || d.querySelector("script[data-site]");
  var site = script && script.getAttribute("data-site");
  if (!site || (w.plumbline && w.plumbline.loaded)) return;
  var endpoint = new URL("/t/collect", script.src).href;
  var VID = "_pl_vid", SES = "_pl_s", CONSENT = "_pl_consent";
  var SESSION_MS = 30 * 60 * 1000, MAX_BATCH = 20, VALID = /^[A-Za-z0-9_-]{21}[AQgw]$/;
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];
  // GPC / DNT: the visitor asked not to be tracked. Nothing below runs for them.
  var optedOut = n.globalPrivacyControl === true || n.doNotTrack === "1" || w.doNotTrack === "1" ||
    n.msDoNotTrack === "1";
  var needsConsent = script.getAttribute("data-consent") === "required";
  var queue = [], timer = null;

  function readCookie(k) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + k + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function writeCookie(k, v, seconds) {
    d.cookie = k + "=" + encodeURIComponent(v) + "; path=/; max-age=" + seconds + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  function consented() { return readCookie(CONSENT) === "1"; }
  function enabled() { return !optedOut && (!needsConsent || consented()); }
  function randomId() {
    var b = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(b);
    return btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function visitorId() {
    if (!enabled()) return null;
    var v = readCookie(VID);
    if (!v || !VALID.test(v)) v = randomId();
    writeCookie(VID, v, 400 * 86400);
    return v;
  }
  function session() {
    var s = null, now = Date.now(), params = new URLSearchParams(location.search), tagged = false;
    try { s = JSON.parse(readCookie(SES) || "null"); } catch (e) { s = null; }
    UTM.forEach(function (k) { if (params.get(k)) tagged = true; });
    if (!s || !VALID.test(s.id || "") || tagged) {  // a new session, or a new campaign click
      var ref = d.referrer, host = "";
      try { host = ref ? new URL(ref).host : ""; } catch (e) { ref = ""; }
      s = { id: randomId(), ref: host && host !== location.host ? ref : "", utm: {} };
      UTM.forEach(function (k) { if (params.get(k)) s.utm[k] = params.get(k).slice(0, 100); });
    }
    writeCookie(SES, JSON.stringify(s), SESSION_MS / 1000);  // 30 minutes of inactivity end it
    return s;
  }
  function fillForms() {
    var v = visitorId(), inputs = d.querySelectorAll("input[name=plumbline_visitor]");
    for (var i = 0; v && i < inputs.length; i++) inputs[i].value = v;
  }
  function push(kind, extra) {
    if (optedOut || (needsConsent && readCookie(CONSENT) === "0")) return;
    var e = { id: randomId(), kind: kind, ts: Date.now(), url: location.href.slice(0, 2000),
              title: (d.title || "").slice(0, 300) };
    for (var k in extra) e[k] = extra[k];
    queue.push(e);  // before consent (GDPR mode) events wait here, in memory only
    if (enabled()) schedule(queue.length >= MAX_BATCH ? 0 : 1000);
  }
  function schedule(ms) { if (!timer) timer = setTimeout(function () { timer = null; flush(false); }, ms); }
  function flush(leaving) {
    if (!enabled() || !queue.length) return;
    var v = visitorId(), s = session(), events = queue.splice(0, MAX_BATCH);
    var batch = { site: site, visitor: v, session: s.id, referrer: s.ref, consent: consented(),
                  webdriver: !!n.webdriver, events: events };
    for (var k in s.utm) batch[k] = s.utm[k];
    var body = JSON.stringify(batch);
    if (leaving && n.sendBeacon && n.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) {
      // handed to the browser, which sends it after the page is gone
    } else if (w.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit",
                        headers: { "Content-Type": "text/plain" } })
        .then(function (r) { if (r.status >= 500) retry(events); }, function () { retry(events); });
    }
    if (queue.length) schedule(0);
  }
  function retry(events) { queue = events.concat(queue); schedule(5000); }  // event ids make a resend harmless

  function api(cmd, a, b) {
    if (cmd === "track" && typeof a === "string") push("custom", { name: a.slice(0, 100), props: b || {} });
    else if (cmd === "identify" && a && a.email) push("identify", { email: String(a.email).slice(0, 254) });
    else if (cmd === "page") push("page_view", {});
    else if (cmd === "consent") {
      writeCookie(CONSENT, a ? "1" : "0", 400 * 86400);
      if (a) { fillForms(); schedule(0); } else {
        queue = [];
        writeCookie(VID, "", 0); writeCookie(SES, "", 0);
      }
    }
  }
  var early = (w.plumbline && w.plumbline.q) || [];
  w.plumbline = api;
  api.loaded = true;
  api.visitorId = visitorId;
  if (optedOut) return;
  push("page_view", {});
  for (var i = 0; i < early.length; i++) api.apply(null, early[i]);
  var pushState = history.pushState;  // single-page sites: each route change is a page view
  history.pushState = function () { pushState.apply(history, arguments); push("page_view", {}); };
  w.addEventListener("popstate", function () { push("page_view", {}); });
  w.addEventListener("pagehide", function () { flush(true); });
  d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(true); });
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", fillForms); else fillForms();
})(window, document, navigator);
