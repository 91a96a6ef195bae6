/* Convene consultations: live countdowns and the live Q&A. Plain JS, no framework; every page
   works without it (forms post and reload). Protocol: docs/realtime.md ("Consultations").
   Actions go to /api/v1 with the CSRF header; what they change comes back over /ws as frames of
   the room "consultation:<id>", for everyone at once. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var skew = 0;  // server clock minus ours: the server's clock decides when things end
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  /* ---- countdowns -------------------------------------------------------------------- */
  var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, {numeric: "auto"}) : null;
  var counters = [];
  function initCountdown(el) {
    var now = Date.parse(el.dataset.now || "");
    if (!isNaN(now) && !counters.length) skew = now - Date.now();
    counters.push(el);
  }
  function relative(ms) {
    var s = Math.round(ms / 1000), abs = Math.abs(s);
    if (!rtf) return "";
    if (abs >= 2 * 86400) return rtf.format(Math.round(s / 86400), "day");
    if (abs >= 2 * 3600) return rtf.format(Math.round(s / 3600), "hour");
    if (abs >= 120) return rtf.format(Math.round(s / 60), "minute");
    return rtf.format(s, "second");
  }
  function tick() {
    var now = Date.now() + skew;
    counters.forEach(function (el) {
      var left = Date.parse(el.dataset.countdown) - now;
      if (left <= 0) { el.textContent = el.dataset.done || ""; el.classList.add("done"); return; }
      var text = relative(left);
      if (text) el.textContent = (el.dataset.verb ? el.dataset.verb + " " : "") + text;
    });
  }
  document.querySelectorAll("[data-countdown]").forEach(initCountdown);
  if (counters.length) { tick(); setInterval(tick, 1000); }

  /* ---- live room ---------------------------------------------------------------------- */
  var panel = document.querySelector("[data-qa-room]");
  var banner = document.querySelector("[data-consultation-banner]");
  var roomEl = panel || (banner && banner.dataset.consultationRoom ? banner : null);
  if (!roomEl || !window.WebSocket) return;
  var roomName = panel ? panel.dataset.qaRoom : banner.dataset.consultationRoom;
  var last = parseInt(roomEl.dataset.since || "0", 10);
  var ws = null, backoff = 1000;
  var cid = roomName.split(":")[1];
  var sessionId = panel ? panel.dataset.session : null;
  var manage = panel && panel.dataset.manage === "1";
  var participant = panel && panel.dataset.participant === "1";
  var api = "/api/v1/consultations/" + cid;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function say(el, text) { if (el) el.textContent = text; }
  function status(text, cls) { var s = panel && $("[data-conn]", panel); if (s) { s.textContent = text; s.className = "conn " + cls; } }
  function announce(text) { if (banner) { banner.textContent = text; banner.classList.add("shown"); } }
  function localTime(iso) {
    try { return new Date(iso).toLocaleString(lang, {dateStyle: "long", timeStyle: "short"}); } catch (e) { return iso; }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify(body || {})
    }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (data) { if (!r.ok) throw data; return data; });
    });
  }
  function showError(err) {
    var message = err && err.error ? err.error.message : "";
    if (message) announce(message);
  }

  /* A question's list item, built from a frame's data or an API answer. */
  function render(q) {
    var list = panel && $("[data-questions]", panel);
    if (!list) return;
    var li = document.getElementById("qa" + q.id);
    if (q.state === "hidden" && !manage) { if (li) li.remove(); return; }
    if (q.state === "pending" && !q.html) return;  // the words are for facilitators and the author only
    if (!li) {
      li = document.createElement("li");
      li.id = "qa" + q.id;
      li.dataset.id = q.id;
      list.appendChild(li);
      var empty = $("[data-qa-empty]", panel); if (empty) empty.remove();
    }
    li.className = "qa-item " + q.state + (q.answered ? " answered" : "") + (li.classList.contains("highlighted") ? " highlighted" : "");
    li.textContent = "";
    var meta = document.createElement("div"); meta.className = "qa-meta";
    var who = document.createElement("span"); who.className = "author"; who.textContent = q.author || "";
    var votes = document.createElement("span"); votes.className = "votes"; votes.dataset.votes = "";
    votes.textContent = q.votes + " " + panel.dataset.votesText;
    meta.appendChild(who); meta.appendChild(document.createTextNode(" ")); meta.appendChild(votes);
    [[q.state === "pending", panel.dataset.pendingText, "badge"], [q.answered, panel.dataset.answeredText, "badge answered"],
     [li.classList.contains("highlighted"), panel.dataset.highlightText, "badge highlight"]].forEach(function (b) {
      if (!b[0]) return;
      var span = document.createElement("span"); span.className = b[2]; span.textContent = b[1];
      meta.appendChild(document.createTextNode(" ")); meta.appendChild(span);
    });
    var body = document.createElement("div"); body.className = "body";
    body.innerHTML = q.html;  // sanitised by the server's one sanitiser when it was written
    var actions = document.createElement("div"); actions.className = "post-actions";
    function button(label, cls, run) {
      var b = document.createElement("button"); b.type = "button"; b.className = "small " + cls; b.textContent = label;
      b.addEventListener("click", function () { b.disabled = true; run().catch(function (e) { b.disabled = false; showError(e); }); });
      actions.appendChild(b); actions.appendChild(document.createTextNode(" "));
    }
    if (q.state === "visible" && participant && !q.mine && !q.voted) {
      button(panel.dataset.upvoteText, "secondary", function () { return post(api + "/qa/" + q.id + "/upvote").then(function () { q.voted = true; }); });
    }
    if (manage) {
      if (q.state === "pending") button(panel.dataset.approveText, "", function () { return post(api + "/qa/" + q.id + "/approve"); });
      if (q.state === "visible" && !q.answered) button(panel.dataset.answerText, "secondary", function () { return post(api + "/qa/" + q.id + "/answered"); });
      if (q.state === "visible" && !li.classList.contains("highlighted")) button(panel.dataset.highlightActionText, "secondary", function () { return post(api + "/sessions/" + sessionId + "/highlight", {question_id: q.id}); });
      if (q.state !== "hidden") button(panel.dataset.hideText, "danger", function () { return post(api + "/qa/" + q.id + "/hide"); });
    }
    li.appendChild(meta); li.appendChild(body); li.appendChild(actions);
    li._q = q;
  }
  function mergeAndRender(data) {
    var li = document.getElementById("qa" + data.id);
    var known = li && li._q ? li._q : {};
    var q = {};
    Object.keys(known).forEach(function (k) { q[k] = known[k]; });
    Object.keys(data).forEach(function (k) { q[k] = data[k]; });
    render(q);
  }
  function refreshList() {
    // A facilitator learns a pending question's words over HTTP: the room's log never holds them.
    return fetch(api + "/sessions/" + sessionId + "/questions", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) { items.forEach(function (q) { mergeAndRender(q); }); });
  }
  function highlight(id) {
    if (!panel) return;
    panel.querySelectorAll(".qa-item.highlighted").forEach(function (li) { li.classList.remove("highlighted"); if (li._q) render(li._q); });
    var li = id && document.getElementById("qa" + id);
    if (li) { li.classList.add("highlighted"); li.parentNode.insertBefore(li, li.parentNode.firstChild); if (li._q) render(li._q); }
  }
  function endSession(text) {
    if (!panel) return;
    say($("[data-session-countdown]", panel), text);
    var form = $("[data-qa-ask]", panel); if (form) form.remove();
    panel.classList.add("ended");
  }

  function onEvent(f) {
    if (f.seq <= last) return;                       // already applied
    if (f.seq > last + 1) { send({type: "subscribe", room: roomName, since: last}); return; }  // a gap
    last = f.seq;
    var d = f.data || {};
    if (f.kind.indexOf("qa_") === 0 && f.kind !== "qa_highlight") {
      if (panel && String(d.session_id) !== String(sessionId)) return;
      if (d.state === "pending" && manage && !document.getElementById("qa" + d.id)) { refreshList(); return; }
      mergeAndRender(d);
    } else if (f.kind === "qa_highlight") {
      if (!panel || String(d.session_id) !== String(sessionId)) return;
      highlight(d.id);
    } else if (f.kind === "session_ended") {
      if (panel && String(d.session_id) === String(sessionId)) endSession(panel.dataset.endedText);
    } else if (f.kind === "session_extended") {
      var c = panel && String(d.session_id) === String(sessionId) && $("[data-session-countdown] [data-countdown]", panel);
      if (c) { c.dataset.countdown = d.ends_at; c.classList.remove("done"); tick(); }
    } else if (f.kind === "consultation_closed") {
      announce(banner.dataset.closedText);
      document.querySelectorAll('form[action$="/respond"], form[action$="/comments"], [data-qa-ask]').forEach(function (form) {
        form.querySelectorAll("button, textarea, input, select").forEach(function (el) { el.disabled = true; });
      });
      endSession(panel ? panel.dataset.endedText : "");
    } else if (f.kind === "consultation_extended" || f.kind === "consultation_reopened") {
      var text = f.kind === "consultation_extended" ? banner.dataset.extendedText : banner.dataset.reopenedText;
      announce(text.replace("{time}", localTime(d.closes_at)));
      document.querySelectorAll("[data-countdown]").forEach(function (el) {
        if (el.dataset.verb && el.closest(".schedule")) { el.dataset.countdown = d.closes_at; el.classList.remove("done"); }
      });
      tick();
    }
  }

  function send(frame) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame)); }
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws");
    ws.onopen = function () { backoff = 1000; send({type: "subscribe", room: roomName, since: last}); };
    ws.onmessage = function (msg) {
      var f; try { f = JSON.parse(msg.data); } catch (e) { return; }
      if (f.type === "hello" && f.server_time) { skew = Date.parse(f.server_time) - Date.now(); tick(); }
      else if (f.type === "subscribed" && f.room === roomName) status(panel ? panel.dataset.liveText : "", "live");
      else if (f.type === "event" && f.room === roomName) onEvent(f);
      else if (f.type === "catchup" && f.room === roomName) send({type: "subscribe", room: roomName, since: last});
      else if (f.type === "unsubscribed" && f.room === roomName && f.reason === "access_removed") { ws.onclose = null; ws.close(); }
    };
    ws.onclose = function () {
      status(panel ? panel.dataset.offlineText : "", "off");
      var wait = Math.min(backoff, 30000) * (0.75 + Math.random() / 2);
      backoff = Math.min(backoff * 2, 30000);
      setTimeout(connect, wait);
    };
  }

  if (panel) {
    panel.querySelectorAll(".qa-item").forEach(function (li) { li._q = null; });
    var ask = $("[data-qa-ask]", panel);
    if (ask) ask.addEventListener("submit", function (e) {
      e.preventDefault();
      var box = ask.querySelector("textarea");
      var body = box.value.trim();
      if (!body) return;
      var button = ask.querySelector("button"); button.disabled = true;
      post(api + "/sessions/" + sessionId + "/questions", {body: body}).then(function (q) {
        box.value = ""; button.disabled = false; mergeAndRender(q);
      }).catch(function (err) { button.disabled = false; showError(err); });
    });
    panel.querySelectorAll("form[data-qa-action]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var action = form.dataset.qaAction;
        var id = form.closest(".qa-item").dataset.id;
        var url = action === "highlight" ? api + "/sessions/" + sessionId + "/highlight" : api + "/qa/" + id + "/" + action;
        var button = form.querySelector("button"); button.disabled = true;
        post(url, action === "highlight" ? {question_id: parseInt(id, 10)} : {}).then(function () {
          if (action === "upvote") form.remove();
        }).catch(function (err) { button.disabled = false; showError(err); });
      });
    });
    if (manage || participant) refreshList();
  }
  connect();
})();
