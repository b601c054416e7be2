// Buckets: list with object counts and sizes, create, delete.
import * as api from "./api.js";
import { h, size, when, toast, fail, confirmDelete, table } from "./ui.js";

// countLimit bounds how many keys the list walks per bucket to count it;
// past that the count is shown as a lower bound.
const countLimit = 10000;

// usage counts a bucket's objects and bytes by listing it (S3 has no
// cheaper call), at most countLimit keys.
export async function usage(bucket, limit = countLimit) {
  let count = 0, bytes = 0, token = "";
  do {
    const page = await api.listObjects(bucket, { delimiter: "", token });
    for (const o of page.objects) { count++; bytes += o.size; }
    token = page.truncated ? page.next : "";
  } while (token && count < limit);
  return { count, bytes, more: Boolean(token) };
}

export function usageText(u) {
  return { count: (u.more ? "≥ " : "") + u.count.toLocaleString(), bytes: (u.more ? "≥ " : "") + size(u.bytes) };
}

async function deleteBucket(name) {
  let u;
  try { u = await usage(name, Infinity); } catch (err) { fail(err); return; }
  const lost = u.count === 0 ? "It is empty." :
    `Its ${u.count.toLocaleString()} object(s), ${size(u.bytes)} in all, will be deleted with it.`;
  if (!await confirmDelete(`Delete bucket “${name}”? ${lost} This cannot be undone.`)) return;
  try {
    let token = "";
    do {
      const page = await api.listObjects(name, { delimiter: "", token });
      await deleteKeys(name, page.objects.map((o) => o.key));
      token = page.truncated ? page.next : "";
    } while (token);
    await api.s3("DELETE", name);
    toast(`Deleted bucket ${name}`);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } catch (err) { fail(err); }
}

// deleteKeys deletes keys a few at a time. Each is its own DeleteObject,
// since DeleteObjects needs a Content-MD5 the browser cannot compute.
export async function deleteKeys(bucket, keys, onEach = () => {}) {
  const queue = [...keys];
  const worker = async () => {
    while (queue.length) {
      const key = queue.shift();
      await api.s3("DELETE", bucket, key);
      onEach(key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
}

async function createBucket(ev) {
  ev.preventDefault();
  const input = ev.target.elements.bucket;
  const name = input.value.trim();
  try {
    await api.s3("PUT", name);
    toast(`Created bucket ${name}`);
    location.hash = "#/b/" + encodeURIComponent(name) + "/";
  } catch (err) { fail(err); }
}

export async function bucketsView() {
  const buckets = await api.listBuckets();
  const rows = buckets.map((b) => {
    const count = h("td", { class: "num", "data-count": "" }, "…");
    const bytes = h("td", { class: "num" }, "…");
    usage(b.name).then((u) => {
      const t = usageText(u);
      count.textContent = t.count;
      bytes.textContent = t.bytes;
    }, () => { count.textContent = bytes.textContent = "—"; });
    return h("tr", { "data-bucket": b.name },
      h("td", { class: "name" }, h("a", { href: "#/b/" + encodeURIComponent(b.name) + "/" }, b.name)),
      count, bytes,
      h("td", { class: "opt" }, when(b.created)),
      h("td", {}, h("button", { type: "button", class: "delete-bucket", "aria-label": "Delete bucket " + b.name,
        onclick: () => deleteBucket(b.name) }, "Delete")));
  });
  const node = h("div", {},
    h("div", { class: "row" }, h("h2", {}, "Buckets"), h("span", { class: "spacer" }),
      h("form", { id: "create-bucket", class: "row", onsubmit: createBucket },
        h("input", { name: "bucket", id: "new-bucket", placeholder: "new-bucket-name", required: true,
          pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]", "aria-label": "New bucket name" }),
        h("button", { type: "submit", class: "primary", id: "create-bucket-submit" }, "Create bucket"))),
    rows.length ? table([["Name"], ["Objects", "num"], ["Size", "num"], ["Created", "opt"], [""]], rows)
      : h("p", { class: "muted" }, "No buckets yet."));
  return { node };
}
