/* "Me too" on the capture screen: as the pin moves, list the open points nearby (each within its
   category's radius) and let the walker second one instead of logging a duplicate. The choice travels
   with the observation (metoo_of = the point's uuid); if the point was merged or hidden before the
   phone could send it, the server says so and the queue sends it as a new observation.
   Everything shown is set with textContent, never as HTML. */
(function () {
  "use strict";
  var box = document.querySelector("[data-capture-metoo]");
  var form = document.getElementById("capture-form");
  var configEl = document.getElementById("capture-metoo-config");
  if (!box || !form || !configEl) return;
  var config = JSON.parse(configEl.textContent);
  var msg = config.messages;
  var list = box.querySelector("[data-capture-metoo-list]");
  var chosenEl = box.querySelector("[data-capture-metoo-chosen]");
  var cancel = box.querySelector("[data-capture-metoo-cancel]");
  var chosen = null;
  var timer = null;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function choose(point) {
    chosen = point;
    chosenEl.textContent = point ? fmt(msg.chosen, { name: point.name, m: point.distance_m }) : "";
    cancel.hidden = !point;
    Array.prototype.forEach.call(list.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", String(!!point && b.value === point.uuid));
    });
    if (!point) return;
    var radio = form.querySelector('input[name="category"][value="' + CSS.escape(point.category) + '"]');
    if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function render(points) {
    list.textContent = "";
    if (chosen && !points.some(function (p) { return p.uuid === chosen.uuid; })) points = [chosen].concat(points);
    points.forEach(function (point) {
      var item = document.createElement("li");
      var label = document.createElement("span");
      var facts = [fmt(msg.away, { m: point.distance_m })];
      if (point.metoo) facts.push(fmt(msg.count, { n: point.metoo }));
      label.textContent = point.icon + " " + point.name + " · " + facts.join(" · ");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.value = point.uuid;
      button.textContent = msg.button;
      button.setAttribute("aria-pressed", String(!!chosen && chosen.uuid === point.uuid));
      button.addEventListener("click", function () { choose(point); });
      item.appendChild(label);
      item.appendChild(button);
      list.appendChild(item);
    });
    box.hidden = points.length === 0;
  }

  /* Without signal the last list stays; the choice is settled when the observation is sent. */
  function ask(lat, lon) {
    var url = config.url + "?lat=" + encodeURIComponent(lat.toFixed(7)) + "&lon=" + encodeURIComponent(lon.toFixed(7));
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data.points || []); }, function () { return null; });
  }

  form.addEventListener("capture:position", function (event) {
    clearTimeout(timer);
    timer = setTimeout(function () { ask(event.detail.lat, event.detail.lon); }, 400);
  });
  form.addEventListener("capture:fields", function (event) {
    if (chosen) event.detail.metoo_of = chosen.uuid;
  });
  form.addEventListener("reset", function () { choose(null); });
  cancel.addEventListener("click", function () { choose(null); });
})();
