// Package shardcodec is gRPC's protobuf codec with two differences for the
// messages that carry shard bytes (GetChunkResponse, PutChunkRequest and
// WriteChunkRequest). On the receive side their data field is copied once,
// from the received frames straight into a pooled buffer. gRPC's own codec
// first gathers the frames into one buffer and protobuf then copies the
// field again into a fresh allocation, so every byte a node stores or a
// gateway serves was copied twice and allocated once more than it needs.
// On the send side they are encoded into the same pools (see Marshal), or
// built there in place by a node (ChunkData). A node receives PutChunk's
// messages without even that copy (ReceivedPutChunk).
//
// Both ends install it (grpc.ForceCodecV2 on the gateway's connections,
// grpc.ForceServerCodecV2 on the node's server); the bytes on the wire are
// plain protobuf, so either end may run without it.
package shardcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"sixfold/proto/storagepb"
)

// Codec implements encoding.CodecV2.
type Codec struct{}

var _ encoding.CodecV2 = Codec{}

// Name is gRPC's proto codec's: the content-subtype stays what peers expect.
func (Codec) Name() string { return grpcproto.Name }

// Marshal is gRPC's proto codec's, except that a message carrying shard
// data is encoded into a buffer of this package's pools. gRPC's own pool
// clears every buffer it hands out, all of its capacity: a 175 KiB shard
// came out of its 1 MiB tier, so each one cost a megabyte of clearing
// before the copy (11 % of a gateway's CPU under 1 MiB PUTs). The encoding
// overwrites every byte it uses, so nothing is left to clear.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *ChunkData:
		return m.marshal(), nil
	case *storagepb.GetChunkResponse, *storagepb.PutChunkRequest, *storagepb.WriteChunkRequest:
		return marshalPooled(m.(proto.Message))
	}
	return encoding.GetCodecV2(grpcproto.Name).Marshal(v)
}

func marshalPooled(m proto.Message) (mem.BufferSlice, error) {
	size := proto.Size(m)
	if size < minPooled || size > maxPooled {
		return encoding.GetCodecV2(grpcproto.Name).Marshal(m)
	}
	buf := get(size)
	// UseCachedSize reuses the Size just computed; m is not changing.
	out, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(buf[:0], m)
	if err != nil {
		Release(buf)
		return nil, err
	}
	return mem.BufferSlice{mem.NewBuffer(&out, bufferPool{})}, nil
}

// ChunkData is a GetChunkResponse built in place: a node reads chunk bytes
// straight into Data and sends it with SendMsg, and Marshal then writes the
// field's header into room kept before the data and hands gRPC the buffer
// as it is (gRPC gives it back to the pool once it is on the wire). Sent as
// a GetChunkResponse, every byte a node served was copied once more, from
// its read buffer into the encoded message. A ChunkData is sent once; one
// that is not sent is given back with Release.
type ChunkData struct {
	buf []byte // headerRoom bytes, then the data
	n   int
}

// headerRoom holds the data field's tag (one byte) and its length (a
// varint of up to 5 bytes for any length a message can have), and puts the
// data on a page boundary: the kernel copies file pages into a misaligned
// buffer markedly slower (under the transfer manager's part GETs the nodes
// spent 1.09–1.21 s of CPU per GiB with the data 6 bytes in, 0.71–0.77 s
// with it page-aligned).
const headerRoom = 4096

// NewChunkData returns a message with room for up to n bytes of data.
func NewChunkData(n int) *ChunkData { return &ChunkData{buf: get(headerRoom + n)} }

// Data is the room for the message's data.
func (c *ChunkData) Data() []byte { return c.buf[headerRoom:] }

// SetLen says how many bytes of Data the message carries.
func (c *ChunkData) SetLen(n int) { c.n = n }

// Release gives back the buffer of a message that will not be sent.
func (c *ChunkData) Release() {
	Release(c.buf)
	c.buf = nil
}

