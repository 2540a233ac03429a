/* Progressive enhancement only: every page is complete without this file.
   - format/context switching in place on model pages (data from /api/models/<slug>.json, precomputed)
   - "my device": remembered in localStorage, highlighted on model pages and the home page
   - search and filters on the home page and the devices page
   - compare two devices for a model, or two models on a device
   - copy buttons for run commands */
(function () {
  "use strict";
  var STORE = "canitrun.device";
  var cache = {};

  function getJSON(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
    }
    return cache[url];
  }
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function gib(mib) { return (mib / 1024).toFixed(1) + " GiB"; }
  function toks(x) { return x >= 100 ? Math.round(x).toLocaleString("en") : x >= 10 ? x.toFixed(0) : x.toFixed(1); }
  function ctxLabel(c) { var k = c / 1024; return k === Math.round(k) || k >= 100 ? Math.round(k) + "K" : k.toFixed(1) + "K"; }
  function myDevice() { try { return localStorage.getItem(STORE) || ""; } catch (e) { return ""; } }
  function setMyDevice(slug) {
    try { if (slug) localStorage.setItem(STORE, slug); else localStorage.removeItem(STORE); } catch (e) { /* private mode */ }
  }
  var TIERS = null;
  function tiers() { return TIERS || (TIERS = getJSON(document.body.dataset.base + "api/tiers.json")); }
  function badge(t) { return '<span class="tier tier-' + t.letter.toLowerCase() + '"><b>' + t.letter + "</b> " + esc(t.words) + "</span>"; }

  /* ---- format and context switching ---- */
  function initSwitcher(box) {
    var section = box.closest(".grid-section");
    var body = $(".grid-body", section);
    var caption = $(".grid-caption", section);
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    section.appendChild(live);
    var cells = {};
    $$("tr[data-device]", body).forEach(function (tr) {
      cells[tr.dataset.device] = tr.children[0].outerHTML + tr.children[1].outerHTML;
    });
    var state = { quant: box.dataset.quant, context: +box.dataset.context };
    var params = new URLSearchParams(location.search);
    if (params.get("context")) switchTo(state.quant, +params.get("context"), false);

    box.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[data-quant], a[data-context]");
      if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button) return;
      ev.preventDefault();
      switchTo(a.dataset.quant || state.quant, a.dataset.context ? +a.dataset.context : state.context, true);
    });

    function switchTo(quant, context, push) {
      Promise.all([getJSON(box.dataset.api), tiers()]).then(function (r) {
        var doc = r[0], tierList = r[1].tiers;
        var table = doc.estimates.by_quant[quant] && doc.estimates.by_quant[quant][String(context)];
        if (!table) return;
        state = { quant: quant, context: context };
        body.innerHTML = renderGrid(doc, table, tierList);
        if (caption) caption.textContent = quant + ", " + ctxLabel(context) + " context";
        $$("a[data-quant]", box).forEach(function (a) { mark(a, a.dataset.quant === quant); });
        $$("a[data-context]", box).forEach(function (a) { mark(a, +a.dataset.context === context); });
        if (push) history.replaceState(null, "", urlFor(quant, context));
        live.textContent = "Showing " + quant + " at " + ctxLabel(context) + " context.";
        highlightMine();
      });
    }
    function mark(a, on) { if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current"); }
    function urlFor(quant, context) {
      var q = $('a[data-quant="' + quant + '"]', box).getAttribute("href");
      var c = $('a[data-context="' + context + '"]', box).getAttribute("href");
      var base = box.dataset.recommended === quant ? c : q;
      var extra = base === c || +box.dataset.defaultContext === context ? "" : "?context=" + context;
      return base + extra;
    }
    function renderGrid(doc, table, tierList) {
      var devices = doc.devices.rows;
      var groups = {};
      devices.forEach(function (d, i) {
        var row = [table.tier[i], table.decode_tok_s[i], table.total_mib[i], table.offload_percent[i]];
        (groups[row[0]] = groups[row[0]] || []).push([row, d]);
      });
      var html = '<div class="grid-groups">';
      tierList.forEach(function (t) {
        var list = groups[t.letter];
        if (!list) return;
        list.sort(function (a, b) { return b[0][1] - a[0][1]; });
        var id = "tier-" + t.letter.toLowerCase();
        html += '<section class="tier-group" aria-labelledby="' + id + '"><h3 id="' + id + '">' + badge(t) +
          ' <span class="count">' + list.length + " device" + (list.length === 1 ? "" : "s") + "</span></h3>" +
          '<div class="table-scroll" tabindex="0"><table class="grid"><thead><tr><th scope="col">Device</th><th scope="col">Vendor</th>' +
          '<th scope="col">Tier</th><th scope="col">tok/s <span class="range">(range)</span></th>' +
          '<th scope="col">Memory needed / usable</th></tr></thead><tbody>';
        list.forEach(function (pair) {
          var e = pair[0], d = pair[1];
          var speed = e[1] ? toks(e[1]) + ' <span class="range">(' + toks(e[1] * d[2]) + "–" + toks(e[1] * d[3]) + ")</span>" +
            (d[4] ? "" : ' <abbr title="no measurements for this class of device: pooled constants">uncal.</abbr>') : "—";
          var mem = gib(e[2]) + " / " + gib(d[1]) +
            (e[3] > 0 && e[3] < 100 ? '<br><span class="offload">' + e[3] + "% of weights in system RAM</span>" : "");
          html += '<tr data-device="' + esc(d[0]) + '">' + (cells[d[0]] || "<th scope=\"row\">" + esc(d[0]) + "</th><td></td>") +
            "<td>" + badge(t) + '</td><td class="num">' + speed + '</td><td class="num">' + mem + "</td></tr>";
        });
        html += "</tbody></table></div></section>";
      });
      return html + "</div>";
    }
  }

  /* ---- my device ---- */
  function initPicker(form) {
    var select = $("select", form);
    getJSON(document.body.dataset.base + "api/devices.json").then(function (data) {
      var current = myDevice();
      var groups = {};
      data.devices.forEach(function (d) { (groups[d.vendor] = groups[d.vendor] || []).push(d); });
      Object.keys(groups).sort().forEach(function (vendor) {
        var og = document.createElement("optgroup");
        og.label = vendor;
        groups[vendor].forEach(function (d) {
          var o = new Option(d.name, d.slug, false, d.slug === current);
          og.appendChild(o);
        });
        select.appendChild(og);
      });
      form.hidden = false;
    });
    select.addEventListener("change", function () {
      setMyDevice(select.value);
      highlightMine();
      showMineOnHome();
    });
  }

  function highlightMine() {
    var slug = myDevice();
    $$("tr.mine").forEach(function (tr) { tr.classList.remove("mine"); });
    var note = $("#my-device-note");
    if (!slug) { if (note) note.hidden = true; return; }
    var row = $('.grid-body tr[data-device="' + CSS.escape(slug) + '"]');
    if (row) row.classList.add("mine");
    if (note && row) {
      note.innerHTML = "Your device: " + row.children[0].innerHTML + " — " + row.children[2].innerHTML + " " +
        row.children[3].innerHTML + " tok/s";
      note.hidden = false;
    } else if (note) note.hidden = true;
  }

  function showMineOnHome() {
    var table = $("table.models");
    if (!table) return;
    var slug = myDevice();
    var head = $("th.mine-col", table);
    if (!slug) { $$(".mine-col", table).forEach(function (c) { c.hidden = true; }); return; }
    Promise.all([getJSON(document.body.dataset.base + "api/devices/" + slug + ".json"), tiers()]).then(function (r) {
      var dev = r[0], byLetter = {};
      r[1].tiers.forEach(function (t) { byLetter[t.letter] = t; });
      var by = {};
      dev.models.forEach(function (m) { by[m.model] = m; });
      head.textContent = "On your " + dev.name;
      head.hidden = false;
      $$("tbody tr[data-model]", table).forEach(function (tr) {
        var m = by[tr.dataset.model], cell = $(".mine-col", tr);
        cell.innerHTML = m ? badge(byLetter[m.tier]) + "<br><span class=\"muted\">" + esc(m.quant) + (m.decode_tok_s ? ", " + toks(m.decode_tok_s) + " tok/s" : "") + "</span>" : "";
        cell.hidden = false;
      });
    }).catch(function () { setMyDevice(""); });
  }

  /* ---- filters (home page models, devices index) ---- */
  function initFilters(form) {
    var table = $(form.dataset.table);
    var api = form.dataset.api;
    var key = form.dataset.key;
    var count = $(".filter-count", form);
    getJSON(api).then(function (data) {
      var items = {};
      data[key].forEach(function (it) { items[it.slug] = it; });
      form.hidden = false;
      function apply() {
        var shown = 0, total = 0;
        $$("tbody tr[data-slug]", table).forEach(function (tr) {
          var ok = matches(items[tr.dataset.slug], form);
          tr.hidden = !ok;
          total++;
          if (ok) shown++;
        });
        if (count) count.textContent = shown === total ? total + " shown" : shown + " of " + total + " shown";
      }
      form.addEventListener("input", apply);
      form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
      apply();
    });
  }
  function matches(it, form) {
    if (!it) return true;
    var f = form.elements;
    var q = f.q && f.q.value.trim().toLowerCase();
    if (q && (it.name + " " + (it.family || "") + " " + (it.vendor || "") + " " + (it.publisher || "")).toLowerCase().indexOf(q) < 0) return false;
    if (f.family && f.family.value && it.family !== f.family.value) return false;
    if (f.license && f.license.value && it.license !== f.license.value) return false;
    if (f.vendor && f.vendor.value && it.vendor !== f.vendor.value) return false;
    if (f.kind && f.kind.value && it.kind !== f.kind.value) return false;
    if (f.min_params && f.min_params.value && it.params_b < +f.min_params.value) return false;
    if (f.max_params && f.max_params.value && it.params_b > +f.max_params.value) return false;
    if (f.fits && f.fits.value && it.smallest_memory_bytes > +f.fits.value * 1073741824) return false;
    if (f.min_memory && f.min_memory.value && it.memory_gb < +f.min_memory.value) return false;
    return true;
  }

  /* ---- compare ---- */
  function initCompare(form) {
    var out = $("#compare-result");
    var base = document.body.dataset.base;
    Promise.all([getJSON(base + "api/models.json"), getJSON(base + "api/devices.json")]).then(function (r) {
      fill(form.elements.model, r[0].models, "model");
      fill(form.elements.model_b, r[0].models, "model_b");
      fill(form.elements.device, r[1].devices, "device");
      fill(form.elements.device_b, r[1].devices, "device_b");
      var p = new URLSearchParams(location.search);
      ["model", "model_b", "device", "device_b"].forEach(function (k) { if (p.get(k) && form.elements[k]) form.elements[k].value = p.get(k); });
      if (!form.elements.device_b.value && myDevice()) form.elements.device.value = myDevice();
      form.hidden = false;
      if (p.toString()) run();
    });
    function fill(select, list) {
      if (!select) return;
      list.forEach(function (it) { select.appendChild(new Option(it.name, it.slug)); });
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    function run() {
      var f = form.elements, models = [f.model.value], devices = [f.device.value];
      if (f.model_b.value) models.push(f.model_b.value);
      if (f.device_b.value) devices.push(f.device_b.value);
      var params = new URLSearchParams();
      ["model", "model_b", "device", "device_b"].forEach(function (k) { if (f[k].value) params.set(k, f[k].value); });
      history.replaceState(null, "", "?" + params.toString());
      Promise.all(models.map(function (m) { return getJSON(base + "api/models/" + m + ".json"); }).concat([tiers()])).then(function (docs) {
        var tierList = docs.pop().tiers, byLetter = {};
        tierList.forEach(function (t) { byLetter[t.letter] = t; });
        var html = '<div class="table-scroll" tabindex="0"><table class="compare"><caption>Best format for each pair, ' + "default context" + '</caption><thead><tr><th scope="col">Model</th>';
        devices.forEach(function (d) { html += '<th scope="col">' + esc(nameOf(d)) + "</th>"; });
        html += "</tr></thead><tbody>";
        docs.forEach(function (doc) {
          html += '<tr><th scope="row"><a href="' + esc(doc.url) + '">' + esc(doc.name) + "</a></th>";
          devices.forEach(function (slug) { html += "<td>" + cell(doc, slug, byLetter) + "</td>"; });
          html += "</tr>";
        });
        out.innerHTML = html + "</tbody></table></div>";
      });
    }
    function nameOf(slug) {
      var o = $('option[value="' + CSS.escape(slug) + '"]', form.elements.device);
      return o ? o.textContent : slug;
    }
  }
  function cell(doc, slug, byLetter) {
    var idx = -1;
    doc.devices.rows.forEach(function (d, i) { if (d[0] === slug) idx = i; });
    if (idx < 0) return "—";
    var ctx = String(doc.contexts.indexOf(8192) >= 0 ? 8192 : doc.contexts[0]);
    var best = null, order = "SABCDF";
    doc.quants.forEach(function (q) {
      if (q.name === "F16" || q.name === "BF16") return;
      var t = doc.estimates.by_quant[q.name][ctx];
      var row = [t.tier[idx], t.decode_tok_s[idx], t.total_mib[idx], t.offload_percent[idx]];
      if (!best || order.indexOf(row[0]) <= order.indexOf(best.row[0])) best = { q: q.name, row: row };
    });
    if (!best) return "—";
    var d = doc.devices.rows[idx];
    return badge(byLetter[best.row[0]]) + "<br>" + esc(best.q) + (best.row[1] ? ", " + toks(best.row[1]) + " tok/s" : "") +
      '<br><span class="muted">' + gib(best.row[2]) + " of " + gib(d[1]) + "</span>";
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
  $$(".switcher").forEach(initSwitcher);
  $$("form.my-device").forEach(initPicker);
  $$("form.filters").forEach(initFilters);
  $$("form.compare-form").forEach(initCompare);
  $$(".run pre").forEach(initCopy);
  highlightMine();
  showMineOnHome();
})();
