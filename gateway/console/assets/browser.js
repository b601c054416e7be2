// The object browser of one bucket: folders by prefix, sorting, search,
// pages, uploads; and one object's details.
import * as api from "./api.js";
import { h, size, when, duration, toast, fail, confirmDelete, table } from "./ui.js";
import { upload, partSize } from "./upload.js";
import { deleteKeys } from "./buckets.js";
import { shardMap } from "./shardmap.js";
import { objectQuery } from "./query.js";

const pageSize = 1000;
const bucketHref = (b, prefix = "") => "#/b/" + encodeURIComponent(b) + "/" + encodeURIComponent(prefix);
const objectHref = (b, key) => "#/o/" + encodeURIComponent(b) + "/" + encodeURIComponent(key);

function crumbs(bucket, prefix) {
  const parts = prefix.split("/").filter(Boolean);
  const out = [h("a", { href: "#/buckets" }, "Buckets"), " / ", h("a", { href: bucketHref(bucket) }, bucket)];
  let acc = "";
  for (const p of parts) {
    acc += p + "/";
    out.push(" / ", h("a", { href: bucketHref(bucket, acc) }, p));
  }
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumbs", id: "crumbs" }, out);
}

export async function browserView(bucket, prefix) {
  const state = { search: "", tokens: [""], page: 0, sort: "name", dir: 1, listing: null };
  const selected = new Set();
  const body = h("div", {});
  const status = h("span", { class: "muted", id: "page-status" });
  const prev = h("button", { type: "button", id: "prev-page", onclick: () => go(state.page - 1) }, "‹ Previous");
  const next = h("button", { type: "button", id: "next-page", onclick: () => go(state.page + 1) }, "Next ›");
  const delSel = h("button", { type: "button", id: "delete-selected", class: "danger", disabled: true, onclick: deleteSelected }, "Delete selected");

  async function load() {
    state.listing = await api.listObjects(bucket, { prefix: prefix + state.search, token: state.tokens[state.page], maxKeys: pageSize });
    if (state.listing.truncated) state.tokens[state.page + 1] = state.listing.next;
    selected.clear();
    draw();
  }
  async function go(page) {
    if (page < 0 || page >= state.tokens.length) return;
    state.page = page;
    try { await load(); } catch (err) { fail(err); }
  }
  function sortBy(field) {
    state.dir = state.sort === field ? -state.dir : 1;
    state.sort = field;
    draw();
  }
  function draw() {
    const l = state.listing;
    const objs = [...l.objects].sort((a, b) => {
      const x = a[state.sort === "name" ? "key" : state.sort], y = b[state.sort === "name" ? "key" : state.sort];
      return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
    });
    const head = (title, field, cls) => [h("button", { type: "button", onclick: () => sortBy(field), "data-sort": field },
      title + (state.sort === field ? (state.dir > 0 ? " ▲" : " ▼") : "")), cls];
    const rows = [
      ...l.folders.map((f) => h("tr", { "data-folder": f }, h("td", {}),
        h("td", { class: "name" }, h("a", { href: bucketHref(bucket, f) }, "📁 " + f.slice(prefix.length))),
        h("td", { class: "num" }), h("td", { class: "opt" }))),
      ...objs.map((o) => h("tr", { "data-key": o.key },
        h("td", {}, h("input", { type: "checkbox", "aria-label": "Select " + o.key, onchange: (e) => {
          if (e.target.checked) selected.add(o.key); else selected.delete(o.key);
          delSel.disabled = selected.size === 0;
        } })),
        h("td", { class: "name" }, h("a", { href: objectHref(bucket, o.key) }, o.key.slice(prefix.length))),
        h("td", { class: "num" }, size(o.size)), h("td", { class: "opt" }, when(o.modified)))),
    ];
    prev.disabled = state.page === 0;
    next.disabled = !l.truncated;
    status.textContent = `Page ${state.page + 1} · ${l.folders.length} folder(s), ${l.objects.length} object(s)` + (l.truncated ? " · more on the next page" : "");
    delSel.disabled = true;
    body.replaceChildren(rows.length ? table([[""], head("Name", "name"), head("Size", "size", "num"), head("Last modified", "modified", "opt")], rows)
      : h("p", { class: "muted", id: "empty" }, state.search ? "No key starts with that." : "Nothing here yet."));
  }
  async function deleteSelected() {
    const keys = [...selected];
    if (!await confirmDelete(`Delete ${keys.length} object(s) from “${bucket}”? ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", …" : ""}`)) return;
    try {
      await deleteKeys(bucket, keys);
      toast(`Deleted ${keys.length} object(s)`);
      await load();
    } catch (err) { fail(err); }
  }
  let searchTimer;
  const search = h("input", { type: "search", id: "search", placeholder: "Search by prefix", "aria-label": "Search by prefix",
    oninput: (e) => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        state.search = e.target.value;
        state.tokens = [""];
        go(0);
      }, 250);
    } });

  await load();
  // While a metadata query shows its hits, the listing steps aside.
  const listing = h("div", {},
    h("div", { class: "row" }, search, h("span", { class: "spacer" }), delSel),
    body,
    h("div", { class: "row" }, prev, next, status));
  const query = objectQuery(bucket, objectHref, (active) => { listing.hidden = active; });
  const node = h("div", {},
    crumbs(bucket, prefix),
    uploader(bucket, prefix, () => load().catch(fail)),
    query.node,
    listing);
  return { node };
}