func (c *ChunkData) marshal() mem.BufferSlice {
	hdr := protowire.AppendVarint(protowire.AppendTag(make([]byte, 0, headerRoom), 1, protowire.BytesType), uint64(c.n))
	start := headerRoom - len(hdr)
	copy(c.buf[start:], hdr)
	out := c.buf[start : headerRoom+c.n]
	whole := c.buf
	c.buf = nil
	return mem.BufferSlice{mem.NewBuffer(&out, wholeBuffer(whole))}
}

// wholeBuffer gives back the whole pooled buffer that a message, which
// starts inside it, was encoded in.
type wholeBuffer []byte

func (w wholeBuffer) Get(n int) *[]byte {
	b := get(n)
	return &b
}

func (w wholeBuffer) Put(*[]byte) { Release(w) }

// bufferPool is this package's pools as gRPC's mem.BufferPool, through
// which gRPC hands a marshalled message's buffer back once it is sent.
type bufferPool struct{}

func (bufferPool) Get(n int) *[]byte {
	b := get(n)
	return &b
}

func (bufferPool) Put(b *[]byte) { Release(*b) }

// Unmarshal decodes v from data; see the package comment.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *storagepb.GetChunkResponse:
		payload, err := decode(data, 1, m)
		m.Data = payload
		return err
	case *storagepb.PutChunkRequest:
		payload, err := decode(data, 2, m)
		m.Data = payload
		return err
	case *storagepb.WriteChunkRequest:
		payload, err := decode(data, 2, m)
		m.Data = payload
		return err
	case *ReceivedPutChunk:
		return m.decode(data)
	}
	return encoding.GetCodecV2(grpcproto.Name).Unmarshal(data, v)
}

// ReceivedPutChunk is a PutChunkRequest received by a node, its data left
// in the buffers gRPC received it in. A node copies a shard's bytes into
// aligned buffers for its O_DIRECT writes anyway, so decoding them into a
// pooled buffer first was a copy of every byte for nothing (3 % of the
// machine under a 1 GiB PUT). Receive one with the stream's RecvMsg; Free
// hands its buffers back once Data has been read.
type ReceivedPutChunk struct {
	Header *storagepb.PutChunkHeader
	Data   [][]byte // the data field's bytes, piece by piece
	held   mem.BufferSlice
}

func (m *ReceivedPutChunk) decode(data mem.BufferSlice) error {
	var req storagepb.PutChunkRequest
	c := newCursor(data)
	if err := decodeFrom(c, 2, &req, func(n int) error {
		m.Data = c.take(n) // a repeated field: the last one wins
		return nil
	}); err != nil {
		m.Data = nil
		return err
	}
	m.Header = req.GetHeader()
	if len(m.Data) > 0 {
		data.Ref()
		m.held = data
	}
	return nil
}

// Free gives back the buffers behind Data; using Data afterwards is a bug.
func (m *ReceivedPutChunk) Free() {
	m.held.Free()
	m.held, m.Data = nil, nil
}

// maxGroupDepth bounds the nesting of groups in unknown fields.
const maxGroupDepth = 100

// decode reads the message in data: the bytes field numbered dataField is
// returned in a pooled buffer (nil when absent), and every other field is
// gathered and unmarshalled into m by protobuf itself.
func decode(data mem.BufferSlice, dataField protowire.Number, m proto.Message) ([]byte, error) {
	c := newCursor(data)
	var payload []byte
	err := decodeFrom(c, dataField, m, func(n int) error {
		Release(payload) // a repeated field: the last one wins
		payload = get(n)
		if _, err := io.ReadFull(c, payload); err != nil {
			return fmt.Errorf("shardcodec: data field: %w", err)
		}
		return nil
	})
	if err != nil {
		Release(payload)
		return nil, err
	}
	return payload, nil
}

// decodeFrom reads a message from c: takeData consumes the value of each
// occurrence of the bytes field dataField (n bytes), and every other field
// is gathered and unmarshalled into m by protobuf itself.
func decodeFrom(c *cursor, dataField protowire.Number, m proto.Message, takeData func(n int) error) error {
	var rest []byte
	for c.Remaining() > 0 {
		tag, rawTag, err := readVarint(c)
		if err != nil {
			return err
		}
		num, typ := protowire.DecodeTag(tag)
		if num == dataField && typ == protowire.BytesType {
			n, _, err := length(c)
			if err != nil {
				return err
			}
			if err := takeData(n); err != nil {
				return err
			}
			continue
		}
		rest = append(rest, rawTag...)
		if rest, err = appendValue(rest, c, num, typ, 0); err != nil {
			return err
		}
	}
	return proto.Unmarshal(rest, m)
}

