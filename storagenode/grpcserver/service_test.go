package grpcserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
)

const msgSize = 1 << 20

type harness struct {
	svc    *Service
	client storagepb.StorageServiceClient
	conn   *grpc.ClientConn
	dir    string
}

// start serves a Service over a real chunk store in a temp dir, through an
// in-memory listener.
func start(t *testing.T) *harness {
	t.Helper()
	return startWith(t, zerolog.New(zerolog.NewTestWriter(t)), nil)
}

// startWith is start with a chosen logger and, if wrap is not nil, the
// store wrapped by it.
func startWith(t *testing.T, log zerolog.Logger, wrap func(*chunkstore.Store) ChunkStore, opts ...Option) *harness {
	t.Helper()
	dir := t.TempDir()
	store, err := chunkstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var cs ChunkStore = store
	if wrap != nil {
		cs = wrap(store)
	}
	svc := New(cs, log, opts...)
	gs := NewServer(svc)
	lis := bufconn.Listen(4 << 20)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &harness{svc: svc, client: storagepb.NewStorageServiceClient(conn), conn: conn, dir: dir}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// put sends data in messages of msgSize, the header riding on the first.
func (h *harness) put(ctx context.Context, id string, expected int64, data []byte) (*storagepb.PutChunkResponse, error) {
	return h.putWith(ctx, &storagepb.PutChunkHeader{ChunkId: id, ExpectedSize: expected}, data, msgSize)
}

// putWith sends data in messages of msgLen bytes after hdr.
func (h *harness) putWith(ctx context.Context, hdr *storagepb.PutChunkHeader, data []byte, msgLen int) (*storagepb.PutChunkResponse, error) {
	stream, err := h.client.PutChunk(ctx)
	if err != nil {
		return nil, err
	}
	msg := &storagepb.PutChunkRequest{Header: hdr}
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), msgLen)
		msg.Data, data = data[:n], data[n:]
		if err := stream.Send(msg); err != nil {
			break // the server has answered; CloseAndRecv reports why
		}
		msg = &storagepb.PutChunkRequest{}
	}
	return stream.CloseAndRecv()
}

func (h *harness) get(t *testing.T, id string, offset, length int64) ([]byte, error) {
	t.Helper()
	stream, err := h.client.GetChunk(context.Background(), &storagepb.GetChunkRequest{ChunkId: id, Offset: offset, Length: length})
	if err != nil {
		return nil, err
	}
	var out []byte
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(msg.GetData()) == 0 || len(msg.GetData()) > msgSize {
			t.Fatalf("GetChunk message of %d bytes; want 1..%d", len(msg.GetData()), msgSize)
		}
		out = append(out, msg.GetData()...)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (%v); want %v", got, err, want)
	}
}

// chunkFiles lists the files under the store's data dir (chunks and temp).
func (h *harness) chunkFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "log" {
			return filepath.SkipDir // the small-chunk log's segment, always there
		}
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	return out
}

// tempFilesOpen counts this process's descriptors open on files in the
// store's tmp/, named or not: a chunk being written has one, whether or not
// its temp file shows in a directory listing.
func (h *harness) tempFilesOpen(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(h.dir, "tmp") + string(filepath.Separator)
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, tmp) {
			n++
		}
	}
	return n
}

func TestPutThenGet(t *testing.T) {
	h := start(t)
	id := uuid.NewString()
	data := randomBytes(t, 3<<20+1)
	sum := sha256.Sum256(data)
	for _, expected := range []int64{int64(len(data)), -1} {
		res, err := h.put(context.Background(), id, expected, data)
		if err != nil {
			t.Fatalf("PutChunk(expected %d): %v", expected, err)
		}
		if res.GetChunkId() != id || res.GetSize() != int64(len(data)) || res.GetSha256() != hex.EncodeToString(sum[:]) {
			t.Fatalf("PutChunk = %v; want id %s, size %d, sha256 %x", res, id, len(data), sum)
		}
	}
	tests := []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"whole", 0, 0, data},
		{"first byte", 0, 1, data[:1]},
		{"across a message boundary", 1<<20 - 3, 1<<20 + 6, data[1<<20-3 : 2<<20+3]},
		{"to the exact end", 1<<20 - 3, 2<<20 + 4, data[1<<20-3:]},
		{"last byte", 3 << 20, 0, data[3<<20:]},
		{"length clamped", 3<<20 - 1, 10, data[3<<20-1:]},
		{"empty at end", 3<<20 + 1, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.get(t, id, tt.offset, tt.length)
			if err != nil {
				t.Fatalf("GetChunk: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %d bytes; want %d", len(got), len(tt.want))
			}
		})
	}
}

