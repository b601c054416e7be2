// Uploads straight to the S3 door with presigned URLs: one PUT for a small
// file, multipart for a large one. Parts are slices of the File, read by
// the browser as it sends them, so a 1 GiB file never sits in the tab's
// memory whole.
import { presign, s3XML, APIError } from "./api.js";

export const partSize = 8 * 1024 * 1024;

// put sends body with XMLHttpRequest (fetch reports no upload progress)
// and resolves to the XHR; onProgress gets bytes sent of this body.
function put(method, url, body, onProgress, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr);
      const doc = new DOMParser().parseFromString(xhr.responseText || "<x/>", "application/xml");
      const code = doc.querySelector("Error > Code")?.textContent || "";
      reject(new APIError(xhr.status, code, code ? `${code}: ${doc.querySelector("Error > Message")?.textContent || ""}` : `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new APIError(0, "NetworkError", "the connection failed"));
    xhr.onabort = () => reject(cancelled());
    if (signal.aborted) return reject(cancelled());
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

// partsAtOnce is how many parts of one file are in flight together: enough
// to keep the link busy between one part's end and the next one's start.
const partsAtOnce = 3;

const cancelled = () => new APIError(0, "Cancelled", "cancelled");

// upload sends file to bucket/key, calling onProgress(bytesSent); abort
// through signal. A cancelled or failed multipart upload is aborted on the
// server, so its parts do not linger.
export async function upload(bucket, key, file, onProgress, signal) {
  if (signal.aborted) throw cancelled();
  if (file.size <= partSize) {
    const url = await presign("PUT", bucket, key);
    await put("PUT", url, file, onProgress, signal);
    return;
  }
  const init = await s3XML("POST", bucket, key, { uploads: "" });
  const uploadId = init.querySelector("UploadId").textContent;
  // One part failing stops the others too.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const count = Math.ceil(file.size / partSize);
    const etags = new Array(count);
    const sent = new Array(count).fill(0);
    const report = () => onProgress(sent.reduce((a, b) => a + b, 0));
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        if (stop.signal.aborted) throw cancelled();
        const part = file.slice(i * partSize, Math.min((i + 1) * partSize, file.size));
        const url = await presign("PUT", bucket, key, { partNumber: String(i + 1), uploadId });
        const xhr = await put("PUT", url, part, (b) => { sent[i] = b; report(); }, stop.signal);
        sent[i] = part.size;
        report();
        etags[i] = xhr.getResponseHeader("ETag");
      }
    };
    await Promise.all(Array.from({ length: Math.min(partsAtOnce, count) }, () =>
      worker().catch((err) => { stop.abort(); throw err; })));
    const body = "<CompleteMultipartUpload>" + etags.map((e, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("") + "</CompleteMultipartUpload>";
    await s3XML("POST", bucket, key, { uploadId }, body);
  } catch (err) {
    s3XML("DELETE", bucket, key, { uploadId }).catch(() => {});
    throw signal.aborted ? cancelled() : err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