// cursor reads a received message out of its buffers, and can hand out a
// run of its bytes where they lie (take) instead of copying them.
type cursor struct {
	bufs [][]byte // the bytes not read yet; none empty
	left int
}

func newCursor(data mem.BufferSlice) *cursor {
	c := &cursor{bufs: make([][]byte, 0, len(data))}
	for _, b := range data {
		if d := b.ReadOnlyData(); len(d) > 0 {
			c.bufs = append(c.bufs, d)
			c.left += len(d)
		}
	}
	return c
}

// Remaining is how many bytes are left to read.
func (c *cursor) Remaining() int { return c.left }

func (c *cursor) ReadByte() (byte, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	b := c.bufs[0][0]
	c.advance(1)
	return b, nil
}

func (c *cursor) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.bufs[0])
	c.advance(n)
	return n, nil
}

// take returns the next n bytes (at most Remaining) as the pieces of the
// buffers that hold them.
func (c *cursor) take(n int) [][]byte {
	var out [][]byte
	for n > 0 {
		k := min(n, len(c.bufs[0]))
		out = append(out, c.bufs[0][:k])
		c.advance(k)
		n -= k
	}
	return out
}

// advance consumes n bytes of the first buffer.
func (c *cursor) advance(n int) {
	c.bufs[0] = c.bufs[0][n:]
	c.left -= n
	if len(c.bufs[0]) == 0 {
		c.bufs = c.bufs[1:]
	}
}

// readVarint reads a varint and returns it with its bytes as sent: an
// unknown field must reach protobuf byte for byte, even a non-minimal
// encoding.
func readVarint(r *cursor) (uint64, []byte, error) {
	var raw [binary.MaxVarintLen64]byte
	for i := range raw {
		c, err := r.ReadByte()
		if err != nil {
			return 0, nil, fmt.Errorf("shardcodec: varint: %w", io.ErrUnexpectedEOF)
		}
		raw[i] = c
		if c < 0x80 {
			v, n := protowire.ConsumeVarint(raw[:i+1])
			if n < 0 {
				return 0, nil, fmt.Errorf("shardcodec: varint: %w", protowire.ParseError(n))
			}
			return v, raw[:i+1], nil
		}
	}
	return 0, nil, errors.New("shardcodec: varint overflows 64 bits")
}

// length reads a length prefix no larger than what is left to read.
func length(r *cursor) (int, []byte, error) {
	n, raw, err := readVarint(r)
	if err != nil {
		return 0, nil, err
	}
	if n > uint64(r.Remaining()) {
		return 0, nil, fmt.Errorf("shardcodec: length %d beyond the %d bytes left: %w", n, r.Remaining(), io.ErrUnexpectedEOF)
	}
	return int(n), raw, nil
}

// appendValue copies the value of field num, of wire type typ, from r onto
// b as sent.
func appendValue(b []byte, r *cursor, num protowire.Number, typ protowire.Type, depth int) ([]byte, error) {
	switch typ {
	case protowire.VarintType:
		_, raw, err := readVarint(r)
		return append(b, raw...), err
	case protowire.Fixed32Type:
		return appendN(b, r, 4)
	case protowire.Fixed64Type:
		return appendN(b, r, 8)
	case protowire.BytesType:
		n, raw, err := length(r)
		if err != nil {
			return b, err
		}
		return appendN(append(b, raw...), r, n)
	case protowire.StartGroupType:
		return appendGroup(b, r, num, depth)
	}
	return b, fmt.Errorf("shardcodec: wire type %d", typ)
}