func TestPutErrors(t *testing.T) {
	h := start(t)
	tests := []struct {
		name     string
		send     []*storagepb.PutChunkRequest
		wantCode codes.Code
	}{
		{"empty stream", nil, codes.InvalidArgument},
		{"missing header", []*storagepb.PutChunkRequest{{Data: []byte("abc")}}, codes.InvalidArgument},
		{"invalid id", []*storagepb.PutChunkRequest{header("../x", 1), {Data: []byte("a")}}, codes.InvalidArgument},
		{"uppercase id", []*storagepb.PutChunkRequest{header("0B7E5B0A-6C1E-4C39-9F0F-3C1A7F4B2D10", 1)}, codes.InvalidArgument},
		{"bad expected size", []*storagepb.PutChunkRequest{header(uuid.NewString(), -2)}, codes.InvalidArgument},
		{"short stream", []*storagepb.PutChunkRequest{header(uuid.NewString(), 10), {Data: []byte("abc")}}, codes.InvalidArgument},
		{"long stream", []*storagepb.PutChunkRequest{header(uuid.NewString(), 2), {Data: []byte("abc")}}, codes.InvalidArgument},
		{"header repeated", []*storagepb.PutChunkRequest{header(uuid.NewString(), -1), header(uuid.NewString(), -1)}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, err := h.client.PutChunk(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.send {
				if stream.Send(m) != nil {
					break
				}
			}
			_, err = stream.CloseAndRecv()
			wantCode(t, err, tt.wantCode)
			if files := h.chunkFiles(t); len(files) != 0 {
				t.Fatalf("files after failed put: %v", files)
			}
		})
	}
}

func header(id string, size int64) *storagepb.PutChunkRequest {
	return &storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: id, ExpectedSize: size}}
}

func TestCancelledPutLeavesNothing(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := h.client.PutChunk(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	msg := header(id, 3<<20)
	msg.Data = randomBytes(t, 1<<20)
	if err := stream.Send(msg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.tempFilesOpen(t) == 1 })
	cancel()
	_, err = stream.CloseAndRecv()
	wantCode(t, err, codes.Canceled)
	waitFor(t, func() bool { return h.tempFilesOpen(t) == 0 && len(h.chunkFiles(t)) == 0 })
	_, err = h.get(t, id, 0, 0)
	wantCode(t, err, codes.NotFound)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGetErrors(t *testing.T) {
	h := start(t)
	id := uuid.NewString()
	if _, err := h.put(context.Background(), id, 5, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		id             string
		offset, length int64
		want           codes.Code
	}{
		{"missing", uuid.NewString(), 0, 0, codes.NotFound},
		{"invalid id", "..%2f..%2fetc", 0, 0, codes.InvalidArgument},
		{"offset past end", id, 6, 0, codes.InvalidArgument},
		{"negative offset", id, -1, 0, codes.InvalidArgument},
		{"negative length", id, 0, -5, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.get(t, tt.id, tt.offset, tt.length)
			wantCode(t, err, tt.want)
		})
	}
}

// A gateway may ask for messages of its own size (one shard frame each):
// every message but the last then has exactly that many bytes.
func TestGetMessageSize(t *testing.T) {
	h := start(t)
	id := uuid.NewString()
	data := randomBytes(t, 3<<20+1)
	if _, err := h.put(context.Background(), id, int64(len(data)), data); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{1<<20 + 4, 300_000, 4 << 20} {
		for _, r := range []struct{ offset, length int64 }{{0, 0}, {7, 2<<20 + 11}} {
			t.Run(fmt.Sprintf("size=%d/offset=%d", size, r.offset), func(t *testing.T) {
				stream, err := h.client.GetChunk(context.Background(), &storagepb.GetChunkRequest{ChunkId: id, Offset: r.offset, Length: r.length, MessageSize: size})
				if err != nil {
					t.Fatal(err)
				}
				want := data[r.offset:]
				if r.length > 0 {
					want = want[:r.length]
				}
				var got []byte
				var lens []int
				for {
					msg, err := stream.Recv()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("Recv: %v", err)
					}
					got = append(got, msg.GetData()...)
					lens = append(lens, len(msg.GetData()))
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("got %d bytes; want %d", len(got), len(want))
				}
				for i, n := range lens[:len(lens)-1] {
					if int64(n) != size {
						t.Fatalf("message %d of %v has %d bytes; want %d", i, lens, n, size)
					}
				}
			})
		}
	}
	for _, size := range []int64{-1, 4<<20 + 1} {
		_, err := h.getSized(id, size)
		wantCode(t, err, codes.InvalidArgument)
	}
}

