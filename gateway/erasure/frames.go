package erasure

import (
	"errors"
	"fmt"
	"io"
)

// FrameReader reads a shard file's frames, stripe after stripe, from a
// stream that starts at the frame of a given stripe, and verifies each.
// It never reads more than the frames the layout says are there, and never
// more than one frame's length at a time, whatever the stream holds.
type FrameReader struct {
	r    io.Reader
	l    Layout
	next int64 // stripe of the next frame
	end  int64 // stripe after the last one to read
}

// NewFrameReader reads the frames of stripes [first, end) of a shard of
// layout l from r, which must be positioned at stripe first's frame.
func NewFrameReader(r io.Reader, l Layout, first, end int64) *FrameReader {
	return &FrameReader{r: r, l: l, next: first, end: min(end, l.Stripes())}
}

// Stripe is the stripe whose frame Next reads next.
func (fr *FrameReader) Stripe() int64 { return fr.next }

// Next reads the next frame into buf, whose capacity must hold a full
// frame (FrameHeader+BlockSize), and returns its verified block (a slice
// of buf). After the last frame it returns io.EOF; a stream that ends
// inside a frame is io.ErrUnexpectedEOF; a frame whose block does not match
// its checksum is ErrChecksum. After an error the reader is done.
func (fr *FrameReader) Next(buf []byte) ([]byte, error) {
	if fr.next >= fr.end {
		return nil, io.EOF
	}
	n := FrameHeader + fr.l.BlockLen(fr.next)
	if int64(cap(buf)) < n {
		return nil, fmt.Errorf("erasure: a %d-byte buffer cannot hold a %d-byte frame", cap(buf), n)
	}
	frame := buf[:n]
	if _, err := io.ReadFull(fr.r, frame); err != nil {
		fr.end = fr.next
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	block, err := Check(frame)
	if err != nil {
		fr.end = fr.next
		return nil, fmt.Errorf("stripe %d: %w", fr.next, err)
	}
	fr.next++
	return block, nil
}
