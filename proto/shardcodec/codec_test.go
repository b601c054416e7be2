package shardcodec

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"slices"
	"testing"
	"unsafe"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"sixfold/proto/storagepb"
)

// split cuts b into a BufferSlice of pieces of at most size bytes, as
// HTTP/2 frames deliver a message.
func split(b []byte, size int) mem.BufferSlice {
	var s mem.BufferSlice
	for len(b) > 0 {
		n := min(size, len(b))
		s = append(s, mem.SliceBuffer(bytes.Clone(b[:n])))
		b = b[n:]
	}
	return s
}

func TestDecodesWhatProtobufDecodes(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 70_000) // pooled size
	withUnknown := protowire.AppendTag(nil, 9, protowire.BytesType)
	withUnknown = protowire.AppendBytes(withUnknown, []byte("future field"))
	msgs := []proto.Message{
		&storagepb.GetChunkResponse{},
		&storagepb.GetChunkResponse{Data: []byte("x")},
		&storagepb.GetChunkResponse{Data: big},
		&storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c-1", ExpectedSize: -1, Digest: storagepb.Digest_DIGEST_CRC32C}},
		&storagepb.PutChunkRequest{Data: big},
		&storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c-2", ExpectedSize: 5}, Data: []byte("hello")},
		&storagepb.WriteChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c-3", ExpectedSize: int64(len(big))}, Data: big},
		&storagepb.WriteChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c-4", ExpectedSize: 0}},
	}
	for _, want := range msgs {
		wire, err := proto.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, withUnknown...)
		for _, size := range []int{1, 3, 7, 4096, 16384, len(wire) + 1} {
			got := want.ProtoReflect().New().Interface()
			if err := (Codec{}).Unmarshal(split(wire, size), got); err != nil {
				t.Fatalf("%T in pieces of %d: %v", want, size, err)
			}
			ref := want.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(wire, ref); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, ref) || !bytes.Equal(got.ProtoReflect().GetUnknown(), ref.ProtoReflect().GetUnknown()) {
				t.Fatalf("%T in pieces of %d: decoded %v; protobuf decodes %v", want, size, short(got), short(ref))
			}
		}
	}
}

func TestLastDataFieldWins(t *testing.T) {
	wire := protowire.AppendTag(nil, 1, protowire.BytesType)
	wire = protowire.AppendBytes(wire, []byte("first"))
	wire = protowire.AppendTag(wire, 1, protowire.BytesType)
	wire = protowire.AppendBytes(wire, []byte("second"))
	var m storagepb.GetChunkResponse
	if err := (Codec{}).Unmarshal(split(wire, 4), &m); err != nil || string(m.Data) != "second" {
		t.Fatalf("Unmarshal = %q, %v; want the last occurrence, as protobuf does", m.Data, err)
	}
}