// appendGroup copies the fields of group num (a long-deprecated encoding
// that protobuf still keeps as an unknown field) up to its end tag.
func appendGroup(b []byte, r *cursor, num protowire.Number, depth int) ([]byte, error) {
	if depth >= maxGroupDepth {
		return b, errors.New("shardcodec: groups nested too deep")
	}
	for {
		tag, raw, err := readVarint(r)
		if err != nil {
			return b, err
		}
		b = append(b, raw...)
		inner, typ := protowire.DecodeTag(tag)
		if typ == protowire.EndGroupType {
			if inner != num {
				return b, fmt.Errorf("shardcodec: group %d ended by %d", num, inner)
			}
			return b, nil
		}
		if b, err = appendValue(b, r, inner, typ, depth+1); err != nil {
			return b, err
		}
	}
}

func appendN(b []byte, r *cursor, n int) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, n)...)
	if _, err := io.ReadFull(r, b[start:]); err != nil {
		return b, fmt.Errorf("shardcodec: field value: %w", err)
	}
	return b, nil
}

// Buffers are pooled by size in steps of poolStep, from minPooled bytes up
// to maxPooled (a shard block is 1 MiB, a short stripe's far less); others
// are left to the garbage collector. A step of its own for every size a
// message can have keeps a pool from handing out (and the allocator from
// zeroing) a megabyte for a 170 KiB message.
const (
	poolStep  = 64 << 10
	minPooled = poolStep
	maxPooled = 4 << 20
)

var pools [maxPooled / poolStep]sync.Pool // of *[]byte; pools[i] holds caps of (i+1) steps

func get(n int) []byte {
	if n < minPooled || n > maxPooled {
		return make([]byte, n)
	}
	class := (n+poolStep-1)/poolStep - 1
	if p, ok := pools[class].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, (class+1)*poolStep)
}

// Buffer returns a buffer of len n from the pools Release fills, for a
// reader that copies shard data into buffers of its own (the gateway's
// frame buffers) and hands them back with Release.
func Buffer(n int) []byte { return get(n) }

// Release hands back the data of a message this codec decoded, once the
// caller is done with it; using it afterwards is a bug. Releasing is
// optional (an unreleased buffer is garbage collected), and nil is fine.
func Release(b []byte) {
	if cap(b) < minPooled || cap(b) > maxPooled || cap(b)%poolStep != 0 {
		return
	}
	b = b[:0]
	pools[cap(b)/poolStep-1].Put(&b)
}

// Reader turns a stream of shard-data messages into an io.Reader, handing
// each message's buffers back once it has been read out.
type Reader struct {
	next func() ([][]byte, func(), error)
	free func()   // gives back the current message's buffers; nil if none
	rest [][]byte // its bytes not yet read
}

// NewReader reads first (data already received, not from this codec's
// pool), then what next returns: the data of the following message, from
// this codec's pool, or the stream's error (io.EOF at a clean end).
func NewReader(first []byte, next func() ([]byte, error)) *Reader {
	return &Reader{rest: [][]byte{first}, next: func() ([][]byte, func(), error) {
		data, err := next()
		if err != nil {
			return nil, nil, err
		}
		return [][]byte{data}, func() { Release(data) }, nil
	}}
}

// NewPutChunkReader reads first's data, then that of each message next
// receives (or the stream's error, io.EOF at a clean end), freeing each
// message once it has been read out.
func NewPutChunkReader(first *ReceivedPutChunk, next func() (*ReceivedPutChunk, error)) *Reader {
	return &Reader{rest: first.Data, free: first.Free, next: func() ([][]byte, func(), error) {
		m, err := next()
		if err != nil {
			return nil, nil, err
		}
		return m.Data, m.Free, nil
	}}
}

func (r *Reader) Read(p []byte) (int, error) {
	for {
		n := 0
		for n < len(p) && len(r.rest) > 0 {
			k := copy(p[n:], r.rest[0])
			n += k
			if r.rest[0] = r.rest[0][k:]; len(r.rest[0]) == 0 {
				r.rest = r.rest[1:]
			}
		}
		if n > 0 || len(p) == 0 {
			return n, nil
		}
		if r.free != nil {
			r.free()
			r.free = nil
		}
		rest, free, err := r.next()
		if err != nil {
			return 0, err
		}
		r.rest, r.free = rest, free
	}
}
