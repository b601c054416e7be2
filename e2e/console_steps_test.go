package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// throttleUploads caps what the page sends to bytesPerSecond (0 lifts
// the cap), so an upload lasts long enough to be watched and cancelled.
func throttleUploads(bytesPerSecond float64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		cond := []*network.Conditions{}
		if bytesPerSecond > 0 {
			cond = append(cond, &network.Conditions{UploadThroughput: bytesPerSecond, DownloadThroughput: -1})
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: cond})
		return chromedp.Void{}, err
	}
}

// uploadRow reads one upload's row in the page.
func (b *browser) uploadRow(name string) progressState {
	b.t.Helper()
	return value(b, "upload row "+name, chromedp.Evaluate[progressState](fmt.Sprintf(`(() => { const r = document.querySelector('#uploads .up[data-file=%q]');
		return r ? { state: r.dataset.state, value: r.querySelector("progress").value, max: r.querySelector("progress").max,
		         pct: r.querySelector(".pct").textContent, rate: r.querySelector(".rate").textContent } : { state: "absent" }; })()`, name)))
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// consoleCancelUpload starts a multipart upload at a throttled pace,
// watches its bar move with a speed and time left, cancels it, and checks
// that nothing of it stays: no object, no multipart upload.
func consoleCancelUpload(t *testing.T, b *browser, e *s3Env, bucket string) {
	const size = 24 << 20
	file := writeFile(t, "cancel-me.bin", randomBytes(78, size))
	b.run("throttle", throttleUploads(4<<20))
	defer b.run("unthrottle", throttleUploads(0))
	b.run("pick file to cancel", chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), []string{file}))
	var st progressState
	for {
		st = b.uploadRow("cancel-me.bin")
		if st.State == "done" || st.State == "failed" {
			t.Fatalf("upload meant to be cancelled ended %s: %+v", st.State, st)
		}
		if st.State == "uploading" && st.Value >= 2<<20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(st.Rate, "/s") || !strings.Contains(st.Rate, "left") || st.Pct == "100%" {
		t.Fatalf("upload under way shows %q %q; want a part done, a speed and the time left", st.Pct, st.Rate)
	}
	b.screenshot("03a-upload-in-progress")
	b.run("cancel", click(`#uploads .up[data-file="cancel-me.bin"] .cancel`))
	b.waitJS("cancelled", `document.querySelector('#uploads .up[data-file="cancel-me.bin"]').dataset.state === "cancelled"`)
	if got := b.text(`#uploads .up[data-file="cancel-me.bin"] .rate`); got != "cancelled" {
		t.Fatalf("cancelled upload says %q", got)
	}
	eventually(t, time.Minute, "the cancelled multipart upload to be aborted on the server", func() bool {
		out, err := e.s3.ListMultipartUploads(e.ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		return len(out.Uploads) == 0
	})
	_, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cancel-me.bin")})
	if s3Status(err) != http.StatusNotFound {
		t.Fatalf("HEAD of the cancelled object: %v; want 404", err)
	}
}

// consoleManyAtOnce uploads several files in one pick, then selects them
// all and deletes them together.
func consoleManyAtOnce(t *testing.T, b *browser, e *s3Env, bucket string) {
	names := []string{"many-1.txt", "many-2.txt", "many-3.txt"}
	var paths []string
	for i, n := range names {
		paths = append(paths, writeFile(t, n, randomBytes(uint64(90+i), int64(1000*(i+1)))))
	}
	b.run("pick several", chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), paths))
	for _, n := range names {
		b.waitJS(n+" uploaded", fmt.Sprintf(`document.querySelector('#uploads .up[data-file=%q]')?.dataset.state === "done"`, n))
	}
	for _, n := range names {
		b.waitJS(n+" listed", fmt.Sprintf(`document.querySelector('tr[data-key=%q] input[type=checkbox]') !== null`, n))
		b.run("select "+n, click(fmt.Sprintf(`tr[data-key=%q] input[type=checkbox]`, n)))
	}
	b.run("delete selected", click("#delete-selected"), visible("#confirm-ok"))
	if msg := b.text("#confirm-text"); !strings.Contains(msg, "3 object(s)") || !strings.Contains(msg, "many-2.txt") {
		t.Fatalf("confirmation %q does not say what is lost", msg)
	}
	b.run("confirm", click("#confirm-ok"))
	b.waitJS("all three gone", `document.querySelectorAll('tr[data-key^="many-"]').length === 0`)
	for _, n := range names {
		if _, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(n)}); s3Status(err) != http.StatusNotFound {
			t.Fatalf("HEAD %s after deleting it in the console: %v; want 404", n, err)
		}
	}
}