func TestRefusesWhatProtobufRefuses(t *testing.T) {
	good, _ := proto.Marshal(&storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c"}, Data: []byte("abc")})
	for name, wire := range map[string][]byte{
		"truncated data":      good[:len(good)-1],
		"length past the end": {0x12, 0x7f, 'a'},
		"truncated tag":       {0x80},
		"bad utf-8 in header": append(protowire.AppendBytes([]byte{0x0a}, protowire.AppendBytes([]byte{0x0a}, []byte{0xff, 0xfe})), 0x12, 0x00),
		"field number zero":   {0x02, 0x00},
	} {
		var m storagepb.PutChunkRequest
		if err := (Codec{}).Unmarshal(split(wire, 2), &m); err == nil {
			t.Errorf("%s: decoded %v; want an error", name, short(&m))
		}
		if err := proto.Unmarshal(wire, &storagepb.PutChunkRequest{}); err == nil {
			t.Errorf("%s: protobuf accepts it, so the codec must too", name)
		}
	}
}

// Other messages go through gRPC's own codec unchanged.
func TestOtherMessagesUseTheProtoCodec(t *testing.T) {
	want := &storagepb.PutChunkResponse{ChunkId: "c", Size: 42, Crc32C: 0x0a1b2c3d}
	data, err := (Codec{}).Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got storagepb.PutChunkResponse
	if err := (Codec{}).Unmarshal(data, &got); err != nil || !proto.Equal(&got, want) {
		t.Fatalf("round trip = %v, %v; want %v", &got, err, want)
	}
}

func FuzzDecodeAgreesWithProtobuf(f *testing.F) {
	seed, _ := proto.Marshal(&storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c", ExpectedSize: 3}, Data: []byte("abc")})
	f.Add(seed, 3)
	f.Add([]byte{0x0a, 0x01, 'x'}, 1)
	f.Fuzz(func(t *testing.T, wire []byte, size int) {
		size = max(1, size%64)
		for _, mk := range []func() proto.Message{
			func() proto.Message { return &storagepb.GetChunkResponse{} },
			func() proto.Message { return &storagepb.PutChunkRequest{} },
		} {
			got, ref := mk(), mk()
			gotErr := (Codec{}).Unmarshal(split(wire, size), got)
			refErr := proto.Unmarshal(wire, ref)
			if (gotErr == nil) != (refErr == nil) {
				t.Fatalf("%x: codec error %v, protobuf error %v", wire, gotErr, refErr)
			}
			if gotErr == nil && !proto.Equal(got, ref) {
				t.Fatalf("%x: codec %v, protobuf %v", wire, short(got), short(ref))
			}
		}
	})
}

func short(m proto.Message) string {
	s := m.(interface{ String() string }).String()
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// A buffer is sized to its message's step, not to the largest message, and
// comes back from the pool of its own step.
func TestBuffersAreSizedByStep(t *testing.T) {
	small := get(170 << 10)
	if len(small) != 170<<10 || cap(small) != 192<<10 {
		t.Fatalf("get(170 KiB): len %d cap %d; want cap 192 KiB", len(small), cap(small))
	}
	if b := get(1<<20 + 4); cap(b) != 1<<20+64<<10 {
		t.Fatalf("get(1 MiB + 4): cap %d; want 1 MiB + 64 KiB", cap(b))
	}
	if b := get(100); cap(b) != 100 {
		t.Fatalf("get(100): cap %d; want an unpooled 100", cap(b))
	}
	Release(make([]byte, 100<<10)) // a size no step has: ignored
	Release(nil)
}

// A Reader reads the first data, then every message in order, and ends
// with the stream's own error.
func TestReaderReadsMessagesInOrder(t *testing.T) {
	msgs := [][]byte{get(minPooled), []byte("tail")}
	for i := range msgs[0] {
		msgs[0][i] = byte(i)
	}
	var want []byte
	want = append(append(append(want, "head"...), msgs[0]...), "tail"...)
	stop := errors.New("stream broke")
	r := NewReader([]byte("head"), func() ([]byte, error) {
		if len(msgs) == 0 {
			return nil, stop
		}
		m := msgs[0]
		msgs = msgs[1:]
		return m, nil
	})
	got, err := io.ReadAll(r)
	if !errors.Is(err, stop) || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (equal: %v), %v; want %d bytes then the stream's error", len(got), bytes.Equal(got, want), err, len(want))
	}
}

// TestEncodesWhatProtobufEncodes marshals shard messages of every size
// class boundary, from this package's pools (reused, so dirty) and below
// them: the bytes are protobuf's own, and a buffer gRPC frees goes back to
// the pools.
func TestEncodesWhatProtobufEncodes(t *testing.T) {
	dirty := get(2 * poolStep)
	for i := range dirty {
		dirty[i] = 0xa5
	}
	Release(dirty)
	for _, n := range []int{0, 1, minPooled - 20, minPooled, poolStep + 1, 2*poolStep - 30, 1 << 20, maxPooled - 64, maxPooled + 1} {
		data := bytes.Repeat([]byte{byte(n)}, n)
		for _, m := range []proto.Message{
			&storagepb.GetChunkResponse{Data: data},
			&storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c-1", ExpectedSize: int64(n)}, Data: data},
			&storagepb.WriteChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: "c-2", ExpectedSize: int64(n), Digest: storagepb.Digest_DIGEST_CRC32C}, Data: data},
		} {
			want, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := (Codec{}).Marshal(m)
			if err != nil {
				t.Fatalf("%T with %d bytes: %v", m, n, err)
			}
			if !bytes.Equal(got.Materialize(), want) {
				t.Fatalf("%T with %d bytes: encoded differently from protobuf", m, n)
			}
			got.Free()
		}
	}
}

