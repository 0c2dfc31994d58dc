/*
 * tillit cookie banner for a company's website:
 *   <script src="https://<tillit host>/static/tillit-cookies.js" data-lang="nb"></script>
 * Shows tillit's /cookies/banner in an iframe at the bottom of the page until the visitor has chosen.
 * The choice arrives by postMessage from tillit's origin only; it is exposed as
 * `window.tillitCookies.choice` ({analytics: true, advertising: false, support_chat: false}) and as a
 * `tillit-cookies` event on `document` (detail = the choice), so the site loads each vendor only when
 * its category was accepted. `window.tillitCookies.open()` shows the banner again to change the choice.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src, window.location.href).origin;
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "";
  var frame = null;
  var api = { choice: null, chosen: false, open: open, close: close };
  window.tillitCookies = api;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "tillit-cookie-banner";
      frame.title = "Cookies";
      frame.src = origin + "/cookies/banner" + (lang ? "?lang=" + encodeURIComponent(lang) : "");
      frame.style.cssText = "position:fixed;left:0;right:0;bottom:0;width:100%;height:min(28rem,70vh);" +
        "border:0;border-top:1px solid #d5dde2;background:#fff;z-index:2147483000;box-shadow:0 -2px 12px rgba(0,0,0,.15)";
      document.body.appendChild(frame);
    }
    frame.hidden = false;
  }

  function close() {
    if (frame) { frame.hidden = true; }
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== "tillit-cookies") { return; }
    api.chosen = Boolean(event.data.chosen);
    api.choice = event.data.choice || {};
    if (api.chosen) {
      close();
      document.dispatchEvent(new CustomEvent("tillit-cookies", { detail: api.choice }));
    }
  });

  if (document.body) { open(); } else { document.addEventListener("DOMContentLoaded", open); }
}());