// browserKeys reads the keys and folders the browser lists on this page.
func (b *browser) browserKeys() (keys, folders []string) {
	b.t.Helper()
	keys = value(b, "listed keys", chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-key]")].map(r => r.dataset.key)`))
	folders = value(b, "listed folders", chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-folder]")].map(r => r.dataset.folder)`))
	return keys, folders
}

// consolePages lists a bucket of 2,100 keys and a folder one page of
// 1,000 at a time, forwards and back, then sorts, searches by prefix and
// opens the folder.
func consolePages(t *testing.T, b *browser, e *s3Env, base string) {
	bucket := e.bucket(t, "console-pages")
	var want []string
	for i := range 2100 {
		want = append(want, fmt.Sprintf("k%05d", i))
	}
	inFolder := []string{"dir/a", "dir/b"}
	start := time.Now()
	putKeys(t, e, bucket, append(slices.Clone(want), inFolder...), 16)
	t.Logf("stored %d keys in %s", len(want)+len(inFolder), time.Since(start).Round(time.Millisecond))
	defer func() {
		deleteAll(t, e, bucket, append(slices.Clone(want), inFolder...))
		if _, err := e.s3.DeleteBucket(e.ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("DeleteBucket: %v", err)
		}
	}()

	b.run("open big bucket", chromedp.Navigate(base+"/console/#/b/"+bucket+"/"), visible("#page-status"))
	b.waitJS("page 1", `document.querySelector("#page-status").textContent.startsWith("Page 1")`)
	var seen []string
	var pageSizes []int
	for page := 1; ; page++ {
		keys, folders := b.browserKeys()
		seen = append(seen, keys...)
		pageSizes = append(pageSizes, len(keys)+len(folders))
		if page == 1 && !slices.Equal(folders, []string{"dir/"}) {
			t.Fatalf("page 1 folders %v; want [dir/]", folders)
		}
		if value(b, "next disabled", chromedp.Evaluate[bool](`document.querySelector("#next-page").disabled`)) {
			break
		}
		if page == 5 {
			t.Fatal("more than 5 pages for 2,101 entries")
		}
		b.run("next page", click("#next-page"))
		b.waitJS(fmt.Sprintf("page %d", page+1), fmt.Sprintf(`document.querySelector("#page-status").textContent.startsWith("Page %d")`, page+1))
	}
	if !slices.Equal(seen, want) || len(pageSizes) != 3 || pageSizes[0] > 1000 || pageSizes[1] > 1000 {
		t.Fatalf("pages of %v entries listed %d keys; want the 2,100 in order, at most 1,000 a page, over 3 pages", pageSizes, len(seen))
	}
	b.screenshot("06-last-page")
	b.run("previous page", click("#prev-page"))
	b.waitJS("back on page 2", `document.querySelector("#page-status").textContent.startsWith("Page 2")`)
	if keys, _ := b.browserKeys(); len(keys) == 0 || keys[0] != seen[pageSizes[0]-1] {
		t.Fatalf("page 2 again starts at %v; want %s", keys[:min(1, len(keys))], seen[pageSizes[0]-1])
	}
	b.run("sort by name, descending", click(`button[data-sort="name"]`))
	if keys, _ := b.browserKeys(); keys[0] != seen[pageSizes[0]+pageSizes[1]-2] {
		t.Fatalf("page 2 sorted descending starts at %s; want its last key %s", keys[0], seen[pageSizes[0]+pageSizes[1]-2])
	}
	b.run("search", chromedp.SendKeys(chromedp.CSS("#search"), "k0209"))
	b.waitJS("search results", `document.querySelectorAll("tr[data-key]").length === 10 && document.querySelector("#page-status").textContent.startsWith("Page 1")`)
	if keys, _ := b.browserKeys(); !slices.Contains(keys, "k02099") || !slices.Contains(keys, "k02090") {
		t.Fatalf("search k0209 lists %v", keys)
	}
	// The search does not change the address; a reload shows the bucket
	// again, the session surviving it.
	b.run("open folder", chromedp.Reload(), visible(`tr[data-folder="dir/"] a`),
		click(`tr[data-folder="dir/"] a`))
	b.waitJS("folder listing", `document.querySelectorAll("tr[data-key]").length === 2 && document.querySelector("#crumbs").textContent.includes("dir")`)
	if keys, _ := b.browserKeys(); !slices.Equal(keys, inFolder) {
		t.Fatalf("folder dir/ lists %v; want %v", keys, inFolder)
	}
}

