package sigv4

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
)

const (
	// maxLineLength bounds a chunk header line (and each trailer line); a
	// real one is under 100 bytes: hex size, ";chunk-signature=", 64 hex.
	maxLineLength = 4 << 10
	// maxSignedChunk bounds a signed chunk, which is held in memory until
	// its signature checks. Clients send 64 KiB (minio-go) chunks.
	maxSignedChunk = 16 << 20
)

// chunkReader decodes an aws-chunked body:
//
//	<hex-size>[;chunk-signature=<64 hex>]\r\n<data>\r\n … 0[;chunk-signature=…]\r\n<trailers>
//
// With a signer, every chunk (the final empty one too) must carry a valid
// signature, and a chunk's bytes are handed out only after it verified. A
// chunkReader reports io.EOF after the final chunk and the trailers are
// read and their signature (if any) checked; every error is sticky.
type chunkReader struct {
	src      *bufio.Reader
	signer   *chunkSigner // nil: unsigned chunks
	trailers bool         // whether the mode allows a trailer section
	limit    int64        // declared decoded length, or -1

	decoded int64      // sum of chunk sizes seen
	left    int64      // bytes of the current unsigned chunk not yet read
	buf     *[]byte    // pooled hold-back buffer for signed chunks
	held    []byte     // verified bytes not yet returned
	got     trailerSet // the trailers, set at io.EOF
	err     error
}

// newChunkReader decodes body; signer nil means unsigned chunks. limit is
// x-amz-decoded-content-length or -1: a chunk beyond it is refused before
// its data is read.
func newChunkReader(body io.Reader, signer *chunkSigner, trailers bool, limit int64) *chunkReader {
	return &chunkReader{
		src: bufio.NewReaderSize(body, maxLineLength), signer: signer,
		trailers: trailers, limit: limit,
	}
}

// Read implements io.Reader over the decoded bytes.
func (c *chunkReader) Read(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.read(b)
	if err != nil {
		c.err = err
		c.release()
	}
	return n, err
}

func (c *chunkReader) read(b []byte) (int, error) {
	for len(b) > 0 {
		switch {
		case len(c.held) > 0:
			n := copy(b, c.held)
			c.held = c.held[n:]
			return n, nil
		case c.left > 0:
			return c.readUnsigned(b)
		}
		if err := c.nextChunk(); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// nextChunk reads one chunk header and, for a signed chunk, its data. After
// the final chunk it reads the trailers and returns io.EOF.
func (c *chunkReader) nextChunk() error {
	size, sig, err := c.readHeader()
	if err != nil {
		return err
	}
	if size == 0 {
		return c.finish(sig)
	}
	if c.limit >= 0 && size > c.limit-c.decoded {
		return newError(CodeIncompleteBody, "chunks exceed x-amz-decoded-content-length")
	}
	c.decoded += size
	if c.signer == nil {
		c.left = size
		return nil
	}
	return c.readSigned(size, sig)
}

// readHeader reads and parses one chunk header line.
func (c *chunkReader) readHeader() (int64, []byte, error) {
	line, err := c.src.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return 0, nil, malformedChunk("chunk header line too long")
	case err != nil:
		return 0, nil, incomplete(err)
	}
	size, sig, err := parseChunkHeader(line)
	if err != nil {
		return 0, nil, err
	}
	if (sig != nil) != (c.signer != nil) {
		return 0, nil, malformedChunk("chunk signature present where not expected, or missing")
	}
	return size, sig, nil
}

// parseChunkHeader parses "<hex>[;chunk-signature=<64 hex>]\r\n" (a bare LF
// is accepted too).
func parseChunkHeader(line []byte) (int64, []byte, error) {
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	hexSize, ext, hasExt := bytes.Cut(line, []byte(";"))
	size, err := strconv.ParseInt(string(hexSize), 16, 64)
	if err != nil || size < 0 || len(hexSize) == 0 || hexSize[0] == '+' || hexSize[0] == '-' {
		return 0, nil, malformedChunk("chunk size is not hex")
	}
	if !hasExt {
		return size, nil, nil
	}
	sigHex, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
	if !ok || len(sigHex) != 64 {
		return 0, nil, malformedChunk("chunk extension must be chunk-signature=<64 hex>")
	}
	sig := make([]byte, 32)
	if _, err := hex.Decode(sig, sigHex); err != nil {
		return 0, nil, malformedChunk("chunk signature is not hex")
	}
	return size, sig, nil
}

// readSigned reads a whole signed chunk into the hold-back buffer and
// verifies it before any of its bytes are returned.
func (c *chunkReader) readSigned(size int64, sig []byte) error {
	if size > maxSignedChunk {
		return malformedChunk("signed chunk larger than 16 MiB")
	}
	data, err := c.fill(int(size))
	if err != nil {
		return err
	}
	if err := c.readCRLF(); err != nil {
		return err
	}
	if err := c.signer.verifyChunk(data, sig); err != nil {
		return err
	}
	c.held = data
	return nil
}

// fill reads exactly n bytes into the hold-back buffer. The buffer grows as
// data arrives rather than to the declared size up front, so that a chunk
// header alone cannot make us allocate 16 MiB.
func (c *chunkReader) fill(n int) ([]byte, error) {
	buf := c.buffer()
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n, max(2*cap(buf), minChunkBuffer))-len(buf))
		}
		m, err := c.src.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			return nil, incomplete(err)
		}
	}
	c.buf = &buf
	return buf, nil
}

