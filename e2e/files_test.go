package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestRoundTripSizes(t *testing.T) {
	c := newClient(t, sharedCluster(t))
	for i, size := range []int64{0, 1, 5, 6, 7, 1<<20 + 3, 100 << 20} {
		for _, door := range []string{"form", "raw"} {
			if door == "raw" && size > 2<<20 {
				continue // the form door covers the large size; once is enough
			}
			t.Run(fmt.Sprintf("%s/%d", door, size), func(t *testing.T) {
				c.t = t
				seed := uint64(100 + i)
				var resp *http.Response
				var up uploaded
				if door == "form" {
					resp, up = c.formUpload("f.bin", randomData(seed, size), size)
				} else {
					resp, up = c.rawUpload("f.bin", randomData(seed, size), size)
				}
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("upload = %d: %s", resp.StatusCode, readAll(resp))
				}
				want := sha256Of(seed, size)
				if up.Checksum != want || up.Size != size || up.Filename != "f.bin" {
					t.Fatalf("upload = %+v; want size %d checksum %s", up, size, want)
				}
				got, n := c.download(up.FileID)
				if got != want || n != size {
					t.Fatalf("download = %d bytes sha256 %s; want %d bytes %s", n, got, size, want)
				}
			})
		}
	}
}

func TestChunkedTransferEncodingIsSpooled(t *testing.T) {
	c := newClient(t, sharedCluster(t))
	data := randomBytes(7, 3<<20+11)
	for _, door := range []string{"form", "raw"} {
		t.Run(door, func(t *testing.T) {
			c.t = t
			var req *http.Request
			if door == "form" {
				body, _, contentType := formBody(t, "file", "chunked.bin", bytes.NewReader(data), int64(len(data)))
				req, _ = http.NewRequest(http.MethodPost, c.base+"/files", io.NopCloser(body))
				req.Header.Set("Content-Type", contentType)
			} else {
				req, _ = http.NewRequest(http.MethodPost, c.base+"/files?filename=chunked.bin", io.NopCloser(bytes.NewReader(data)))
			}
			req.ContentLength = -1 // Transfer-Encoding: chunked
			resp, up := c.decodeUpload(c.do(req))
			if resp.StatusCode != http.StatusCreated || up.Checksum != sum(data) || up.Size != int64(len(data)) {
				t.Fatalf("upload = %d %+v; want 201 with checksum %s", resp.StatusCode, up, sum(data))
			}
			if got, _ := c.download(up.FileID); got != sum(data) {
				t.Fatalf("download sha256 %s; want %s", got, sum(data))
			}
		})
	}
}

func TestFormFieldsAndHeaders(t *testing.T) {
	c := newClient(t, sharedCluster(t))
	data := []byte("hello, sixfold\n")
	var body bytes.Buffer
	body.WriteString("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h\u00e9llo.txt\"\r\nContent-Type: text/plain\r\n\r\n")
	body.Write(data)
	body.WriteString("\r\n--XYZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"owner\":\"ann\"}\r\n--XYZ--\r\n")
	req, _ := http.NewRequest(http.MethodPost, c.base+"/files", &body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=XYZ")
	resp, up := c.decodeUpload(c.do(req))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d: %s", resp.StatusCode, readAll(resp))
	}
	if up.ContentType != "text/plain" || up.Filename != "h\u00e9llo.txt" {
		t.Errorf("upload = %+v; want text/plain h\u00e9llo.txt", up)
	}
	info := c.info(up.FileID)
	if string(info.Metadata) != `{"owner": "ann"}` && string(info.Metadata) != `{"owner":"ann"}` {
		t.Errorf("metadata = %s; want {\"owner\":\"ann\"}", info.Metadata)
	}
	get := c.get("/files/" + up.FileID)
	defer get.Body.Close()
	got, _ := io.ReadAll(get.Body)
	h := get.Header
	if !bytes.Equal(got, data) || h.Get("Content-Type") != "text/plain" || h.Get("Content-Length") != strconv.Itoa(len(data)) ||
		h.Get("ETag") != `"`+sum(data)+`"` || h.Get("Accept-Ranges") != "bytes" || h.Get("Content-Disposition") == "" {
		t.Errorf("GET = %q with headers %v", got, h)
	}
	head := c.do(mustRequest(http.MethodHead, c.base+"/files/"+up.FileID))
	head.Body.Close()
	if head.StatusCode != http.StatusOK || head.Header.Get("Content-Length") != strconv.Itoa(len(data)) {
		t.Errorf("HEAD = %d, Content-Length %q", head.StatusCode, head.Header.Get("Content-Length"))
	}
}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// The layout the gateway writes by default: six data shards, two parity,
// stripes of 1 MiB blocks, each block behind its CRC32C.
const (
	dataShards   = 6
	parityShards = 2
	blockSize    = 1 << 20
	frameHeader  = 4
)