func (h *harness) getSized(id string, size int64) (int, error) {
	stream, err := h.client.GetChunk(context.Background(), &storagepb.GetChunkRequest{ChunkId: id, MessageSize: size})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += len(msg.GetData())
	}
}

func TestDeleteAndStats(t *testing.T) {
	h := start(t)
	h.svc.SetNodeID("node-1")
	ctx := context.Background()
	id := uuid.NewString()
	if _, err := h.put(ctx, id, 3, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	st, err := h.client.GetStats(ctx, &storagepb.GetStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetServerId() != "node-1" || st.GetChunkCount() != 1 || st.GetUsedBytes() != 3 || st.GetCapacityBytes() <= 0 {
		t.Fatalf("GetStats = %v", st)
	}
	for i, want := range []bool{true, false} {
		res, err := h.client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: id})
		if err != nil || res.GetExisted() != want {
			t.Fatalf("DeleteChunk #%d = %v, %v; want existed=%v", i+1, res, err, want)
		}
	}
	_, err = h.client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: "x/../y"})
	wantCode(t, err, codes.InvalidArgument)
}

func TestHealth(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	std := healthpb.NewHealthClient(h.conn)
	for _, serving := range []bool{false, true, false} {
		h.svc.SetServing(serving)
		h.svc.SetNodeID("node-7")
		want, wantStd := storagepb.HealthCheckResponse_STATUS_NOT_SERVING, healthpb.HealthCheckResponse_NOT_SERVING
		if serving {
			want, wantStd = storagepb.HealthCheckResponse_STATUS_SERVING, healthpb.HealthCheckResponse_SERVING
		}
		res, err := h.client.HealthCheck(ctx, &storagepb.HealthCheckRequest{})
		if err != nil || res.GetStatus() != want || res.GetServerId() != "node-7" {
			t.Fatalf("HealthCheck = %v, %v; want %v", res, err, want)
		}
		for _, svc := range []string{"", storagepb.StorageService_ServiceDesc.ServiceName} {
			res, err := std.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
			if err != nil || res.GetStatus() != wantStd {
				t.Fatalf("grpc.health.v1 Check(%q) = %v, %v; want %v", svc, res, err, wantStd)
			}
		}
	}
}

// TestPutDigests checks each digest a gateway may ask for against one
// computed independently, with messages of the sizes the parity path sends:
// a 1 MiB block plus its 4-byte checksum, and the 4 MiB the contract allows.
func TestPutDigests(t *testing.T) {
	h := start(t)
	data := randomBytes(t, 9<<20+3)
	sum := sha256.Sum256(data)
	want := map[storagepb.Digest]*storagepb.PutChunkResponse{
		storagepb.Digest_DIGEST_SHA256: {Size: int64(len(data)), Sha256: hex.EncodeToString(sum[:])},
		storagepb.Digest_DIGEST_CRC32C: {Size: int64(len(data)), Crc32C: crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))},
	}
	for digest, w := range want {
		for _, msgLen := range []int{msgSize + 4, 4 << 20} {
			id := uuid.NewString()
			res, err := h.putWith(context.Background(),
				&storagepb.PutChunkHeader{ChunkId: id, ExpectedSize: int64(len(data)), Digest: digest}, data, msgLen)
			if err != nil {
				t.Fatalf("PutChunk(%v, messages of %d): %v", digest, msgLen, err)
			}
			if res.GetChunkId() != id || res.GetSize() != w.Size || res.GetSha256() != w.Sha256 || res.GetCrc32C() != w.Crc32C {
				t.Fatalf("PutChunk(%v, messages of %d) = %v; want size %d, sha256 %q, crc32c %08x",
					digest, msgLen, res, w.Size, w.Sha256, w.Crc32C)
			}
			if got, err := h.get(t, id, 0, 0); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back after PutChunk(%v): %d bytes, %v", digest, len(got), err)
			}
		}
	}
}

