// The cluster: nodes, space, shard counts, healing; maintenance and drain
// for keys the gateway lets do them.
import * as api from "./api.js";
import { h, size, when, toast, fail, confirmDelete, table } from "./ui.js";

const refreshEvery = 5000;

async function setStatus(node, status) {
  if (status === "draining" && !await confirmDelete(`Drain ${node.name || node.address}? Every shard on it will be moved to other nodes, then it leaves the cluster.`)) return;
  try {
    await api.gateway("PUT", `/admin/nodes/${node.id}/status`, { status });
    toast(`${node.name || node.address} is now ${status}`);
  } catch (err) { fail(err); }
}

function nodeRow(n) {
  const used = n.capacity_bytes ? n.capacity_bytes - n.available_bytes : 0;
  const actions = ["active", "maintenance", "draining"].filter((s) => s !== n.status && n.status !== "removed")
    .map((s) => h("button", { type: "button", "data-action": s, onclick: async () => { await setStatus(n, s); refresh(); } },
      s === "active" ? "Activate" : s === "maintenance" ? "Maintenance" : "Drain"));
  return h("tr", { "data-node": n.address },
    h("td", { class: "name" }, n.name || n.address, h("div", { class: "muted" }, n.address)),
    h("td", { class: "state-" + n.status }, n.status),
    h("td", { class: "num" }, n.heartbeat_age_seconds.toFixed(0) + " s"),
    h("td", { class: "num" }, size(used) + " / " + size(n.capacity_bytes)),
    h("td", { class: "num opt" }, size(n.available_bytes)),
    h("td", { class: "num" }, (n.chunk_count ?? 0).toLocaleString()),
    h("td", { class: "num opt" }, ((n.ring_share || 0) * 100).toFixed(1) + "%"),
    h("td", {}, actions));
}

let refresh = () => {};

export async function clusterView() {
  const body = h("div", {});
  const draw = (c) => {
    const t = c.totals, heal = c.heal;
    body.replaceChildren(
      h("div", { class: "card row", id: "cluster-totals" },
        h("span", {}, `${t.active_nodes} of ${t.nodes} nodes active`),
        h("span", {}, `${size(t.capacity_bytes - t.available_bytes)} used of ${size(t.capacity_bytes)}`),
        h("span", {}, `${(t.files ?? 0).toLocaleString()} files, ${(t.s3_objects ?? 0).toLocaleString()} S3 objects in ${t.s3_buckets ?? 0} buckets`),
        h("span", { class: "muted" }, "counts as of " + when(c.stats_as_of))),
      h("div", { class: "card", id: "heal" },
        h("strong", {}, "Healing: "),
        heal.shards_pending ? `${heal.shards_pending.toLocaleString()} shard(s) waiting to be rebuilt; ` : "nothing waiting; ",
        `${(heal.shards_healed ?? 0).toLocaleString()} shard(s), ${size(heal.bytes_healed)} rebuilt so far`,
        heal.failures ? `, ${heal.failures} failed attempt(s)` : "",
        heal.last_healed_at ? ` · last at ${when(heal.last_healed_at)}` : ""),
      table([["Node"], ["Status"], ["Heartbeat", "num"], ["Space used", "num"], ["Free", "num opt"], ["Shards", "num"], ["Ring", "num opt"], [""]],
        c.nodes.map(nodeRow)));
  };
  refresh = async () => {
    try { draw(await api.gateway("GET", "/admin/cluster")); } catch (err) { fail(err); }
  };
  try {
    draw(await api.gateway("GET", "/admin/cluster"));
  } catch (err) {
    if (err.status !== 403) throw err;
    document.getElementById("nav-cluster").hidden = true;
    return { node: h("p", { class: "error" }, "This key may not see the cluster.") };
  }
  const timer = setInterval(refresh, refreshEvery);
  return { node: h("div", {}, h("h2", {}, "Cluster"), body), stop: () => clearInterval(timer) };
}