// shardSize is the length of every shard file of a blob of size bytes,
// worked out here from the documented layout rather than taken from the
// gateway's own code.
func shardSize(size int64) int64 {
	stripe := int64(dataShards * blockSize)
	full := size / stripe
	n := full * (frameHeader + blockSize)
	if rest := size - full*stripe; rest > 0 {
		n += frameHeader + (rest+dataShards-1)/dataShards
	}
	return n
}

func TestLargeFileShardsOnDistinctNodes(t *testing.T) {
	cl := sharedCluster(t)
	c := newClient(t, cl)
	const size = 100 << 20
	resp, up := c.formUpload("big.bin", randomData(42, size), size)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d: %s", resp.StatusCode, readAll(resp))
	}
	info := c.info(up.FileID)
	if info.Status != "completed" || len(info.Chunks) != dataShards+parityShards {
		t.Fatalf("info = status %s with %d shards; want completed with %d", info.Status, len(info.Chunks), dataShards+parityShards)
	}
	dataDirByAddr := map[string]string{}
	for i := range cl.NumNodes() {
		dataDirByAddr[cl.NodeAddr(i)] = cl.NodeDataDir(i)
	}
	perServer := map[string]int{}
	for _, ch := range info.Chunks {
		perServer[ch.ServerID]++
		chunkID := chunkIDOf(t, cl.DatabaseURL(), up.FileID, ch.Number)
		path := filepath.Join(dataDirByAddr[ch.ServerAddress], "chunks", chunkID[:2], chunkID)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("shard %d on %s: %v", ch.Number, ch.ServerAddress, err)
		}
		crc := fmt.Sprintf("%08x", crc32.Checksum(raw, crc32.MakeTable(crc32.Castagnoli)))
		if int64(len(raw)) != ch.Size || ch.Size != shardSize(size) || crc != ch.Hash || ch.Status != "stored" {
			t.Errorf("shard %d file: %d bytes crc32c %s; recorded %d bytes %s %s; want %d bytes", ch.Number, len(raw), crc, ch.Size, ch.Hash, ch.Status, shardSize(size))
		}
		if bad := badFrames(raw, size); bad != "" {
			t.Errorf("shard %d: %s", ch.Number, bad)
		}
	}
	// Six nodes, eight shards: spread so that losing any one node loses
	// at most two (the parity count).
	if len(perServer) != 6 {
		t.Errorf("shards on %d servers; want all 6", len(perServer))
	}
	for id, n := range perServer {
		if n > parityShards {
			t.Errorf("server %s holds %d shards of one blob; want at most %d", id, n, parityShards)
		}
	}
}

// badFrames checks every frame of a shard file of a blob of size bytes
// against its CRC32C header and says what is wrong, if anything.
func badFrames(raw []byte, size int64) string {
	stripe := int64(dataShards * blockSize)
	for s, off := int64(0), int64(0); s*stripe < size; s++ {
		blockLen := int64(blockSize)
		if rest := size - s*stripe; rest < stripe {
			blockLen = (rest + dataShards - 1) / dataShards
		}
		if off+frameHeader+blockLen > int64(len(raw)) {
			return fmt.Sprintf("frame %d runs past the end", s)
		}
		want := binary.BigEndian.Uint32(raw[off:])
		if got := crc32.Checksum(raw[off+frameHeader:off+frameHeader+blockLen], crc32.MakeTable(crc32.Castagnoli)); got != want {
			return fmt.Sprintf("frame %d crc32c %08x, header says %08x", s, got, want)
		}
		off += frameHeader + blockLen
	}
	return ""
}

