// nextguard map: renders the inventory embedded in #map-data as a tree of route segments, with
// filters by protection status and kind and a text search. No dependencies, nothing fetched.
// Every value from the data is put in the page with textContent, never as HTML.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("map-data").textContent);
  var endpoints = data.endpoints;
  var STATUSES = [
    ["unprotected", "unprotected"],
    ["public", "public"],
    ["protected", "protected"],
  ];
  var KINDS = [
    ["action", "action"],
    ["inline", "inline action"],
    ["route", "route handler"],
  ];
  var NO_PAGE = "(no page imports it)";
  var OWNERSHIP = {
    "unscoped": "unscoped: keyed by client input alone, nothing ties it to the caller (NG104)",
    "client-owner": "the client chooses the owner field it writes (NG105)",
    "checked": "no unscoped access found (NG104, NG105)",
    "not-applicable": "no data to own",
  };
  var searchIndex = new Map(); // endpoint element -> its searchable text, lower-cased

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        node.setAttribute(key, attrs[key]);
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // -- state, kept in the address so a filtered view can be shared ------------------------------

  function readState() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    function list(name, all) {
      var value = params.get(name);
      if (value === null || value === "") return all.map(function (pair) { return pair[0]; });
      return value.split(",").filter(function (item) {
        return all.some(function (pair) { return pair[0] === item; });
      });
    }
    return { status: list("status", STATUSES), kind: list("kind", KINDS), q: params.get("q") || "" };
  }

  function writeState(state) {
    var parts = [];
    if (state.status.length !== STATUSES.length) parts.push("status=" + state.status.join(","));
    if (state.kind.length !== KINDS.length) parts.push("kind=" + state.kind.join(","));
    if (state.q) parts.push("q=" + encodeURIComponent(state.q));
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (window.location.hash !== hash && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", hash || window.location.pathname + window.location.search);
    }
  }

  // -- filters -----------------------------------------------------------------------------------

  function countBy(key) {
    var counts = {};
    endpoints.forEach(function (item) {
      var value = key === "status" ? item.protection.status : item.kind;
      counts[value] = (counts[value] || 0) + 1;
    });
    return counts;
  }

  function buildCheckboxes(fieldset, name, pairs, selected) {
    var counts = countBy(name);
    pairs.forEach(function (pair) {
      var label = el("label", { "class": name + "-option" });
      var box = el("input", { type: "checkbox", name: name, value: pair[0] });
      box.checked = box.defaultChecked = selected.indexOf(pair[0]) !== -1;
      label.appendChild(box);
      label.appendChild(el("span", { "class": name === "status" ? "badge " + pair[0] : "" }, pair[1]));
      label.appendChild(el("span", { "class": "count" }, "(" + (counts[pair[0]] || 0) + ")"));
      fieldset.appendChild(label);
    });
  }

  function checked(name) {
    return Array.prototype.map.call(
      document.querySelectorAll('input[name="' + name + '"]:checked'),
      function (box) { return box.value; }
    );
  }

  // -- one endpoint ------------------------------------------------------------------------------

  function searchText(item) {
    var p = item.protection;
    return [
      item.name, item.method, item.kind, item.file, item.project, item.route.path || NO_PAGE,
      p.status, p.summary, p.by, p.via, p.reason, p.note,
      item.data.functions.join(" "), item.validation.by.join(" "), item.rate_limit.by.join(" "),
      item.findings.map(function (f) { return f.code + " " + f.message; }).join(" "),
      item.reexported_by.map(function (r) { return r.file + " " + r.name; }).join(" "),
    ].join(" ").toLowerCase();
  }

  function fact(list, term, value) {
    list.appendChild(el("dt", null, term));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value;
    list.appendChild(dd);
  }

  function describeData(item) {
    var d = item.data;
    if (!d.reads && !d.mutates) return "no data access";
    var what = d.reads && d.mutates ? "reads and mutates" : d.mutates ? "mutates" : "reads";
    return d.functions.length ? what + " through " + d.functions.join(", ") : what;
  }

  function renderEndpoint(item) {
    var p = item.protection;
    var li = el("li", {
      "class": "endpoint",
      "data-name": item.name,
      "data-status": p.status,
      "data-kind": item.kind,
      "data-file": item.file,
      // Unprotected but reaching no data and no outside effect: worth knowing, not an alarm.
      "data-idle": !item.data.reads && !item.data.mutates && !item.findings.length ? "true" : "false",
    });
    searchIndex.set(li, searchText(item));
    var head = el("div", { "class": "head" });
    head.appendChild(el("span", { "class": "badge " + p.status }, p.status));
    head.appendChild(el("span", { "class": "name mono" }, item.name));
    var kind = item.kind === "route" ? "route handler" : item.kind === "inline" ? "inline action" : "Server Action";
    head.appendChild(el("span", { "class": "kind" }, kind));
    head.appendChild(el("span", { "class": "file mono" }, item.file + ":" + item.line));
    li.appendChild(head);

    var facts = el("dl", { "class": "facts" });
    var protection = p.summary;
    if (p.status === "protected" && p.via) protection += " — " + p.via;
    if (p.note) protection += " — " + p.note;
    fact(facts, "protection", protection);
    fact(facts, "data", describeData(item));
    fact(facts, "validation", item.validation.by.length ? item.validation.by.join(", ") : "none found");
    fact(facts, "rate limit", item.rate_limit.by.length ? item.rate_limit.by.join(", ") : "none found");
    fact(facts, "ownership", OWNERSHIP[item.ownership] || String(item.ownership));
    if (item.reexported_by.length) {
      fact(facts, "re-exported by", item.reexported_by.map(function (r) {
        return r.file + " as " + r.name;
      }).join(", "));
    }
    if (item.route.paths.length > 1) {
      fact(facts, "also at", item.route.paths.slice(1).map(function (r) { return r.path; }).join(", "));
    }
    if (item.findings.length) {
      var ul = el("ul", { "class": "findings" });
      item.findings.forEach(function (f) {
        ul.appendChild(el("li", { "class": "finding" }, f.code + " " + f.name + " (line " + f.line + "): " + f.message));
      });
      fact(facts, "findings", ul);
    }
    li.appendChild(facts);

    if (item.curl) {
      var box = el("div", { "class": "curl" });
      box.appendChild(el("pre", null, item.curl));
      var button = el("button", { type: "button", title: "Copy the curl command" }, "copy");
      button.addEventListener("click", function () {
        if (navigator.clipboard) navigator.clipboard.writeText(item.curl);
        button.textContent = "copied";
      });
      box.appendChild(button);
      li.appendChild(box);
    }
    return li;
  }

  // -- the tree of route segments ----------------------------------------------------------------

  function newNode(label, path) {
    return { label: label, path: path, children: {}, order: [], endpoints: [], keep: false };
  }

  function child(node, label, path) {
    if (!node.children[label]) {
      node.children[label] = newNode(label, path);
      node.order.push(label);
    }
    return node.children[label];
  }

  function buildTree() {
    var root = newNode("", "");
    endpoints.forEach(function (item) {
      var node = root;
      if (item.project !== ".") {
        node = child(node, item.project, item.project);
        node.keep = true; // a monorepo's app is always shown
      }
      var path = item.route.path;
      if (path === null) {
        node = child(node, NO_PAGE, NO_PAGE);
      } else {
        node = child(node, "/", "/");
        var soFar = "";
        path.split("/").filter(Boolean).forEach(function (segment) {
          soFar += "/" + segment;
          node = child(node, segment, soFar);
        });
      }
      node.endpoints.push(item);
    });
    return root;
  }

  function total(node) {
    var sum = node.endpoints.length;
    node.order.forEach(function (label) { sum += total(node.children[label]); });
    return sum;
  }

  function renderNode(node) {
    // A segment with nothing of its own and one child is shown as that child (`/api/webhooks/stripe`).
    while (!node.keep && !node.endpoints.length && node.order.length === 1 && node.path !== "/") {
      node = node.children[node.order[0]];
    }
    var details = el("details", { "class": "segment", "data-path": node.path, "data-total": String(total(node)) });
    details.open = true;
    var summary = el("summary");
    summary.appendChild(el("span", { "class": "mono" }, node.path));
    summary.appendChild(el("span", { "class": "count" }, total(node) + " endpoint" + (total(node) === 1 ? "" : "s")));
    details.appendChild(summary);
    if (node.endpoints.length) {
      var list = el("ul", { "class": "endpoints" });
      node.endpoints.forEach(function (item) { list.appendChild(renderEndpoint(item)); });
      details.appendChild(list);
    }
    node.order.forEach(function (label) { details.appendChild(renderNode(node.children[label])); });
    return details;
  }

  // -- applying the filters ----------------------------------------------------------------------

  function apply() {
    var state = { status: checked("status"), kind: checked("kind"), q: document.getElementById("search").value.trim() };
    var query = state.q.toLowerCase();
    // Keep the attributes in step with the state, so the DOM says what the page shows.
    document.querySelectorAll("#filters input[type=checkbox]").forEach(function (box) {
      box.toggleAttribute("checked", box.checked);
    });
    var shown = 0;
    document.querySelectorAll("li.endpoint").forEach(function (li) {
      var visible = state.status.indexOf(li.dataset.status) !== -1 &&
        state.kind.indexOf(li.dataset.kind) !== -1 &&
        (!query || searchIndex.get(li).indexOf(query) !== -1);
      li.hidden = !visible;
      if (visible) shown += 1;
    });
    var segments = Array.prototype.slice.call(document.querySelectorAll("details.segment")).reverse();
    segments.forEach(function (details) {
      var visible = details.querySelectorAll("li.endpoint:not([hidden])").length;
      var all = Number(details.dataset.total);
      details.hidden = visible === 0;
      details.querySelector(":scope > summary > .count").textContent =
        (visible === all ? all : visible + " of " + all) + " endpoint" + (all === 1 ? "" : "s");
    });
    var showing = document.getElementById("showing");
    showing.textContent = "Showing " + shown + " of " + endpoints.length + " endpoints";
    showing.dataset.shown = String(shown);
    writeState(state);
  }

  // -- start -------------------------------------------------------------------------------------

  var state = readState();
  buildCheckboxes(document.getElementById("status-filter"), "status", STATUSES, state.status);
  buildCheckboxes(document.getElementById("kind-filter"), "kind", KINDS, state.kind);
  var search = document.getElementById("search");
  search.value = state.q;

  var tree = document.getElementById("tree");
  if (!endpoints.length) {
    tree.appendChild(el("p", { "class": "empty" }, "No Server Actions or route handlers found."));
  } else {
    var root = buildTree();
    root.order.forEach(function (label) { tree.appendChild(renderNode(root.children[label])); });
  }
  document.getElementById("action-id-note").textContent = data.actionIdNote;
  document.getElementById("ownership-note").textContent = data.ownershipNote;
  document.getElementById("generator").textContent = "nextguard " + data.version;

  document.getElementById("filters").addEventListener("change", apply);
  search.addEventListener("input", apply);
  window.addEventListener("hashchange", function () {
    var next = readState();
    document.querySelectorAll('input[name="status"]').forEach(function (box) {
      box.checked = next.status.indexOf(box.value) !== -1;
    });
    document.querySelectorAll('input[name="kind"]').forEach(function (box) {
      box.checked = next.kind.indexOf(box.value) !== -1;
    });
    search.value = next.q;
    apply();
  });
  apply();
})();
