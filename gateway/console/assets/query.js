// A metadata query box: the gateway's search (GET /files?q= for uploads,
// GET /files/search?bucket=&q= for a bucket's objects), its hits a page of
// 100 at a time, and the parser's own account of a query it cannot read.
import * as api from "./api.js";
import { h, size, when, table } from "./ui.js";

const pageSize = 100;

// queryBox returns the form and a result area. path(q, cursor) is the
// search URL; row(hit) draws one hit; onClear hands the view back.
export function queryBox({ path, row, columns, placeholder, onActive }) {
  const input = h("input", { type: "search", id: "meta-query", placeholder, "aria-label": "Metadata query", class: "grow" });
  const error = h("p", { class: "error", id: "query-error", role: "alert" });
  const out = h("div", { id: "query-results" });
  let cursor = "";
  async function run(more) {
    error.textContent = "";
    const q = input.value.trim();
    if (!q) { clear(); return; }
    try {
      const res = await api.gateway("GET", path(q, more ? cursor : ""));
      cursor = res.next_cursor || "";
      const rows = res.files.map(row);
      const body = more ? out.querySelector("tbody") : null;
      if (body) body.append(...rows);
      else out.replaceChildren(rows.length ? table(columns, rows) : h("p", { class: "muted", id: "query-empty" }, "Nothing matches."));
      out.querySelector("#query-more")?.remove();
      if (cursor) out.append(h("button", { type: "button", id: "query-more", onclick: () => run(true) }, "More results"));
      onActive(true);
    } catch (err) {
      error.textContent = err.status === 400 ? err.message : "Search failed: " + err.message;
    }
  }
  function clear() {
    input.value = "";
    error.textContent = "";
    out.replaceChildren();
    onActive(false);
  }
  const form = h("form", { class: "row", id: "meta-query-form", onsubmit: (e) => { e.preventDefault(); run(false); } },
    input, h("button", { type: "submit", id: "meta-query-submit" }, "Find"),
    h("button", { type: "button", onclick: clear }, "Clear"));
  return { node: h("div", {}, form, error, out) };
}

// objectQuery searches one bucket's objects, linking hits to their details.
export function objectQuery(bucket, objectHref, onActive) {
  return queryBox({
    placeholder: 'Find by metadata: metadata.colour = "blue" AND size > 1MiB',
    path: (q, cursor) => `/files/search?bucket=${encodeURIComponent(bucket)}&limit=${pageSize}&q=${encodeURIComponent(q)}` +
      (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""),
    columns: [["Key"], ["Size", "num"], ["Type", "opt"], ["Created", "opt"]],
    row: (f) => h("tr", { "data-hit": f.key },
      h("td", { class: "name" }, h("a", { href: objectHref(bucket, f.key) }, f.key)),
      h("td", { class: "num" }, size(f.size)), h("td", { class: "opt" }, f.content_type), h("td", { class: "opt" }, when(f.created_at))),
    onActive,
  });
}