// TestPutRefusesWhatItCannotHonour: an unknown digest (a newer gateway) and
// a message over MaxRecvMsgSize both fail and leave nothing.
func TestPutRefusesWhatItCannotHonour(t *testing.T) {
	h := start(t)
	tests := []struct {
		name   string
		hdr    *storagepb.PutChunkHeader
		msgLen int
		want   codes.Code
	}{
		{"unknown digest", &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: 1, Digest: 9}, msgSize, codes.InvalidArgument},
		{"message too large", &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: -1}, MaxRecvMsgSize, codes.ResourceExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.putWith(context.Background(), tt.hdr, randomBytes(t, max(1, tt.msgLen)), tt.msgLen)
			wantCode(t, err, tt.want)
			waitFor(t, func() bool { return len(h.chunkFiles(t)) == 0 })
		})
	}
}

// TestWriteChunk: a chunk sent whole in one message is stored and read
// back byte for byte, with the digest asked for; a header that does not
// match the data, or a missing header, stores nothing.
func TestWriteChunk(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	data := randomBytes(t, 700)
	id := uuid.NewString()
	res, err := h.client.WriteChunk(ctx, &storagepb.WriteChunkRequest{Data: data,
		Header: &storagepb.PutChunkHeader{ChunkId: id, ExpectedSize: int64(len(data)), Digest: storagepb.Digest_DIGEST_CRC32C}})
	if err != nil {
		t.Fatal(err)
	}
	if want := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)); res.GetSize() != int64(len(data)) || res.GetCrc32C() != want {
		t.Fatalf("WriteChunk = %v; want size %d, crc32c %08x", res, len(data), want)
	}
	got, err := h.get(t, id, 0, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetChunk after WriteChunk: %d bytes, %v; want the %d written", len(got), err, len(data))
	}
	files := len(h.chunkFiles(t))
	for name, req := range map[string]*storagepb.WriteChunkRequest{
		"size not the data's": {Data: data, Header: &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: 699}},
		"no header":           {Data: data},
		"unknown digest":      {Data: data, Header: &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: -1, Digest: 7}},
		"bad id":              {Data: data, Header: &storagepb.PutChunkHeader{ChunkId: "../x", ExpectedSize: -1}},
	} {
		_, err := h.client.WriteChunk(ctx, req)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v; want InvalidArgument", name, err)
		}
	}
	if n := len(h.chunkFiles(t)); n != files {
		t.Errorf("%d chunk files after the refused writes; want %d", n, files)
	}
}

// ReadChunks answers every read on its own, in order: a good range with its
// bytes (cut where the chunk ends), a bad one with the code GetChunk gives.
func TestReadChunks(t *testing.T) {
	h := start(t)
	id, other := uuid.NewString(), uuid.NewString()
	data, otherData := randomBytes(t, 5000), randomBytes(t, 700)
	for _, c := range []struct {
		id   string
		data []byte
	}{{id, data}, {other, otherData}} {
		if _, err := h.put(context.Background(), c.id, int64(len(c.data)), c.data); err != nil {
			t.Fatal(err)
		}
	}
	reads := []struct {
		id             string
		offset, length int64
		want           []byte
		code           codes.Code
	}{
		{id, 0, 5000, data, codes.OK},
		{other, 100, 600, otherData[100:], codes.OK},
		{uuid.NewString(), 0, 10, nil, codes.NotFound},
		{id, 4990, 100, data[4990:], codes.OK}, // past the end: cut
		{id, 5001, 10, nil, codes.InvalidArgument},
		{"../../etc/passwd", 0, 10, nil, codes.InvalidArgument},
		{id, 1000, 1, data[1000:1001], codes.OK},
	}
	req := &storagepb.ReadChunksRequest{}
	for _, r := range reads {
		req.Reads = append(req.Reads, &storagepb.GetChunkRequest{ChunkId: r.id, Offset: r.offset, Length: r.length})
	}
	resp, err := h.client.ReadChunks(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetReads()) != len(reads) {
		t.Fatalf("%d answers for %d reads", len(resp.GetReads()), len(reads))
	}
	for i, r := range reads {
		got := resp.GetReads()[i]
		if codes.Code(got.GetCode()) != r.code {
			t.Errorf("read %d: code %v (%s); want %v", i, codes.Code(got.GetCode()), got.GetMessage(), r.code)
		}
		if !bytes.Equal(got.GetData(), r.want) {
			t.Errorf("read %d: %d bytes, not the %d of the range", i, len(got.GetData()), len(r.want))
		}
	}
}

