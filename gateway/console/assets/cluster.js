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

const trafficEvery = 2000;
const historyLength = 60;

// sparkline draws rates (bytes/s) as a line scaled to its own peak.
function sparkline(values) {
  const ns = "http://www.w3.org/2000/svg";
  const w = 240, ht = 40;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${ht}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("preserveAspectRatio", "none");
  const peak = Math.max(1, ...values);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", values.map((v, i) =>
    `${(i * w) / (historyLength - 1)},${ht - 2 - ((ht - 4) * v) / peak}`).join(" "));
  svg.append(line);
  return svg;
}

// trafficPanel shows the gateway's throughput: rates between two readings
// of its own counters, a line of the last two minutes, and the totals.
function trafficPanel() {
  const el = h("div", { class: "card", id: "traffic" }, h("strong", {}, "Throughput: "), "measuring…");
  const history = [];
  let last = null;
  async function poll() {
    const t = await api.call("GET", "/traffic");
    let rate = null;
    if (last) {
      const dt = (Date.parse(t.at) - Date.parse(last.at)) / 1000;
      if (dt > 0) {
        rate = { in: (t.bytes_in - last.bytes_in) / dt, out: (t.bytes_out - last.bytes_out) / dt, req: (t.requests - last.requests) / dt };
        history.push(rate.in + rate.out);
        if (history.length > historyLength) history.shift();
      }
    }
    last = t;
    el.dataset.bytesIn = String(t.bytes_in);
    el.dataset.bytesOut = String(t.bytes_out);
    el.replaceChildren(
      h("div", { class: "row" }, h("strong", {}, "Throughput"),
        rate ? h("span", { id: "traffic-rate" }, `in ${size(rate.in)}/s · out ${size(rate.out)}/s · ${rate.req.toFixed(1)} req/s`)
          : h("span", { class: "muted" }, "measuring…"),
        h("span", {}, `${t.active_uploads} upload(s), ${t.active_downloads} download(s) in progress`)),
      sparkline(Array(historyLength - history.length).fill(0).concat(history)),
      h("div", { class: "muted", id: "traffic-totals" },
        `This gateway since it started: ${size(t.bytes_in)} in, ${size(t.bytes_out)} out, ${t.requests.toLocaleString()} requests`));
  }
  return { el, poll };
}

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
    return { node: h("p", { class: "error", id: "cluster-refused" }, "This key may not see the cluster.") };
  }
  const traffic = trafficPanel();
  const pollTraffic = () => traffic.poll().catch(fail);
  await pollTraffic();
  const timers = [setInterval(refresh, refreshEvery), setInterval(pollTraffic, trafficEvery)];
  return { node: h("div", {}, h("h2", {}, "Cluster"), traffic.el, body), stop: () => timers.forEach(clearInterval) };
}