func chunkIDOf(t *testing.T, dsn, fileID string, number int) string {
	t.Helper()
	pool := poolFor(t, dsn)
	var id string
	err := pool.QueryRow(context.Background(), `SELECT id::text FROM chunks WHERE file_id = $1 AND chunk_number = $2`, fileID, number).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// stripeBoundaries lists the blob offsets where a block or a stripe ends
// in a blob of size bytes: where a read moves to another shard.
func stripeBoundaries(size int64) []int64 {
	stripe := int64(dataShards * blockSize)
	var out []int64
	for s := int64(0); s*stripe < size; s++ {
		blockLen := int64(blockSize)
		if rest := size - s*stripe; rest < stripe {
			blockLen = (rest + dataShards - 1) / dataShards
		}
		for i := int64(1); i <= dataShards; i++ {
			if b := s*stripe + i*blockLen; b < size {
				out = append(out, b)
			}
		}
	}
	return out
}

func TestRangesAtShardBoundaries(t *testing.T) {
	c := newClient(t, sharedCluster(t))
	// Two full stripes and a short third one, whose blocks are smaller.
	const size = 13<<20 + 5
	data := randomBytes(9, size)
	resp, up := c.rawUpload("r.bin", bytes.NewReader(data), size)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d", resp.StatusCode)
	}
	type rng struct {
		header   string
		from, to int64
	}
	var cases []rng
	for _, b := range stripeBoundaries(size) {
		cases = append(cases,
			rng{fmt.Sprintf("bytes=%d-%d", b-1, b), b - 1, b},
			rng{fmt.Sprintf("bytes=%d-%d", b, b+999), b, min(b+999, size-1)},
			rng{fmt.Sprintf("bytes=%d-%d", b-10, b+blockSize+9), b - 10, min(b+blockSize+9, size-1)},
		)
	}
	if len(cases) < 3*15 {
		t.Fatalf("only %d boundary cases; the layout arithmetic is off", len(cases))
	}
	cases = append(cases, rng{"bytes=0-0", 0, 0}, rng{"bytes=-7", size - 7, size - 1}, rng{fmt.Sprintf("bytes=%d-", size-5), size - 5, size - 1}, rng{"bytes=0-", 0, size - 1})
	for _, tc := range cases {
		t.Run(tc.header, func(t *testing.T) {
			c.t = t
			resp := c.get("/files/"+up.FileID, "Range", tc.header)
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			wantRange := fmt.Sprintf("bytes %d-%d/%d", tc.from, tc.to, size)
			if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != wantRange || !bytes.Equal(got, data[tc.from:tc.to+1]) {
				t.Errorf("GET Range %s = %d %q, %d bytes; want 206 %q and bytes [%d,%d]", tc.header, resp.StatusCode, resp.Header.Get("Content-Range"), len(got), wantRange, tc.from, tc.to)
			}
		})
	}
	c.t = t
	bad := c.get("/files/"+up.FileID, "Range", fmt.Sprintf("bytes=%d-", size))
	bad.Body.Close()
	if bad.StatusCode != http.StatusRequestedRangeNotSatisfiable || bad.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
		t.Errorf("unsatisfiable range = %d %q; want 416 bytes */%d", bad.StatusCode, bad.Header.Get("Content-Range"), size)
	}
}

func TestConcurrentUploadsAndDownloads(t *testing.T) {
	cl := sharedCluster(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- concurrentRoundTrip(cl.GatewayURL(), cl, uint64(1000+i), int64(1+i)<<19+int64(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// concurrentRoundTrip avoids t.Fatal so it can run off the test goroutine.
func concurrentRoundTrip(base string, cl interface{ Credentials() (string, string) }, seed uint64, size int64) error {
	key, secret := cl.Credentials()
	req, _ := http.NewRequest(http.MethodPost, base+"/files?filename=c.bin", randomData(seed, size))
	req.ContentLength = size
	req.SetBasicAuth(key, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("seed %d: upload = %d %s", seed, resp.StatusCode, raw)
	}
	var up uploaded
	if err := json.Unmarshal(raw, &up); err != nil {
		return err
	}
	get, _ := http.NewRequest(http.MethodGet, base+"/files/"+up.FileID, nil)
	get.SetBasicAuth(key, secret)
	resp, err = http.DefaultClient.Do(get)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return err
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), sha256Of(seed, size); got != want || up.Checksum != want {
		return fmt.Errorf("seed %d: downloaded %s, upload said %s; want %s", seed, got, up.Checksum, want)
	}
	return nil
}
