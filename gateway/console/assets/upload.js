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
    xhr.onabort = () => reject(new APIError(0, "Cancelled", "cancelled"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

// upload sends file to bucket/key, calling onProgress(bytesSent); abort
// through signal. A cancelled multipart upload is aborted on the server.
export async function upload(bucket, key, file, onProgress, signal) {
  if (file.size <= partSize) {
    const url = await presign("PUT", bucket, key);
    await put("PUT", url, file, onProgress, signal);
    return;
  }
  const init = await s3XML("POST", bucket, key, { uploads: "" });
  const uploadId = init.querySelector("UploadId").textContent;
  try {
    const etags = [];
    let done = 0;
    for (let n = 1, off = 0; off < file.size; n++, off += partSize) {
      if (signal.aborted) throw new APIError(0, "Cancelled", "cancelled");
      const part = file.slice(off, Math.min(off + partSize, file.size));
      const url = await presign("PUT", bucket, key, { partNumber: String(n), uploadId });
      const xhr = await put("PUT", url, part, (b) => onProgress(done + b), signal);
      etags.push(xhr.getResponseHeader("ETag"));
      done += part.size;
    }
    const body = "<CompleteMultipartUpload>" + etags.map((e, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("") + "</CompleteMultipartUpload>";
    await s3XML("POST", bucket, key, { uploadId }, body);
  } catch (err) {
    s3XML("DELETE", bucket, key, { uploadId }).catch(() => {});
    throw err;
  }
}
