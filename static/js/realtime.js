/* Convene live chat and live thread updates. Plain JS, no framework. The pages work without it.
   Protocol: docs/realtime.md. Nothing sent is lost: unsent messages keep their key and are
   re-sent after a reconnect; the server stores each key once. */
(function () {
  "use strict";
  var panels = document.querySelectorAll("[data-room]");
  if (!panels.length || !window.WebSocket) return;

  var rooms = {};          // room -> {el, last, onEvent}
  var pending = {};        // key -> frame waiting for its ack
  var ws = null, backoff = 1000, refs = 0;

  function $(el, sel) { return el.querySelector(sel); }
  function text(el, s) { if (el) el.textContent = s; }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function setState(label, cls) {
    panels.forEach(function (p) {
      var s = $(p, "[data-conn]");
      if (s) { s.textContent = label; s.className = "conn " + cls; }
    });
  }
  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function renderMessage(room, ev) {
    var list = $(room.el, "[data-messages]");
    if (!list) return;
    var id = "m" + ev.data.id;
    var li = document.getElementById(id);
    if (!li) {
      li = document.createElement("li");
      li.id = id;
      li.className = "chat-message";
      var who = document.createElement("span");
      who.className = "author";
      who.textContent = ev.data.author.name;
      var when = document.createElement("time");
      when.dateTime = ev.data.created_at;
      when.textContent = new Date(ev.data.created_at).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
      var body = document.createElement("div");
      body.className = "body";
      li.appendChild(who); li.appendChild(document.createTextNode(" ")); li.appendChild(when); li.appendChild(body);
      list.appendChild(li);
      var pendingLi = ev.data.key && document.getElementById("k" + ev.data.key);
      if (pendingLi) pendingLi.remove();
    }
    // html was sanitised by the server's one sanitiser before it was stored.
    $(li, ".body").innerHTML = ev.data.state === "visible" ? ev.data.html : "<em>" + (ev.data.state === "hidden" ? room.el.dataset.hiddenText : room.el.dataset.deletedText) + "</em>";
    list.scrollTop = list.scrollHeight;
  }

  function onEvent(room, ev) {
    if (ev.seq <= room.last) return;                 // duplicate: already applied
    if (ev.seq > room.last + 1 && room.last >= 0) {  // a gap: ask for what is missing, once
      if (!room.asking) send({type: "subscribe", room: room.name, since: room.last});
      room.asking = true;                            // the reply replays this event too
      return;
    }
    room.last = ev.seq;
    if (ev.kind === "message") renderMessage(room, ev);
    else if (ev.kind === "hidden" || ev.kind === "deleted" || ev.kind === "restored") {
      var li = document.getElementById("m" + ev.data.id);
      if (li) $(li, ".body").innerHTML = ev.kind === "restored" ? ev.data.html : "<em>" + room.el.dataset[ev.kind + "Text"] + "</em>";
    } else if (ev.kind === "post") {
      var box = $(room.el, "[data-new-posts]");
      if (box) {
        var art = document.createElement("article");
        art.className = "post live"; art.id = "p" + ev.data.number;
        var h = document.createElement("header");
        var a = document.createElement("span"); a.className = "author"; a.textContent = ev.data.author.name;
        var n = document.createElement("a"); n.href = "#p" + ev.data.number; n.textContent = "#" + ev.data.number;
        h.appendChild(a); h.appendChild(n);
        var b = document.createElement("div"); b.className = "body";
        if (ev.data.deleted) {  // a deleted post's text never comes in a frame (forum/editing.py)
          var em = document.createElement("em"); em.textContent = room.el.dataset.deletedPostText || "This post was deleted.";
          b.appendChild(em);
        } else b.innerHTML = ev.data.html;
        art.appendChild(h); art.appendChild(b); box.appendChild(art);
        text($(room.el, "[data-live-note]"), room.el.dataset.newText);
      }
    }
  }

  function connect() {
    setState(document.documentElement.lang === "en" ? "Connecting…" : "…", "connecting");
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws");
    ws.onopen = function () {
      backoff = 1000;
      Object.keys(rooms).forEach(function (name) {
        rooms[name].asking = false;
        send({type: "subscribe", room: name, since: Math.max(rooms[name].last, 0)});
      });
      Object.keys(pending).forEach(function (k) { send(pending[k]); });
    };
    ws.onmessage = function (msg) {
      var f; try { f = JSON.parse(msg.data); } catch (e) { return; }
      var room = f.room && rooms[f.room];
      if (f.type === "subscribed" && room) { room.asking = false; setState(room.el.dataset.liveText, "live"); presence(room, f.presence); }
      else if (f.type === "event" && room) onEvent(room, f);
      else if (f.type === "ack" && f.key) { delete pending[f.key]; saveDrafts(); }
      else if (f.type === "presence" && room) presenceChange(room, f);
      else if (f.type === "typing" && room) typing(room, f.user);
      else if (f.type === "catchup" && room) send({type: "subscribe", room: f.room, since: room.last});
      else if (f.type === "unsubscribed" && room && f.reason === "access_removed") { setState(room.el.dataset.removedText, "off"); delete rooms[f.room]; }
      else if (f.type === "error") { Object.keys(rooms).forEach(function (n) { rooms[n].asking = false; }); showError(f); }
    };
    ws.onclose = function () {
      setState(panels[0].dataset.offlineText || "Offline", "off");
      var wait = Math.min(backoff, 30000) * (0.75 + Math.random() / 2);
      backoff = Math.min(backoff * 2, 30000);
      setTimeout(connect, wait);
    };
  }

  // The list on subscribing, then only who joined or left (applied to whatever we hold).
  function presence(room, members) {
    room.present = {};
    (members || []).forEach(function (m) { room.present[m.id] = m.name; });
    drawPresence(room);
  }
  function presenceChange(room, f) {
    room.present = room.present || {};
    (f.left || []).forEach(function (id) { delete room.present[id]; });
    (f.joined || []).forEach(function (m) { room.present[m.id] = m.name; });
    drawPresence(room);
  }
  function drawPresence(room) {
    var ul = $(room.el, "[data-presence]");
    if (!ul) return;
    ul.textContent = "";
    Object.keys(room.present).sort(function (a, b) { return a - b; }).forEach(function (id) {
      var li = document.createElement("li"); li.textContent = room.present[id]; ul.appendChild(li);
    });
  }
  var typingTimers = {};
  function typing(room, user) {
    var el = $(room.el, "[data-typing]");
    if (!el) return;
    el.textContent = (room.el.dataset.typingText || "%s is typing…").replace("%s", user.name);
    clearTimeout(typingTimers[room.name]);
    typingTimers[room.name] = setTimeout(function () { el.textContent = ""; }, 4000);
  }
  function showError(f) {
    panels.forEach(function (p) { var e = $(p, "[data-error]"); if (e) { e.textContent = f.message; setTimeout(function () { e.textContent = ""; }, 6000); } });
  }
  function saveDrafts() {
    try { sessionStorage.setItem("convene-pending", JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  panels.forEach(function (el) {
    var name = el.dataset.room;
    var room = rooms[name] = {name: name, el: el, last: parseInt(el.dataset.since || "0", 10)};
    var form = $(el, "form[data-chat-form]");
    if (!form) return;
    var input = form.querySelector("textarea");
    var draftKey = "convene-draft-" + name;
    try { input.value = sessionStorage.getItem(draftKey) || ""; } catch (e) { /* ignore */ }
    input.addEventListener("input", function () {
      try { sessionStorage.setItem(draftKey, input.value); } catch (e) { /* ignore */ }
      send({type: "typing", room: name});
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      var key = newKey();
      var frame = {type: "send", room: name, body: body, key: key, ref: ++refs};
      pending[key] = frame; saveDrafts();
      var li = document.createElement("li");
      li.id = "k" + key; li.className = "chat-message sending"; li.textContent = body;
      $(el, "[data-messages]").appendChild(li);
      send(frame);  // if offline, it goes out on reconnect with the same key
      input.value = "";
      try { sessionStorage.removeItem(draftKey); } catch (e2) { /* ignore */ }
    });
  });
  try {
    var saved = JSON.parse(sessionStorage.getItem("convene-pending") || "{}");
    Object.keys(saved).forEach(function (k) { if (rooms[saved[k].room]) pending[k] = saved[k]; });
  } catch (e) { /* ignore */ }
  connect();
})();
