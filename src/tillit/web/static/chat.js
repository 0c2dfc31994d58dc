/* tillit chat widget: talks to /api/v1/chat. No framework, no build step.
 *
 * The conversation starts with the first message (an empty page view stores nothing). Its id and access
 * token live in sessionStorage only, so a reload continues the chat and closing the tab forgets it.
 * New messages arrive by long polling (GET .../messages?after=SEQ&wait=20), which works behind any
 * number of server processes. Every fixed string comes translated from the page (#chat-strings).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var t = JSON.parse(document.getElementById("chat-strings").textContent);
  var STORE = "tillit-chat:" + location.host;

  var root = document.getElementById("chat");
  var log = document.getElementById("chat-log");
  var statusLine = document.getElementById("chat-status");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var queuePanel = document.getElementById("queue-panel");
  var queueText = document.getElementById("queue-text");
  var contactForm = document.getElementById("contact-form");
  var feedbackPanel = document.getElementById("feedback-panel");
  var feedbackForm = document.getElementById("feedback-form");
  var buttons = {
    handoff: document.getElementById("chat-handoff"),
    close: document.getElementById("chat-close"),
    txt: document.getElementById("chat-transcript-txt"),
    json: document.getElementById("chat-transcript-json"),
    del: document.getElementById("chat-delete"),
    fresh: document.getElementById("chat-new"),
  };

  var conv = null; // {id, token}
  var lastSeq = 0;
  var status = "new";
  var polling = false;
  var seen = {};

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function say(text) {
    statusLine.textContent = text || "";
  }

  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    if (conv) headers["X-Conversation-Token"] = conv.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(config.api + path, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 204) return { ok: true, status: 204, data: null, response: response };
      var type = response.headers.get("content-type") || "";
      var parse = type.indexOf("json") >= 0 ? response.json() : Promise.resolve(null);
      return parse.then(function (data) {
        return { ok: response.ok, status: response.status, data: data, response: response };
      });
    });
  }

  function errorOf(result) {
    return (result.data && result.data.error) || { code: "error", message: t.error };
  }

  function save() {
    if (conv) sessionStorage.setItem(STORE, JSON.stringify(conv));
    else sessionStorage.removeItem(STORE);
  }

  function addMessage(message) {
    if (seen[message.seq]) return;
    seen[message.seq] = true;
    lastSeq = Math.max(lastSeq, message.seq);
    var item = document.createElement("li");
    var author = message.author === "customer" ? "you" : message.author;
    item.className = "msg msg-" + author;
    var who = document.createElement("span");
    who.className = "msg-author";
    who.textContent = t[author] || author;
    var text = document.createElement("p");
    text.className = "msg-text";
    text.textContent = message.text;
    item.appendChild(who);
    item.appendChild(text);
    if (message.generated) {
      var note = document.createElement("p");
      note.className = "msg-note";
      note.textContent = config.disclaimer || t.generated;
      item.appendChild(note);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function showQueue(queue) {
    if (!queue) {
      queuePanel.hidden = true;
      return;
    }
    queuePanel.hidden = false;
    queueText.textContent = fmt(t.queue, { position: queue.position, minutes: Math.max(1, queue.expected_wait_minutes) });
  }

  function setStatus(next, queue) {
    var previous = status;
    status = next;
    root.setAttribute("data-state", next);
    showQueue(next === "queued" ? queue : null);
    var active = conv !== null;
    buttons.handoff.hidden = !active ? false : next !== "bot";
    buttons.close.hidden = !active || next === "closed";
    buttons.txt.hidden = !active;
    buttons.json.hidden = !active;
    if (buttons.del) buttons.del.hidden = !active;
    buttons.fresh.hidden = next !== "closed";
    form.hidden = next === "closed";
    if (next === "with_advisor" && previous !== "with_advisor" && previous !== "new") say(t.advisorJoined);
    if (next === "closed" && previous !== "closed") {
      say(t.closed);
      if (config.features.feedback) feedbackPanel.hidden = false;
    }
  }

  function ensureConversation() {
    if (conv) return Promise.resolve(conv);
    return api("POST", "", { language: config.language }).then(function (result) {
      if (!result.ok) throw errorOf(result);
      conv = { id: result.data.id, token: result.data.access_token, authenticated: result.data.authenticated };
      save();
      setStatus(result.data.status, null);
      poll();
      return conv;
    });
  }

  function send(text) {
    sendButton.disabled = true;
    say(t.sending);
    return ensureConversation()
      .then(function () {
        return api("POST", "/" + conv.id + "/messages", { text: text });
      })
      .then(function (result) {
        if (!result.ok) throw errorOf(result);
        input.value = "";
        say("");
        result.data.messages.forEach(addMessage);
        setStatus(result.data.status, result.data.queue);
        if (result.data.login_required && !config.loggedIn) offerLogin();
        if (result.data.offer_human) buttons.handoff.classList.add("suggested");
      })
      .catch(function (error) {
        say(error.message || t.error);
      })
      .then(function () {
        sendButton.disabled = false;
        input.focus();
      });
  }

  function offerLogin() {
    say(t.loginRequired);
    var link = document.createElement("a");
    link.href = config.loginUrl;
    link.textContent = t.logIn;
    statusLine.appendChild(document.createTextNode(" "));
    statusLine.appendChild(link);
  }

  function poll() {
    if (polling || !conv || status === "closed") return;
    polling = true;
    var path = "/" + conv.id + "/messages?after=" + lastSeq + "&wait=20&status=" + encodeURIComponent(status);
    api("GET", path)
      .then(function (result) {
        polling = false;
        if (result.status === 404) return forget();
        if (!result.ok) throw errorOf(result);
        result.data.messages.forEach(addMessage);
        setStatus(result.data.status, result.data.queue);
        if (status !== "closed") poll();
      })
      .catch(function () {
        polling = false;
        setTimeout(poll, 3000);
      });
  }

  function forget() {
    conv = null;
    lastSeq = 0;
    seen = {};
    save();
    Array.prototype.slice.call(log.querySelectorAll(".msg:not(.msg-intro)")).forEach(function (node) {
      node.remove();
    });
    feedbackPanel.hidden = true;
    form.hidden = false;
    status = "new";
    setStatus("bot", null);
  }

  function download(format) {
    api("GET", "/" + conv.id + "/transcript?format=" + format).then(function (result) {
      var request = result.response;
      if (!request.ok) return say(t.error);
      var name = "transcript." + format;
      var disposition = request.headers.get("content-disposition") || "";
      var match = /filename="([^"]+)"/.exec(disposition);
      if (match) name = match[1];
      var body = format === "json" ? JSON.stringify(result.data, null, 2) : null;
      var blobPromise = body !== null ? Promise.resolve(new Blob([body], { type: "application/json" })) : request.blob();
      return blobPromise.then(function (blob) {
        var url = URL.createObjectURL(blob);
        var link = document.createElement("a");
        link.href = url;
        link.download = name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  buttons.handoff.addEventListener("click", function () {
    if (config.features.advisor_requires_login && !config.loggedIn) return offerLogin();
    ensureConversation()
      .then(function () {
        return api("POST", "/" + conv.id + "/handoff");
      })
      .then(function (result) {
        if (result.status === 401) return offerLogin();
        if (!result.ok) throw errorOf(result);
        buttons.handoff.classList.remove("suggested");
        setStatus("queued", result.data);
        poll();
        var first = contactForm && contactForm.querySelector("input");
        if (first) first.focus();
      })
      .catch(function (error) {
        say(error.message || t.error);
      });
  });

  if (contactForm) {
    contactForm.addEventListener("submit", function (event) {
      event.preventDefault();
      ["name", "email", "phone"].forEach(function (field) {
        document.getElementById("contact-" + field + "-error").textContent = "";
        document.getElementById("contact-" + field).removeAttribute("aria-invalid");
      });
      var data = {
        name: contactForm.elements.name.value,
        email: contactForm.elements.email.value,
        phone: contactForm.elements.phone.value,
      };
      api("POST", "/" + conv.id + "/contact", data).then(function (result) {
        if (result.ok) {
          contactForm.hidden = true;
          return say(t.contactSaved);
        }
        var error = errorOf(result);
        var fields = (error.fields || []).map(function (f) { return f.field; });
        if (error.details && error.details.field) fields.push(error.details.field);
        fields.forEach(function (field) {
          var box = document.getElementById("contact-" + field);
          if (!box) return;
          box.setAttribute("aria-invalid", "true");
          document.getElementById("contact-" + field + "-error").textContent = error.message;
        });
        var firstBad = contactForm.querySelector("[aria-invalid=true]");
        if (firstBad) firstBad.focus();
        say(error.message);
      });
    });
  }

  buttons.close.addEventListener("click", function () {
    api("POST", "/" + conv.id + "/close").then(function (result) {
      if (!result.ok) return say(errorOf(result).message);
      setStatus("closed", null);
      var first = feedbackForm.querySelector("input");
      if (!feedbackPanel.hidden && first) first.focus();
    });
  });

  feedbackForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var rating = feedbackForm.querySelector("input[name=rating]:checked");
    if (!rating) return feedbackForm.querySelector("input[name=rating]").focus();
    var comment = feedbackForm.elements.comment.value.trim();
    api("POST", "/" + conv.id + "/feedback", { rating: Number(rating.value), comment: comment || null }).then(
      function (result) {
        if (!result.ok) return say(errorOf(result).message);
        feedbackPanel.hidden = true;
        say(t.feedbackThanks);
      }
    );
  });

  buttons.txt.addEventListener("click", function () { download("txt"); });
  buttons.json.addEventListener("click", function () { download("json"); });

  if (buttons.del) {
    buttons.del.addEventListener("click", function () {
      if (!window.confirm(t.confirmDelete)) return;
      api("DELETE", "/" + conv.id + "?lang=" + config.language).then(function (result) {
        if (!result.ok) return say(errorOf(result).message);
        var notes = [t.deleted];
        (result.data.kept || []).forEach(function (kept) {
          notes.push(fmt(t.kept, { name: kept.name, reason: kept.reason || "" }));
        });
        forget();
        say(notes.join(" "));
        input.focus();
      });
    });
  }

  buttons.fresh.addEventListener("click", function () {
    forget();
    say("");
    input.focus();
  });

  // Embedded in a company's page: Escape asks the page to close the chat (see tillit-chat-embed.js).
  if (window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ type: "tillit-chat-close" }, "*");
    });
  }

  // Continue a conversation from this tab (a reload, or the language switch).
  var stored = sessionStorage.getItem(STORE);
  setStatus("bot", null);
  // A chat begun before logging in stays anonymous; after login a new one starts, linked to the customer.
  if (stored && config.loggedIn && !JSON.parse(stored).authenticated) stored = null;
  if (stored) {
    conv = JSON.parse(stored);
    api("GET", "/" + conv.id + "/messages?after=0").then(function (result) {
      if (!result.ok) return forget();
      result.data.messages.forEach(addMessage);
      status = "new";
      setStatus(result.data.status, result.data.queue);
      poll();
    });
  }
})();
