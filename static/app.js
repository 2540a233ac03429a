/* Progressive enhancement only: every page is complete without this file, and this file decides nothing.
   Every verdict, format choice, tier and number it shows was computed by the build and is read from the JSON
   API or from pages the build wrote; markup comes from the page (templates and cloned rows), never from here.
   - your setup (device, GPUs, system RAM, context, KV cache): kept in localStorage and in the URL
   - the verdict card on model and model x device pages, for your setup
   - the grid: your device pinned on top, sortable columns, format/context switch (the grid page swapped in)
   - the home page's "on your device" column, filters, compare, copy buttons */
(function () {
  "use strict";
  var STORE = "canitrun.setup";
  var KEYS = ["device", "gpus", "ram", "ctx", "kv"];
  var cache = {};
  var base = document.body.dataset.base;

  function getJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
    }
    return cache[url];
  }
  function getHTML(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.text();
    }).then(function (text) { return new DOMParser().parseFromString(text, "text/html"); });
  }
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  /* ---- your setup ---- */
  function stored() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }
  function readSetup() {
    var setup = stored(), params = new URLSearchParams(location.search);
    KEYS.forEach(function (k) { if (params.get(k)) setup[k] = params.get(k); });
    return setup;
  }
  function saveSetup(setup) {
    try { localStorage.setItem(STORE, JSON.stringify(setup)); } catch (e) { /* private mode */ }
    var params = new URLSearchParams(location.search);
    KEYS.forEach(function (k) { if (setup[k]) params.set(k, setup[k]); else params.delete(k); });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }
  var setup = readSetup();
  var devices = {};

  function initSetupForm(form) {
    var f = form.elements;
    getJSON(base + "api/devices.json").then(function (data) {
      var groups = {};
      data.devices.forEach(function (d) {
        devices[d.slug] = d;
        if (!d.runs_llama_cpp) return;
        (groups[d.vendor] = groups[d.vendor] || []).push(d);
      });
      Object.keys(groups).sort().forEach(function (vendor) {
        var og = document.createElement("optgroup");
        og.label = vendor;
        groups[vendor].forEach(function (d) { og.appendChild(new Option(d.name, d.slug)); });
        f.device.appendChild(og);
      });
      KEYS.forEach(function (k) { if (setup[k] && f[k]) f[k].value = setup[k]; });
      var here = $(".pair, article.device[data-device]");
      if (here && !setup.device) f.device.value = here.dataset.device; /* this page's device, until one is chosen */
      applies();
      form.hidden = false;
      var shared = new URLSearchParams(location.search);
      if (KEYS.some(function (k) { return shared.get(k); })) saveSetup(setup); /* a shared address: adopt it */
      refresh();
    });
    form.addEventListener("change", function () {
      KEYS.forEach(function (k) { setup[k] = f[k].value; });
      applies();
      saveSetup(setup);
      refresh();
    });
    function applies() {
      var d = devices[f.device.value];
      $("[data-applies=gpus]", form).hidden = !(d && d.takes_several_gpus);
      $("[data-applies=ram]", form).hidden = !(d && d.system_ram_applies);
    }
  }

  function refresh() {
    $$(".verdict").forEach(showVerdict);
    pinMine();
    showMineOnHome();
  }

  /* ---- the verdict card ---- */
  function slot(card, name) { return $('[data-slot="' + name + '"]', card); }
  function setText(card, name, text) { var el = slot(card, name); if (el) el.textContent = text; }

  function showVerdict(card) {
    var page = card.closest(".pair");
    var device = page ? page.dataset.device : setup.device;
    if (!device) return;
    if (page && !(setup.gpus || setup.ram || setup.ctx || setup.kv)) return; /* the page shows the default setup */
    verdictFor(card.dataset.model, device, setup).then(function (v) {
      fill(card, v.row, v.labels, v.doc, v.chosen);
    }).catch(function () { /* no document for this device: the card stays as the build made it */ });
  }

  /* The row of a model x device document that applies to a setup, with the labels it keys. */
  function verdictFor(model, device, wanted) {
    var api = base + "api/models/" + model;
    return Promise.all([getJSON(api + "/on/" + device + ".json"), getJSON(api + "/labels.json")]).then(function (r) {
      var doc = r[0], labels = r[1], d = labels["default"];
      var at = function (list, value, fallback) {
        var i = list.indexOf(isNaN(+value) ? value : +value);
        return i >= 0 ? i : Math.max(list.indexOf(fallback), 0);
      };
      var context = wanted.ctx ? labels.context_for[wanted.ctx] : d.context;
      var gi = at(doc.gpus, wanted.gpus, d.gpus), ri = at(doc.system_ram_gb, wanted.ram, d.system_ram_gb);
      var ci = at(labels.contexts, context, d.context), ki = at(labels.kv_types, wanted.kv, d.kv_type);
      var n = ((gi * doc.system_ram_gb.length + ri) * labels.contexts.length + ci) * labels.kv_types.length + ki;
      var row = {};
      labels.fields.forEach(function (name, i) { row[name] = doc.rows[doc.index[n]][i]; });
      return { doc: doc, labels: labels, row: row, chosen: {
        gpus: doc.gpus[gi], ram: doc.system_ram_gb[ri], ctx: labels.context_labels[String(labels.contexts[ci])],
        kv: labels.kv_types[ki] } };
    });
  }

  /* Only strings the build made: each integer of a row keys a label of the model's labels document. */
  function fill(card, row, L, doc, chosen) {
    var empty = $(".verdict-empty", card), body = $(".verdict-body", card);
    if (empty) empty.hidden = true;
    body.hidden = false;
    var dev = devices[doc.device], name = dev ? dev.name : doc.device, runs = row.best >= 0;
    var title = slot(card, "device");
    if (title) title.textContent = (chosen.gpus > 1 ? chosen.gpus + " × " : "") + name;
    setText(card, "setup", (chosen.gpus > 1 ? chosen.gpus + " GPUs, " : "") +
      (dev && dev.system_ram_applies ? chosen.ram + " GB RAM, " : "") + chosen.ctx + " context, " + chosen.kv + " KV");
    var tier = L.tiers[runs ? row.best_tier : L.tiers.length - 1];
    slot(card, "tier").className = "tier tier-" + tier[0].toLowerCase();
    setText(card, "letter", tier[0]);
    setText(card, "words", tier[1]);
    setText(card, "fmt", runs ? L.formats[row.best] : "no format");
    slot(card, "warn").hidden = !(runs && L.low_quality[row.best]);
    setText(card, "speed", L.speed[row.speed]);
    setText(card, "low", L.speed[row.low]);
    setText(card, "high", L.speed[row.high]);
    setText(card, "memory", runs ? L.memory[row.memory] : "—");
    setText(card, "usable", L.memory[row.usable]);
    setText(card, "spill", L.spill[row.spill] || "");
    setText(card, "context", L.context[row.largest]);
    setText(card, "ttft", L.first_token[row.first_token]);
    setText(card, "quality", runs ? L.quality[row.best] : "—");
    var alt = function (f, s) { return f >= 0 ? L.formats[f] + " · " + L.speed[s] + " tok/s" : "none"; };
    setText(card, "fastest", alt(row.fastest, row.fastest_speed));
    setText(card, "finest", alt(row.finest, row.finest_speed));
    var command = L.commands[row.command], ollama = runs ? L.ollama[row.best] : null;
    setText(card, "command", runs ? command[0] : "—");
    setText(card, "note", runs ? command[1] : "");
    setText(card, "ollama", ollama || "");
    slot(card, "ollama-box").hidden = !ollama;
    var differs = $(".setup-differs");
    if (differs) differs.hidden = false;
    var more = slot(card, "more-box"), link = slot(card, "page");
    if (more && link && !card.closest(".pair")) {
      link.href = doc.page + location.search;
      more.hidden = false;
    }
  }

  /* ---- grids: your device pinned, sorting, format and context switch ---- */
  function pinMine() {
    $$("table.grid").forEach(function (table) {
      $$("tbody.mine", table).forEach(function (t) { t.remove(); });
      if (!setup.device) return;
      var row = $('tr[data-device="' + CSS.escape(setup.device) + '"]', table);
      if (!row) return;
      var tbody = document.createElement("tbody");
      tbody.className = "mine";
      var head = table.tBodies[0].rows[0].cloneNode(true);
      head.cells[0].textContent = "Your device";
      tbody.appendChild(head);
      var copy = row.cloneNode(true);
      copy.classList.add("mine");
      tbody.appendChild(copy);
      table.insertBefore(tbody, table.tBodies[0]);
    });
  }

  function initSorting(table) {
    $$("thead th[data-sort]", table).forEach(function (th) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var key = th.dataset.sort, ascending = th.getAttribute("aria-sort") !== "ascending";
        $$("thead th", table).forEach(function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        Array.prototype.forEach.call(table.tBodies, function (tbody) {
          if (tbody.classList.contains("mine")) return;
          var rows = $$("tr", tbody).filter(function (tr) { return !tr.classList.contains("group"); });
          rows.sort(function (a, b) {
            var x = value(a, key), y = value(b, key);
            var order = x < y ? -1 : x > y ? 1 : 0;
            return ascending ? order : -order;
          });
          rows.forEach(function (tr) { tbody.appendChild(tr); });
        });
      });
    });
    function value(tr, key) {
      if (key === "name") return tr.cells[0].textContent.trim().toLowerCase();
      return +(tr.dataset.k || "").split(",")[+key] || 0; /* data-k: tier, tok/s, MiB, largest context */
    }
  }

  function initSwitcher(box) {
    var section = box.closest(".grid-section");
    box.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[href]");
      if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button) return;
      ev.preventDefault();
      getHTML(a.href).then(function (doc) {
        var grid = $(".grid-body", doc), caption = $(".grid-caption", doc), pills = $(".switcher", doc);
        if (!grid) { location.href = a.href; return; }
        $(".grid-body", section).replaceWith(document.importNode(grid, true));
        if (caption) $(".grid-caption", section).textContent = caption.textContent;
        if (pills) {
          $$("a", box).forEach(function (link, i) {
            var twin = $$("a", pills)[i];
            if (twin && twin.hasAttribute("aria-current")) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
          });
        }
        $$("table.sortable", section).forEach(initSorting);
        pinMine();
        history.replaceState(null, "", a.getAttribute("href") + location.search);
      }).catch(function () { location.href = a.href; });
    });
  }

  /* ---- the home page's "on your device" column ---- */
  function showMineOnHome() {
    var table = $("table.models");
    if (!table || !setup.device) return;
    getJSON(base + "api/devices/" + setup.device + ".json").then(function (doc) {
      var head = $("th.mine-col", table), badge = $("#badge-template");
      head.textContent = "On your " + doc.name;
      head.hidden = false;
      $$("tbody tr[data-model]", table).forEach(function (tr) {
        var m = doc.models[tr.dataset.model], cell = $(".mine-col", tr);
        cell.textContent = "";
        cell.hidden = false;
        if (!m) return;
        var b = badge.content.firstElementChild.cloneNode(true);
        b.className = "tier tier-" + m.tier.toLowerCase();
        b.firstElementChild.textContent = m.tier;
        b.lastElementChild.textContent = m.words;
        var link = document.createElement("a");
        link.href = m.page + location.search;
        link.textContent = m.quant + (m.decode !== "—" ? ", " + m.decode + " tok/s" : "");
        cell.appendChild(b);
        cell.appendChild(document.createElement("br"));
        cell.appendChild(link);
      });
    }).catch(function () {});
  }

  /* ---- filters (home page models, devices list) ---- */
  function initFilters(form) {
    var table = $(form.dataset.table), count = $(".filter-count", form), f = form.elements;
    var names = ["q", "family", "license", "vendor"].filter(function (n) { return f[n]; });
    var params = new URLSearchParams(location.search);
    names.forEach(function (n) { if (params.get(n)) f[n].value = params.get(n); });
    form.hidden = false;
    function apply() {
      var q = (f.q.value || "").trim().toLowerCase(), shown = 0, total = 0;
      $$("tbody tr", table).forEach(function (tr) {
        var ok = (!q || (tr.dataset.search || tr.textContent).toLowerCase().indexOf(q) >= 0) &&
          (!f.family || !f.family.value || tr.dataset.family === f.family.value) &&
          (!f.license || !f.license.value || tr.dataset.license === f.license.value) &&
          (!f.vendor || !f.vendor.value || tr.dataset.vendor === f.vendor.value);
        tr.hidden = !ok;
        total++;
        if (ok) shown++;
      });
      if (count) count.textContent = shown === total ? total + " shown" : shown + " of " + total + " shown";
    }
    function remember() { /* the filters are part of the address, so a filtered list can be shared */
      var p = new URLSearchParams(location.search);
      names.forEach(function (n) { if (f[n].value) p.set(n, f[n].value); else p.delete(n); });
      var query = p.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    }
    form.addEventListener("input", function () { apply(); remember(); });
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }

  /* ---- compare: the same format on 2 to 4 devices, rows cloned from the build's grid pages ---- */
  function initCompare(form) {
    var out = $("#compare-result"), f = form.elements;
    Promise.all([getJSON(base + "api/models.json"), getJSON(base + "api/devices.json")]).then(function (r) {
      r[0].models.forEach(function (m) { f.models.appendChild(new Option(m.name, m.slug)); });
      r[1].devices.forEach(function (d) { if (d.runs_llama_cpp) f.devices.appendChild(new Option(d.name, d.slug)); });
      var p = new URLSearchParams(location.search);
      select(f.models, (p.get("models") || "").split(","));
      select(f.devices, (p.get("devices") || (setup.device || "")).split(","));
      if (p.get("quant")) f.quant.value = p.get("quant");
      form.hidden = false;
      if (p.get("models") && p.get("devices")) run();
    });
    function select(el, values) { $$("option", el).forEach(function (o) { o.selected = values.indexOf(o.value) >= 0; }); }
    function chosen(el) { return $$("option", el).filter(function (o) { return o.selected; }).map(function (o) { return o.value; }); }
    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    function run() {
      var models = chosen(f.models), devs = chosen(f.devices).slice(0, 4), quant = f.quant.value;
      if (!models.length || devs.length < 2) return;
      var params = new URLSearchParams(location.search);
      params.set("models", models.join(",")); params.set("devices", devs.join(",")); params.set("quant", quant);
      history.replaceState(null, "", "?" + params.toString());
      Promise.all(models.map(function (m) {
        return getJSON(base + "api/models/" + m + ".json").then(function (doc) {
          // the grid page at that format, as the build names it (urls.quant_path); else the default format's
          var q = doc.quants.filter(function (x) { return x.name === quant; })[0];
          var fmt = q ? quant : doc.default_quant;
          return getHTML(q ? q.page : doc.url).then(function (page) { return { doc: doc, page: page, fmt: fmt }; });
        });
      })).then(function (results) {
        var table = document.createElement("table");
        table.className = "compare";
        var caption = table.createCaption();
        caption.textContent = quant + " at each model's default context, one GPU (a model without " + quant + " shows its default format)";
        var head = table.createTHead().insertRow();
        head.appendChild(document.createElement("th")).textContent = "Model";
        devs.forEach(function (d) { head.appendChild(document.createElement("th")).textContent = devices[d] ? devices[d].name : d; });
        var tbody = table.createTBody();
        results.forEach(function (r) {
          var tr = tbody.insertRow(), th = document.createElement("th");
          th.scope = "row";
          th.textContent = r.doc.name + " (" + r.fmt + ")";
          tr.appendChild(th);
          devs.forEach(function (d) {
            var td = tr.insertCell(), row = $('tr[data-device="' + CSS.escape(d) + '"]', r.page);
            if (!row) { td.textContent = "—"; return; }
            // the grid row's tier, speed with its range and memory with what spills, each on its own line
            for (var i = 1; i < row.cells.length - 2; i++) {
              var line = document.createElement("div");
              Array.prototype.forEach.call(row.cells[i].childNodes, function (n) { line.appendChild(document.importNode(n, true)); });
              td.appendChild(line);
            }
          });
        });
        out.textContent = "";
        var scroll = document.createElement("div");
        scroll.className = "table-scroll";
        scroll.appendChild(table);
        out.appendChild(scroll);
      });
    }
  }

  /* ---- copy buttons ---- */
  function initCopy(pre) {
    if (!navigator.clipboard) return;
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "copy";
    btn.textContent = "Copy";
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.textContent.trim()).then(function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 1500);
      });
    });
    pre.parentNode.appendChild(btn);
  }

  document.documentElement.classList.add("js");
  $$("form.setup").forEach(initSetupForm);
  $$("table.sortable").forEach(initSorting);
  $$(".switcher").forEach(initSwitcher);
  $$("form.filters").forEach(initFilters);
  $$("form.compare-form").forEach(initCompare);
  $$(".run pre").forEach(initCopy);
  /* for the browser tests: the same lookup and fill the pages use */
  window.__display = { verdictFor: verdictFor, fill: fill };
})();
