// The /files door's files: a paged list, and one file's metadata JSON and
// shard map.
import * as api from "./api.js";
import { h, size, when, toast, fail, confirmDelete, table } from "./ui.js";
import { shardMap } from "./shardmap.js";
import { queryBox } from "./query.js";

export async function filesView() {
  const cursors = [""];
  let page = 0;
  const body = h("div", {});
  const prev = h("button", { type: "button", id: "files-prev", onclick: () => go(page - 1) }, "‹ Previous");
  const next = h("button", { type: "button", id: "files-next", onclick: () => go(page + 1) }, "Next ›");
  async function go(p) {
    if (p < 0 || p >= cursors.length) return;
    try {
      const q = cursors[p] ? "&cursor=" + encodeURIComponent(cursors[p]) : "";
      const res = await api.gateway("GET", "/files?limit=100" + q);
      page = p;
      if (res.next_cursor) cursors[p + 1] = res.next_cursor;
      prev.disabled = p === 0;
      next.disabled = !res.next_cursor;
      body.replaceChildren(res.files.length ? table([["Name"], ["Size", "num"], ["Type", "opt"], ["Created", "opt"], ["Id", "opt"]],
        res.files.map((f) => h("tr", { "data-file-id": f.file_id },
          h("td", { class: "name" }, h("a", { href: "#/files/" + encodeURIComponent(f.file_id) }, f.filename || "(unnamed)")),
          h("td", { class: "num" }, size(f.size)), h("td", { class: "opt" }, f.content_type),
          h("td", { class: "opt" }, when(f.created_at)), h("td", { class: "opt" }, h("code", {}, f.file_id)))))
        : h("p", { class: "muted" }, "No files uploaded through /files."));
    } catch (err) { fail(err); }
  }
  await go(0);
  const listing = h("div", {}, body, h("div", { class: "row" }, prev, next));
  const query = queryBox({
    placeholder: 'Find by metadata: metadata.owner = "ann" AND size > 100000',
    path: (q, cursor) => `/files?limit=100&q=${encodeURIComponent(q)}` + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""),
    columns: [["Name"], ["Size", "num"], ["Type", "opt"], ["Created", "opt"]],
    row: (f) => h("tr", { "data-hit": f.file_id },
      h("td", { class: "name" }, h("a", { href: "#/files/" + encodeURIComponent(f.file_id) }, f.filename || "(unnamed)")),
      h("td", { class: "num" }, size(f.size)), h("td", { class: "opt" }, f.content_type), h("td", { class: "opt" }, when(f.created_at))),
    onActive: (active) => { listing.hidden = active; },
  });
  return { node: h("div", {}, h("h2", {}, "Files"),
    h("p", { class: "muted" }, "Files stored through the REST door (POST /files)."), query.node, listing) };
}

export async function fileView(id) {
  const info = await api.gateway("GET", `/files/${encodeURIComponent(id)}/info`);
  async function del() {
    if (!await confirmDelete(`Delete file “${info.filename}” (${size(info.size)})?`)) return;
    try {
      await api.gateway("DELETE", `/files/${encodeURIComponent(id)}`);
      toast("Deleted " + info.filename);
      location.hash = "#/files";
    } catch (err) { fail(err); }
  }
  const meta = { ...info };
  delete meta.chunks;
  delete meta.parts;
  return { node: h("div", {},
    h("nav", { class: "crumbs" }, h("a", { href: "#/files" }, "Files"), " / ", info.filename),
    h("section", { class: "card" },
      h("h2", { class: "name" }, info.filename),
      h("div", { class: "row" },
        h("a", { href: `/console/api/files/${encodeURIComponent(id)}`, download: info.filename, id: "file-download" }, "Download"),
        h("span", { class: "spacer" }), h("button", { type: "button", class: "danger", onclick: del }, "Delete")),
      h("h3", {}, "Metadata"), h("pre", { id: "file-json" }, JSON.stringify(meta, null, 2))),
    await shardMap(id)) };
}