// readUnsigned streams the current unsigned chunk straight through: nothing
// is held back, since there is no per-chunk signature to wait for.
func (c *chunkReader) readUnsigned(b []byte) (int, error) {
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.src.Read(b)
	c.left -= int64(n)
	if err != nil && (n == 0 || err != io.EOF) {
		return n, incomplete(err)
	}
	if c.left == 0 {
		return n, c.readCRLF()
	}
	return n, nil
}

// readCRLF consumes the CRLF that ends every chunk's data.
func (c *chunkReader) readCRLF() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.src, crlf[:]); err != nil {
		return incomplete(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return malformedChunk("chunk data not followed by CRLF")
	}
	return nil
}

// finish handles the final chunk: its signature, then the trailers and
// their signature.
func (c *chunkReader) finish(sig []byte) error {
	if c.signer != nil {
		if err := c.signer.verifyChunk(nil, sig); err != nil {
			return err
		}
	}
	t, err := parseTrailers(c.src)
	if err != nil {
		return incomplete(err)
	}
	if err := c.checkTrailers(t); err != nil {
		return err
	}
	c.got = t
	return io.EOF
}

// checkTrailers enforces the mode: trailers only where allowed, and a valid
// trailer signature in the signed-trailer mode.
func (c *chunkReader) checkTrailers(t trailerSet) error {
	switch {
	case !c.trailers && (len(t.fields) > 0 || t.signature != nil):
		return malformedTrailer("trailers sent, but x-amz-content-sha256 allows none")
	case c.signer == nil && t.signature != nil:
		return malformedTrailer("signed trailer in an unsigned payload")
	case c.signer == nil || !c.trailers:
		return nil
	case t.signature == nil:
		return newError(CodeSignatureDoesNotMatch, "missing "+trailerSignatureName)
	}
	return c.signer.verifyTrailer(t.canonical(), t.signature)
}

// chunkBuffers recycles hold-back buffers: touching fresh memory costs more
// than verifying a chunk, and every signed upload needs one.
var chunkBuffers sync.Pool // of *[]byte

// minChunkBuffer is the first size a hold-back buffer grows to: minio-go's
// chunk size.
const minChunkBuffer = 64 << 10

// buffer returns the empty hold-back buffer, taking one from the pool on
// first use.
func (c *chunkReader) buffer() []byte {
	if c.buf == nil {
		c.buf, _ = chunkBuffers.Get().(*[]byte)
	}
	if c.buf == nil {
		return nil
	}
	return (*c.buf)[:0]
}

// release returns the hold-back buffer once the reader is done with it.
func (c *chunkReader) release() {
	c.held = nil
	if c.buf != nil {
		chunkBuffers.Put(c.buf)
		c.buf = nil
	}
}

func malformedChunk(msg string) *Error {
	return newError(CodeInvalidRequest, "malformed aws-chunked body: "+msg)
}

// incomplete maps a body that ends mid-frame to IncompleteBody; other
// errors (an *Error, a network failure) pass through unchanged.
func incomplete(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(CodeIncompleteBody, "the request body ended before the aws-chunked payload was complete")
	}
	return err
}