// consoleFilesView stores a file through /files and finds it in the
// console's Files page with its metadata JSON and its shards.
func consoleFilesView(t *testing.T, b *browser, c *client, base string) {
	data := randomBytes(79, 300<<10)
	resp, up := c.formUpload("through-files.bin", strings.NewReader(string(data)), int64(len(data)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /files: %d", resp.StatusCode)
	}
	defer c.delete(up.FileID)
	b.run("files page", chromedp.Navigate(base+"/console/#/files"),
		visible(fmt.Sprintf(`tr[data-file-id=%q] a`, up.FileID)), click(fmt.Sprintf(`tr[data-file-id=%q] a`, up.FileID)),
		visible("#file-json"), visible("#shards"))
	meta := b.text("#file-json")
	for _, want := range []string{up.FileID, `"filename": "through-files.bin"`, up.Checksum, `"size": 307200`} {
		if !strings.Contains(meta, want) {
			t.Fatalf("metadata JSON lacks %s:\n%s", want, meta)
		}
	}
	if n := b.count("#shards .shard-row"); n != 8 {
		t.Fatalf("shard map of a /files blob lists %d shards; want 8 (6 data + 2 parity)", n)
	}
	b.screenshot("07-files")
}

// consoleObjectMetadata stores an object with user metadata and a SHA-256
// checksum, and finds both in its details.
func consoleObjectMetadata(t *testing.T, b *browser, e *s3Env, base, bucket string) {
	_, err := e.s3.PutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("notes/with-meta.txt"),
		Body: strings.NewReader("hello, console"), ContentType: aws.String("text/plain"),
		Metadata: map[string]string{"colour": "blue"}, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	b.run("open with-meta details", chromedp.Navigate(base+"/console/#/b/"+bucket+"/notes/"),
		visible(`tr[data-key="notes/with-meta.txt"] a`), click(`tr[data-key="notes/with-meta.txt"] a`),
		visible("#object-details"))
	details := b.text("#object-details dl")
	for _, want := range []string{"meta: colour", "blue", "text/plain", "SHA256", "14 bytes"} {
		if !strings.Contains(details, want) {
			t.Fatalf("object details lack %q:\n%s", want, details)
		}
	}
	if crumbs := b.text("#crumbs"); !strings.Contains(crumbs, "notes") {
		t.Fatalf("breadcrumbs %q do not name the folder", crumbs)
	}
	// The gateway's metadata search finds it from the bucket's page, and
	// a query it cannot read is answered with where it went wrong.
	b.run("metadata query", goHash("#/b/"+bucket+"/"), visible("#meta-query"),
		chromedp.SendKeys(chromedp.CSS("#meta-query"), `metadata.colour = "blue"`), click("#meta-query-submit"))
	b.waitJS("query hit", `document.querySelector('tr[data-hit="notes/with-meta.txt"]') !== null`)
	if n := b.count("tr[data-hit]"); n != 1 {
		t.Fatalf("metadata.colour = \"blue\" shows %d hits; want 1", n)
	}
	b.screenshot("03b-metadata-query")
	b.run("bad query", chromedp.SendKeys(chromedp.CSS("#meta-query"), " AND size >"), click("#meta-query-submit"))
	b.waitJS("query error", `document.querySelector("#query-error").textContent.includes("at position")`)
	b.run("open hit", click(`tr[data-hit="notes/with-meta.txt"] a`), visible("#object-details"))
	b.run("delete with-meta", click("#delete-object"), visible("#confirm-ok"), click("#confirm-ok"), visible("#empty"))
}
