/* Embed tillit's chat on a company website:
 *
 *   <script src="https://chat.example.com/static/tillit-chat-embed.js" data-lang="sv" defer></script>
 *
 * Adds a "Chat" button in the corner that opens /chat?embed=1 from the script's own origin in an iframe
 * (so the conversation, its token and the customer's login stay on tillit's origin, not the host page's).
 * Optional attributes: data-lang (a language of the pack), data-label (the button text).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "";
  var label = script.getAttribute("data-label") || "Chat";
  var src = origin + "/chat?embed=1" + (lang ? "&lang=" + encodeURIComponent(lang.slice(0, 2)) : "");

  var style = document.createElement("style");
  style.textContent =
    ".tillit-chat-button{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;font:600 1rem system-ui,sans-serif;" +
    "padding:.75rem 1.1rem;border-radius:999px;border:0;background:#0f2b45;color:#fff;cursor:pointer;min-height:44px}" +
    ".tillit-chat-button:focus-visible{outline:3px solid #f2a900;outline-offset:2px}" +
    ".tillit-chat-frame{position:fixed;right:1rem;bottom:4.5rem;z-index:2147483000;width:min(26rem,calc(100vw - 2rem));" +
    "height:min(40rem,calc(100vh - 6rem));border:1px solid #d5dde2;border-radius:12px;background:#fff;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.2)}";
  document.head.appendChild(style);

  var button = document.createElement("button");
  button.type = "button";
  button.className = "tillit-chat-button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  var frame = null;

  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "tillit-chat-frame";
      frame.src = src;
      frame.title = label;
      frame.id = "tillit-chat-frame";
      frame.hidden = true;
      document.body.appendChild(frame);
      button.setAttribute("aria-controls", frame.id);
    }
    var open = frame.hidden;
    frame.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) frame.focus();
  });
  function close() {
    if (!frame || frame.hidden) return;
    frame.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });
  // Escape pressed inside the chat: the widget asks its parent to close it (only tillit's origin may).
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data && event.data.type === "tillit-chat-close") close();
  });

  function mount() {
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