// uploader is the drop zone, the file picker and one progress row per
// file; at most three files go up at once.
function uploader(bucket, prefix, onDone) {
  const list = h("div", { class: "uploads", id: "uploads" });
  const queue = [];
  let running = 0;
  function add(files) {
    for (const f of files) queue.push(row(f));
    pump();
  }
  function pump() {
    while (running < 3 && queue.length) {
      const job = queue.shift();
      running++;
      job().finally(() => { running--; pump(); if (!running && !queue.length) onDone(); });
    }
  }
  function row(file) {
    const bar = h("progress", { max: file.size || 1, value: 0 });
    const pct = h("span", { class: "pct" }, "0%");
    const rate = h("span", { class: "rate muted" }, "waiting");
    const ctl = new AbortController();
    const cancel = h("button", { type: "button", class: "cancel", onclick: () => ctl.abort() }, "Cancel");
    const el = h("div", { class: "up", "data-file": file.name, "data-state": "waiting" },
      h("span", { class: "name" }, file.name + " · " + size(file.size) + (file.size > partSize ? " · multipart" : "")),
      bar, h("span", {}, pct, " ", rate), cancel);
    list.prepend(el);
    return async () => {
      const start = performance.now();
      el.dataset.state = "uploading";
      const progress = (sent) => {
        bar.value = sent;
        const secs = (performance.now() - start) / 1000;
        const speed = secs > 0 ? sent / secs : 0;
        pct.textContent = Math.floor((100 * sent) / (file.size || 1)) + "%";
        rate.textContent = `${size(speed)}/s · ${duration(speed ? (file.size - sent) / speed : Infinity)} left`;
      };
      try {
        await upload(bucket, prefix + file.name, file, progress, ctl.signal);
        bar.value = bar.max;
        pct.textContent = "100%";
        rate.textContent = "done in " + duration((performance.now() - start) / 1000);
        el.dataset.state = "done";
      } catch (err) {
        rate.textContent = err.code === "Cancelled" ? "cancelled" : "failed: " + err.message;
        el.dataset.state = err.code === "Cancelled" ? "cancelled" : "failed";
        if (err.status === 401) fail(err);
      }
      cancel.remove();
    };
  }
  const picker = h("input", { type: "file", multiple: true, id: "upload-input", "aria-label": "Choose files to upload",
    onchange: (e) => { add([...e.target.files]); e.target.value = ""; } });
  const drop = h("div", { class: "drop", id: "drop",
    ondragover: (e) => { e.preventDefault(); drop.classList.add("over"); },
    ondragleave: () => drop.classList.remove("over"),
    ondrop: (e) => { e.preventDefault(); drop.classList.remove("over"); add([...e.dataTransfer.files]); },
  }, "Drop files here to upload to ", h("code", {}, bucket + "/" + prefix), " or ", picker);
  return h("section", { class: "card" }, drop, list);
}

const expiries = [["1 hour", 3600], ["1 day", 86400], ["7 days", 604800], ["15 minutes", 900]];

export async function objectView(bucket, key) {
  // Checksums are answered only to a caller that asks for them.
  const head = await api.s3("HEAD", bucket, key, {}, undefined, { "x-amz-checksum-mode": "ENABLED" });
  const hd = head.headers;
  const meta = [...hd.entries()].filter(([k]) => k.startsWith("x-amz-meta-"));
  const sums = [...hd.entries()].filter(([k]) => k.startsWith("x-amz-checksum-"));
  const id = hd.get("x-sixfold-object-id");
  const name = key.split("/").pop();
  const dl = h("a", { id: "download", class: "button", download: name }, "Download");
  dl.href = await api.presign("GET", bucket, key, { "response-content-disposition": `attachment; filename="${name.replace(/["\\]/g, "_")}"` }, 900);
  const shareOut = h("div", { class: "share", id: "share" });
  const expiry = h("select", { id: "share-expiry", "aria-label": "Share link expiry" },
    expiries.map(([t, s]) => h("option", { value: String(s) }, t)));
  async function share() {
    try {
      const url = location.origin + await api.presign("GET", bucket, key, {}, Number(expiry.value));
      const input = h("input", { readonly: true, id: "share-url", value: url, onfocus: (e) => e.target.select() });
      shareOut.replaceChildren(h("label", {}, `Anyone with this link can download the object for ${expiry.selectedOptions[0].textContent}:`, input));
      input.focus();
    } catch (err) { fail(err); }
  }
  async function del() {
    if (!await confirmDelete(`Delete “${key}” (${size(Number(hd.get("content-length")))}) from “${bucket}”?`)) return;
    try {
      await api.s3("DELETE", bucket, key);
      toast(`Deleted ${key}`);
      const slash = key.lastIndexOf("/");
      location.hash = bucketHref(bucket, slash >= 0 ? key.slice(0, slash + 1) : "");
    } catch (err) { fail(err); }
  }
  const slash = key.lastIndexOf("/");
  const rows = [["Size", size(Number(hd.get("content-length"))) + ` (${hd.get("content-length")} bytes)`],
    ["Type", hd.get("content-type")], ["ETag", hd.get("etag")], ["Last modified", when(hd.get("last-modified"))],
    ["Object id", id || "—"], ...sums.map(([k, v]) => [k.slice(15).toUpperCase(), v]),
    ...meta.map(([k, v]) => ["meta: " + k.slice(11), v])];
  const node = h("div", {},
    crumbs(bucket, slash >= 0 ? key.slice(0, slash + 1) : ""),
    h("section", { class: "card", id: "object-details" },
      h("h2", { class: "name" }, name),
      h("dl", { class: "details" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v || "")])),
      h("div", { class: "row" }, dl, h("span", { class: "spacer" }),
        expiry, h("button", { type: "button", id: "share-create", onclick: share }, "Create share link"),
        h("button", { type: "button", class: "danger", id: "delete-object", onclick: del }, "Delete")),
      shareOut),
    id ? await shardMap(id).catch((err) => h("p", { class: "error" }, "Shard map: " + err.message)) : "");
  return { node };
}
