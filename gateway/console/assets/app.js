// The console's page: sign-in, then a hash-routed view per screen.
import * as api from "./api.js";
import { h, fail } from "./ui.js";
import { bucketsView } from "./buckets.js";
import { browserView, objectView } from "./browser.js";
import { filesView, fileView } from "./files.js";
import { clusterView } from "./cluster.js";

const $ = (id) => document.getElementById(id);
let stopView = null; // cleanup of the current view (timers)
let routeSeq = 0; // the latest route() call; an older one still loading must not draw over it

function showLogin(message = "") {
  $("top").hidden = true;
  $("nav-cluster").hidden = true;
  delete document.body.dataset.admin;
  $("view").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("access-key").focus();
}

function showApp(s) {
  $("login").hidden = true;
  $("top").hidden = false;
  $("view").hidden = false;
  $("who").textContent = s.access_key;
  // The Cluster page is for keys the /admin door admits; others do not
  // see its link (and are refused if they go there anyway).
  const admin = (yes) => { $("nav-cluster").hidden = !yes; document.body.dataset.admin = yes ? "yes" : "no"; };
  api.gateway("GET", "/admin/cluster").then(() => admin(true), (err) => admin(err.status !== 403));
  if (!location.hash || location.hash === "#/login") location.hash = "#/buckets";
  else route();
}


const routes = [
  [/^#\/buckets$/, () => bucketsView()],
  [/^#\/b\/([^/]+)\/?(.*)$/, (m) => browserView(decodeURIComponent(m[1]), decodeURIComponent(m[2] || ""))],
  [/^#\/o\/([^/]+)\/(.+)$/, (m) => objectView(decodeURIComponent(m[1]), decodeURIComponent(m[2]))],
  [/^#\/files$/, () => filesView()],
  [/^#\/files\/(.+)$/, (m) => fileView(decodeURIComponent(m[1]))],
  [/^#\/cluster$/, () => clusterView()],
];

async function route() {
  if ($("top").hidden) return;
  if (stopView) { stopView(); stopView = null; }
  const hash = location.hash || "#/buckets";
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", hash.startsWith("#/" + a.dataset.nav) ||
      (a.dataset.nav === "buckets" && /^#\/[bo]\//.test(hash)));
  }
  const view = $("view");
  const seq = ++routeSeq;
  for (const [re, render] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const out = await render(m);
      if (seq !== routeSeq) {
        if (out.stop) out.stop();
        return;
      }
      view.replaceChildren(out.node);
      stopView = out.stop || null;
    } catch (err) {
      if (seq !== routeSeq) return;
      view.replaceChildren(h("p", { class: "error", id: "view-error" }, err.message));
      fail(err);
    }
    return;
  }
  location.hash = "#/buckets";
}

async function onLogin(ev) {
  ev.preventDefault();
  const btn = $("login-submit");
  btn.disabled = true;
  $("login-error").textContent = "";
  try {
    const s = await api.login($("access-key").value.trim(), $("secret").value);
    $("secret").value = "";
    showApp(s);
  } catch (err) {
    $("login-error").textContent = err.status === 401 ? "Wrong access key or secret." : err.message;
    $("secret").select();
  } finally {
    btn.disabled = false;
  }
}

async function onSignOut() {
  try { await api.logout(); } catch (err) { if (err.status !== 401) { fail(err); return; } }
  if (stopView) { stopView(); stopView = null; }
  $("view").replaceChildren();
  location.hash = "#/login";
  showLogin("Signed out.");
}

async function start() {
  $("login-form").addEventListener("submit", onLogin);
  $("signout").addEventListener("click", onSignOut);
  window.addEventListener("hashchange", route);
  window.addEventListener("console:signedout", () => showLogin("Your session has ended; sign in again."));
  try {
    showApp(await api.session());
  } catch (err) {
    showLogin(err.status === 401 ? "" : err.message);
  }
}

start();
