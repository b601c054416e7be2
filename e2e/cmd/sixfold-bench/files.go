package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// filesClient speaks sixfold's own REST door, /files, with HTTP Basic auth.
type filesClient struct {
	base        string
	user, pass  string
	http        *http.Client
	copyBufSize int
}

// stored is what a /files upload answers.
type stored struct {
	FileID   string `json:"file_id"`
	Size     int64  `json:"size"`
	Checksum string `json:"checksum"` // hex SHA-256
}

func (f *filesClient) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, f.base+path, body)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(f.user, f.pass)
	return req, nil
}

// upload sends body (size bytes, with that Content-Length) as one blob.
func (f *filesClient) upload(ctx context.Context, name string, body io.Reader, size int64) (stored, error) {
	req, err := f.request(ctx, http.MethodPost, "/files?filename="+url.QueryEscape(name), body)
	if err != nil {
		return stored{}, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	var out stored
	return out, f.do(req, http.StatusCreated, &out)
}

// download streams the blob id into w.
func (f *filesClient) download(ctx context.Context, id string, w io.Writer) (int64, error) {
	req, err := f.request(ctx, http.MethodGet, "/files/"+id, nil)
	if err != nil {
		return 0, err
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, statusError(req, resp)
	}
	// A large buffer: the body reader then reads straight into it, in far
	// fewer calls than io.Copy's 32 KiB.
	return io.CopyBuffer(w, resp.Body, make([]byte, f.copyBufSize))
}

func (f *filesClient) delete(ctx context.Context, id string) error {
	req, err := f.request(ctx, http.MethodDelete, "/files/"+id, nil)
	if err != nil {
		return err
	}
	return f.do(req, http.StatusNoContent, nil)
}

// chunk is one shard of a blob as GET /files/{id}/info lists it.
type chunk struct {
	Role          string `json:"role"` // "data" or "parity"
	ServerAddress string `json:"server_address"`
}

// chunks lists where the shards of blob (or S3 object) id live.
func (f *filesClient) chunks(ctx context.Context, id string) ([]chunk, error) {
	req, err := f.request(ctx, http.MethodGet, "/files/"+id+"/info", nil)
	if err != nil {
		return nil, err
	}
	var info struct {
		Chunks []chunk `json:"chunks"`
	}
	return info.Chunks, f.do(req, http.StatusOK, &info)
}

// do sends req, wants status, and decodes a JSON answer into out (unless nil).
func (f *filesClient) do(req *http.Request, status int, out any) error {
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		return statusError(req, resp)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func statusError(req *http.Request, resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("%s %s: %s %s", req.Method, req.URL.Path, resp.Status, msg)
}
