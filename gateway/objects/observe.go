package objects

import (
	"cmp"
	"context"
	"errors"
	"io"
	"sync"
)

// Observer is told when transfers begin and end, so that metrics can count
// them without this package knowing how. Its methods run on request
// goroutines on the data path: they must be safe for concurrent use and
// must not block.
type Observer interface {
	// UploadStarted and UploadFinished bracket every Put. door is the
	// blob's owner ("files" or "s3"); err is what Put returned.
	UploadStarted(door string)
	UploadFinished(door string, err error)
	// DownloadStarted is called when OpenChunks hands out a reader, and
	// DownloadFinished when that reader is closed: err is nil when every
	// byte was read, the first read error if one occurred, else
	// context.Canceled (closing early cancels the reader's fetches).
	DownloadStarted()
	DownloadFinished(err error)
	// Batched is called once per ReadChunks or WriteChunks call (method)
	// with the number of shards it carries.
	Batched(method string, n int)
}

// Put stores in.Body as one blob (see put for the contract) and reports
// the transfer to Options.Observer.
func (s *Service) Put(ctx context.Context, in PutInput) (Blob, error) {
	obs := s.opts.Observer
	if obs == nil {
		return s.put(ctx, in)
	}
	door := cmp.Or(in.Owner, "files")
	obs.UploadStarted(door)
	b, err := s.put(ctx, in)
	obs.UploadFinished(door, err)
	return b, err
}

// observeDownload wraps a reader of length bytes so that Options.Observer
// sees the download start now and finish at Close.
func (s *Service) observeDownload(r io.ReadCloser, length int64) io.ReadCloser {
	if s.opts.Observer == nil {
		return r
	}
	s.opts.Observer.DownloadStarted()
	return &observedReader{ReadCloser: r, obs: s.opts.Observer, left: length}
}

// observedReader reports its download's outcome once, at the first Close.
// Completion is judged by bytes read, not by io.EOF: a caller that copies
// exactly the range it asked for may never read the EOF.
type observedReader struct {
	io.ReadCloser
	obs  Observer
	left int64 // bytes not yet read
	err  error // first read error other than io.EOF
	once sync.Once
}

func (r *observedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}

// WriteTo keeps the reader under it free to write straight into w.
func (r *observedReader) WriteTo(w io.Writer) (int64, error) {
	n, err := io.Copy(w, r.ReadCloser)
	r.left -= n
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

func (r *observedReader) Close() error {
	r.once.Do(func() { r.obs.DownloadFinished(r.outcome()) })
	return r.ReadCloser.Close()
}

func (r *observedReader) outcome() error {
	switch {
	case r.err != nil:
		return r.err
	case r.left > 0:
		return context.Canceled
	}
	return nil
}
