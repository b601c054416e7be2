// "Where the bytes are": a blob's shards drawn on the nodes that hold
// them, and listed one per row.
import * as api from "./api.js";
import { h, size, table } from "./ui.js";

// blobsOf turns /files/{id}/info into a list of blobs with their shards:
// one for a plain blob, one per part for a multipart object.
function blobsOf(info) {
  if (info.parts && info.parts.length) {
    return info.parts.map((p, i) => ({ label: `part ${i + 1} (blob ${p.file_id})`, ...p }));
  }
  return [{ label: `blob ${info.file_id}`, ...info }];
}

async function knownNodes() {
  try {
    const c = await api.gateway("GET", "/admin/cluster");
    return c.nodes.map((n) => ({ id: n.id, name: n.name || n.address, address: n.address, status: n.status }));
  } catch (_) {
    return null; // a key that may not see the cluster sees only the nodes its shards are on
  }
}

// lossOf says what losing node n would cost: a blob stays readable while
// it keeps as many stored shards as it has data shards (six), counting
// shards already missing elsewhere.
function lossOf(n, blobs) {
  let lost = 0;
  for (const b of blobs) {
    const stored = (b.chunks || []).filter((c) => c.status === "stored");
    const left = stored.filter((c) => c.server_id !== n.id).length;
    if (left < (b.data_shards || 6)) lost++;
  }
  if (lost) return { ok: false, text: `its loss: ${lost} of ${blobs.length} blob(s) unreadable until healed` };
  return { ok: true, text: "its loss: all still readable" };
}

export async function shardMap(fileId) {
  const [info, nodes] = await Promise.all([api.gateway("GET", `/files/${encodeURIComponent(fileId)}/info`), knownNodes()]);
  const blobs = blobsOf(info);
  const byNode = new Map();
  for (const n of nodes || []) byNode.set(n.id, { ...n, shards: [] });
  for (const b of blobs) {
    for (const c of b.chunks || []) {
      if (!byNode.has(c.server_id)) byNode.set(c.server_id, { id: c.server_id, name: c.server_address, address: c.server_address, shards: [] });
      byNode.get(c.server_id).shards.push(c);
    }
  }
  const map = h("div", { class: "nodes", id: "shard-nodes" }, [...byNode.values()].map((n) => ({ n, loss: lossOf(n, blobs) })).map(({ n, loss }) =>
    h("div", { class: "node", "data-node": n.address, "data-loss": loss.ok ? "ok" : "lost" },
      h("h4", {}, n.name, n.status ? h("span", { class: "muted state-" + n.status }, " · " + n.status) : ""),
      h("div", { class: "loss " + (loss.ok ? "state-stored" : "state-missing") }, loss.text),
      n.shards.length ? n.shards.map((c) => h("span", {
        class: "shard " + c.role + (c.status !== "stored" ? " bad" : ""),
        title: `${c.role} shard ${c.number}, ${size(c.size)}, ${c.status}`,
      }, String(c.number))) : h("span", { class: "muted" }, "none"))));
  const sections = blobs.map((b) => h("div", {},
    h("h4", {}, b.label, h("span", { class: "muted" },
      b.block_size ? ` · ${b.data_shards}+${b.parity_shards} shards, ${size(b.block_size)} blocks` : " · six chunks, written before parity")),
    table([["#"], ["Role"], ["Node"], ["Size", "num"], ["Hash"], ["State"]],
      (b.chunks || []).map((c) => h("tr", { class: "shard-row" },
        h("td", {}, String(c.number)), h("td", {}, c.role), h("td", {}, c.server_address),
        h("td", { class: "num" }, size(c.size)), h("td", {}, h("code", {}, c.hash)),
        h("td", { class: "state-" + c.status }, c.status))))));
  return h("section", { class: "card", id: "shards" },
    h("h3", {}, "Where the bytes are"),
    h("p", { class: "muted" }, `${blobs.length} blob(s), ${blobs.reduce((n, b) => n + (b.chunks || []).length, 0)} shards on ${[...byNode.values()].filter((n) => n.shards.length).length} node(s).`),
    map, sections);
}
