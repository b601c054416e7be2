// The console's calls: its own small API (session, presign) and, through
// it, the gateway's doors under the signed-in key.

let csrf = "";

export class APIError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

async function jsonError(res) {
  try {
    const body = await res.json();
    if (body && body.error) return new APIError(res.status, body.error.code, body.error.message);
  } catch (_) { /* not JSON */ }
  return new APIError(res.status, "", `HTTP ${res.status}`);
}

// call is a console API request; it adds the CSRF token to anything that
// changes state.
export async function call(method, path, body) {
  const headers = {};
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/console/api" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await jsonError(res);
  if (res.status === 204) return null;
  return res.json();
}

export async function login(accessKey, secret) {
  const s = await call("POST", "/login", { access_key: accessKey, secret });
  csrf = s.csrf_token;
  return s;
}

export async function session() {
  const s = await call("GET", "/session");
  csrf = s.csrf_token;
  return s;
}

export async function logout() {
  await call("POST", "/logout", {});
  csrf = "";
}

// presign returns a same-origin URL that makes one S3 request as the
// signed-in key.
// Headers the request will carry are signed with it.
export async function presign(method, bucket, key = "", query = {}, expiresSeconds = 300, headers = {}) {
  const r = await call("POST", "/presign", { method, bucket, key, query, headers, expires_seconds: expiresSeconds });
  return r.url;
}

function s3Error(status, text) {
  const doc = new DOMParser().parseFromString(text || "<x/>", "application/xml");
  const code = doc.querySelector("Error > Code")?.textContent || "";
  const msg = doc.querySelector("Error > Message")?.textContent || "";
  return new APIError(status, code, msg ? `${code}: ${msg}` : `HTTP ${status}`);
}

// s3 makes one S3 request and returns the Response; S3 errors are thrown.
export async function s3(method, bucket, key = "", query = {}, body, headers = {}) {
  const url = await presign(method, bucket, key, query, 300, headers);
  const res = await fetch(url, { method, body, headers, credentials: "omit" });
  if (!res.ok) throw s3Error(res.status, method === "HEAD" ? "" : await res.text());
  return res;
}

export async function s3XML(method, bucket, key, query, body) {
  const res = await s3(method, bucket, key, query, body);
  return new DOMParser().parseFromString(await res.text(), "application/xml");
}

export function text(el, sel) {
  return el.querySelector(sel)?.textContent ?? "";
}

export async function listBuckets() {
  const doc = await s3XML("GET", "");
  return [...doc.querySelectorAll("Buckets > Bucket")].map((b) => ({
    name: text(b, "Name"), created: text(b, "CreationDate"),
  }));
}

// listObjects is one page of ListObjectsV2.
export async function listObjects(bucket, { prefix = "", delimiter = "/", token = "", maxKeys = 1000 } = {}) {
  const q = { "list-type": "2", "max-keys": String(maxKeys), prefix };
  if (delimiter) q.delimiter = delimiter;
  if (token) q["continuation-token"] = token;
  const doc = await s3XML("GET", bucket, "", q);
  return {
    folders: [...doc.querySelectorAll("CommonPrefixes > Prefix")].map((p) => p.textContent),
    objects: [...doc.querySelectorAll("Contents")].map((c) => ({
      key: text(c, "Key"), size: Number(text(c, "Size")), modified: text(c, "LastModified"), etag: text(c, "ETag"),
    })),
    next: text(doc, "NextContinuationToken"),
    truncated: text(doc, "IsTruncated") === "true",
  };
}

// gateway calls the /files and /admin doors through the console.
export const gateway = (method, path, body) => call(method, path, body);