// A request ReadChunks cannot answer in one message, or whose reads do not
// say how much they want, fails whole and reads nothing.
func TestReadChunksRefusesWhatItCannotAnswer(t *testing.T) {
	h := start(t)
	read := func(length int64) *storagepb.GetChunkRequest {
		return &storagepb.GetChunkRequest{ChunkId: uuid.NewString(), Length: length}
	}
	tooMany := &storagepb.ReadChunksRequest{}
	for range maxBatchItems + 1 {
		tooMany.Reads = append(tooMany.Reads, read(1))
	}
	tests := []struct {
		name string
		req  *storagepb.ReadChunksRequest
	}{
		{"length 0", &storagepb.ReadChunksRequest{Reads: []*storagepb.GetChunkRequest{read(10), read(0)}}},
		{"negative length", &storagepb.ReadChunksRequest{Reads: []*storagepb.GetChunkRequest{read(-1)}}},
		{"more bytes than one answer holds", &storagepb.ReadChunksRequest{Reads: []*storagepb.GetChunkRequest{read(storagepb.MaxMessageSize), read(1)}}},
		{"too many reads", tooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.ReadChunks(context.Background(), tt.req)
			wantCode(t, err, codes.InvalidArgument)
		})
	}
}

// WriteChunks stores every good write and refuses every bad one on its
// own, answering in order; a refused write leaves no file.
func TestWriteChunks(t *testing.T) {
	h := start(t)
	ctx := context.Background()
	crc := func(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }
	good := func(data []byte) *storagepb.WriteChunkRequest {
		return &storagepb.WriteChunkRequest{Data: data,
			Header: &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: int64(len(data)), Digest: storagepb.Digest_DIGEST_CRC32C}}
	}
	a, b := randomBytes(t, 683), randomBytes(t, 64<<10)
	writes := []*storagepb.WriteChunkRequest{
		good(a),
		{Data: a, Header: &storagepb.PutChunkHeader{ChunkId: "../x", ExpectedSize: -1}},
		good(b),
		{Data: a, Header: &storagepb.PutChunkHeader{ChunkId: uuid.NewString(), ExpectedSize: 1}},
		{Data: a},
	}
	want := []codes.Code{codes.OK, codes.InvalidArgument, codes.OK, codes.InvalidArgument, codes.InvalidArgument}
	resp, err := h.client.WriteChunks(ctx, &storagepb.WriteChunksRequest{Writes: writes})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetWrites()) != len(writes) {
		t.Fatalf("%d answers for %d writes", len(resp.GetWrites()), len(writes))
	}
	for i, w := range resp.GetWrites() {
		if codes.Code(w.GetCode()) != want[i] {
			t.Errorf("write %d: code %v (%s); want %v", i, codes.Code(w.GetCode()), w.GetMessage(), want[i])
			continue
		}
		if want[i] != codes.OK {
			continue
		}
		data := writes[i].GetData()
		if res := w.GetResult(); res.GetSize() != int64(len(data)) || res.GetCrc32C() != crc(data) {
			t.Errorf("write %d = %v; want size %d, crc32c %08x", i, res, len(data), crc(data))
		}
		if got, err := h.get(t, writes[i].GetHeader().GetChunkId(), 0, 0); err != nil || !bytes.Equal(got, data) {
			t.Errorf("write %d read back: %d bytes, %v; want the %d written", i, len(got), err, len(data))
		}
	}
	if n := len(h.chunkFiles(t)); n != 2 {
		t.Errorf("%d chunk files; want 2, the good writes'", n)
	}
	tooMany := &storagepb.WriteChunksRequest{}
	for range maxBatchItems + 1 {
		tooMany.Writes = append(tooMany.Writes, good(a[:1]))
	}
	_, err = h.client.WriteChunks(ctx, tooMany)
	wantCode(t, err, codes.InvalidArgument)
}
