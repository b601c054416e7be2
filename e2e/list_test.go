package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"sixfold/e2e/harness"
)

// TestListFilesNewestFirstPaginated walks GET /files two at a time: every
// upload appears once, newest first, and the last page has no cursor.
func TestListFilesNewestFirstPaginated(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	var ids []string
	for i := range 5 {
		resp, up := c.rawUpload("l.bin", randomData(uint64(800+i), 100), 100)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload = %d", resp.StatusCode)
		}
		ids = append(ids, up.FileID)
	}
	var listed []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		resp := c.get("/files?limit=2&cursor=" + url.QueryEscape(cursor))
		var page struct {
			Files      []uploaded `json:"files"`
			NextCursor string     `json:"next_cursor"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /files = %d, %v", resp.StatusCode, err)
		}
		resp.Body.Close()
		if len(page.Files) > 2 {
			t.Fatalf("page of %d files; want at most 2", len(page.Files))
		}
		for _, f := range page.Files {
			listed = append(listed, f.FileID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(listed) != len(ids) {
		t.Fatalf("listed %d files; want %d", len(listed), len(ids))
	}
	for i, id := range listed {
		if want := ids[len(ids)-1-i]; id != want {
			t.Errorf("listed[%d] = %s; want %s (newest first)", i, id, want)
		}
	}
	if bad := c.get("/files?cursor=not-a-cursor"); bad.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /files with a forged cursor = %d; want 400", bad.StatusCode)
	}
}
