// The advisor console's live refresh: polls the JSON API (no build step, no framework).
// Queue page: re-draws the queue every few seconds. Conversation page: asks for the status (no content,
// not audited) and fetches new messages (an audited read) only when something changed. Every text comes
// from data- attributes rendered in the staff member's language; data is inserted as text, never HTML.
(function () {
  "use strict";
  var QUEUE_EVERY_MS = 5000;
  var CONVERSATION_EVERY_MS = 3000;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 401) { window.location.reload(); throw new Error("logged out"); }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function takeForm(table, conversationId) {
    var form = document.createElement("form");
    form.method = "post";
    form.className = "inline";
    form.action = "/console/conversations/" + encodeURIComponent(conversationId) + "/take";
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = table.dataset.take;
    form.appendChild(token);
    form.appendChild(button);
    return form;
  }

  function refreshQueue(table) {
    getJson("/api/v1/console/queue").then(function (data) {
      var body = table.querySelector("tbody");
      var rows = document.createDocumentFragment();
      data.queue.forEach(function (entry) {
        var row = document.createElement("tr");
        cell(row, String(entry.position));
        cell(row, table.dataset.minutes.replace("{m}", String(Math.floor(entry.waiting_seconds / 60))));
        cell(row, entry.language);
        cell(row, entry.authenticated ? table.dataset.loggedIn : table.dataset.anonymous);
        cell(row, "").appendChild(takeForm(table, entry.conversation_id));
        rows.appendChild(row);
      });
      body.replaceChildren(rows);
      table.hidden = data.queue.length === 0;
      var empty = document.getElementById("queue-empty");
      if (empty) { empty.hidden = data.queue.length !== 0; }
    }).catch(function () { /* keep the last view; try again next time */ });
  }

  function appendMessage(list, message) {
    var item = document.createElement("li");
    item.className = "message message-" + message.author;
    var author = document.createElement("span");
    author.className = "author";
    author.textContent = list.dataset[message.author] || message.author;
    var time = document.createElement("time");
    time.dateTime = message.created_at;
    time.textContent = message.created_at.slice(11, 16);
    var text = document.createElement("p");
    text.textContent = message.text;
    item.appendChild(author);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(time);
    item.appendChild(text);
    list.appendChild(item);
  }

  function refreshConversation(list) {
    var id = encodeURIComponent(list.dataset.conversation);
    getJson("/api/v1/console/conversations/" + id + "/status").then(function (status) {
      if (status.status !== list.dataset.status) { window.location.reload(); return; }
      var after = parseInt(list.dataset.after, 10) || 0;
      if (status.latest_seq <= after) { return; }
      return getJson("/api/v1/console/conversations/" + id + "/messages?after=" + after).then(function (data) {
        data.messages.forEach(function (m) {
          appendMessage(list, m);
          list.dataset.after = String(m.seq);
        });
      });
    }).catch(function () { /* try again next time */ });
  }

  var queue = document.getElementById("queue");
  if (queue) { window.setInterval(function () { refreshQueue(queue); }, QUEUE_EVERY_MS); }
  var transcript = document.getElementById("transcript");
  if (transcript && transcript.dataset.status !== "closed") {
    window.setInterval(function () { refreshConversation(transcript); }, CONVERSATION_EVERY_MS);
  }
})();