// A ChunkData built in place, in a buffer that may have been dirtied, is
// encoded exactly as the GetChunkResponse with the same data.
func TestChunkDataEncodesAGetChunkResponse(t *testing.T) {
	for _, n := range []int{1, 127, 128, minPooled - 20, minPooled, 1<<20 + 4, maxPooled - headerRoom, maxPooled} {
		dirty := NewChunkData(n)
		for i := range dirty.buf {
			dirty.buf[i] = 0xa5
		}
		dirty.Release()
		data := bytes.Repeat([]byte{byte(n % 251)}, n)
		m := NewChunkData(n + 100)
		m.SetLen(copy(m.Data(), data))
		want, err := proto.Marshal(&storagepb.GetChunkResponse{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		got, err := (Codec{}).Marshal(m)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got.Materialize(), want) {
			t.Fatalf("%d bytes: encoded differently from protobuf", n)
		}
		var back storagepb.GetChunkResponse
		if err := (Codec{}).Unmarshal(got, &back); err != nil || !bytes.Equal(back.GetData(), data) {
			t.Fatalf("%d bytes: decoded %d bytes, %v", n, len(back.GetData()), err)
		}
		got.Free()
	}
}

func TestReceivedPutChunkLeavesDataWhereItArrived(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 70_000)
	hdr := &storagepb.PutChunkHeader{ChunkId: "c-1", ExpectedSize: int64(len(big)), Digest: storagepb.Digest_DIGEST_CRC32C}
	unknown := protowire.AppendBytes(protowire.AppendTag(nil, 9, protowire.BytesType), []byte("future field"))
	repeated := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), []byte("first"))
	repeated = protowire.AppendBytes(protowire.AppendTag(repeated, 2, protowire.BytesType), []byte("second"))
	for name, wire := range map[string][]byte{
		"header only":     mustMarshal(t, &storagepb.PutChunkRequest{Header: hdr}),
		"data only":       mustMarshal(t, &storagepb.PutChunkRequest{Data: big}),
		"header and data": mustMarshal(t, &storagepb.PutChunkRequest{Header: hdr, Data: []byte("hello")}),
		"unknown field":   append(mustMarshal(t, &storagepb.PutChunkRequest{Data: []byte("x")}), unknown...),
		"repeated data":   repeated,
	} {
		for _, size := range []int{1, 7, 16384} {
			in := split(wire, size)
			var got ReceivedPutChunk
			if err := (Codec{}).Unmarshal(in, &got); err != nil {
				t.Fatalf("%s, %d-byte frames: %v", name, size, err)
			}
			var want storagepb.PutChunkRequest
			if err := proto.Unmarshal(wire, &want); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got.Header, want.GetHeader()) || !bytes.Equal(bytes.Join(got.Data, nil), want.GetData()) {
				t.Fatalf("%s, %d-byte frames: header %v, %d bytes of data; want %v, %d bytes", name, size, got.Header, len(bytes.Join(got.Data, nil)), want.GetHeader(), len(want.GetData()))
			}
			if !within(got.Data, in) {
				t.Fatalf("%s, %d-byte frames: data was copied out of the received buffers", name, size)
			}
			got.Free()
		}
	}
	// Malformed input fails as protobuf's own decoding does.
	short := mustMarshal(t, &storagepb.PutChunkRequest{Data: []byte("hello")})
	if err := (Codec{}).Unmarshal(split(short[:len(short)-1], 2), &ReceivedPutChunk{}); err == nil {
		t.Fatal("a data field cut short decoded")
	}
}

func TestPutChunkReaderReadsEveryMessageInOrder(t *testing.T) {
	var msgs []*ReceivedPutChunk
	var want []byte
	for i, n := range []int{0, 5, 70_000, 1, 300_000} {
		data := bytes.Repeat([]byte{byte('a' + i)}, n)
		want = append(want, data...)
		m := new(ReceivedPutChunk)
		if err := (Codec{}).Unmarshal(split(mustMarshal(t, &storagepb.PutChunkRequest{Data: data}), 16384), m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	next := 1
	r := NewPutChunkReader(msgs[0], func() (*ReceivedPutChunk, error) {
		if next == len(msgs) {
			return nil, io.EOF
		}
		next++
		return msgs[next-1], nil
	})
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	for i, m := range msgs {
		if m.Data != nil {
			t.Fatalf("message %d not freed once read", i)
		}
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// within says whether every piece lies inside one of s's buffers.
func within(pieces [][]byte, s mem.BufferSlice) bool {
	type span struct{ start, end uintptr }
	var spans []span
	for _, b := range s {
		if d := b.ReadOnlyData(); len(d) > 0 {
			start := uintptr(unsafe.Pointer(&d[0]))
			spans = append(spans, span{start, start + uintptr(len(d))})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for _, p := range pieces {
		if len(p) == 0 {
			continue
		}
		at := uintptr(unsafe.Pointer(&p[0]))
		i, _ := slices.BinarySearchFunc(spans, at, func(sp span, at uintptr) int { return cmp.Compare(sp.start, at+1) })
		if i == 0 || at+uintptr(len(p)) > spans[i-1].end {
			return false
		}
	}
	return true
}
