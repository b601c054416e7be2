package objects

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// recorder is an Observer that remembers what it was told.
type recorder struct {
	events []string
	errs   []error
}

func (r *recorder) UploadStarted(door string) { r.events = append(r.events, "upload "+door) }
func (r *recorder) UploadFinished(door string, err error) {
	r.events, r.errs = append(r.events, "uploaded "+door), append(r.errs, err)
}
func (r *recorder) DownloadStarted()    { r.events = append(r.events, "download") }
func (r *recorder) Batched(string, int) {}
func (r *recorder) DownloadFinished(err error) {
	r.events, r.errs = append(r.events, "downloaded"), append(r.errs, err)
}

// A Put refused before any I/O (too large) still reports a whole upload,
// under the default door.
func TestPutReportsToObserver(t *testing.T) {
	rec := &recorder{}
	s := &Service{opts: Options{MaxSize: 10, Observer: rec}}
	_, err := s.Put(context.Background(), PutInput{Size: 11})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put = %v; want ErrTooLarge", err)
	}
	if got := strings.Join(rec.events, ", "); got != "upload files, uploaded files" || rec.errs[0] != err {
		t.Errorf("events = %q with %v; want an upload of files ending in Put's error", got, rec.errs)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestObservedDownloadOutcome(t *testing.T) {
	broken := errors.New("node gone")
	tests := []struct {
		name string
		body io.Reader
		read int64 // bytes to read before Close; -1 = to EOF
		want error
	}{
		{"read to EOF", strings.NewReader("abcdef"), -1, nil},
		{"exactly its length, no EOF", strings.NewReader("abcdef"), 6, nil},
		{"closed early", strings.NewReader("abcdef"), 2, context.Canceled},
		{"read failed", failingReader{broken}, -1, broken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			s := &Service{opts: Options{Observer: rec}}
			r := s.observeDownload(io.NopCloser(tt.body), 6)
			if tt.read < 0 {
				_, _ = io.Copy(io.Discard, r)
			} else {
				_, _ = io.CopyN(io.Discard, r, tt.read)
			}
			_ = r.Close()
			_ = r.Close() // reported once
			if got := strings.Join(rec.events, ", "); got != "download, downloaded" {
				t.Fatalf("events = %q; want one download", got)
			}
			if !errors.Is(rec.errs[0], tt.want) {
				t.Errorf("outcome = %v; want %v", rec.errs[0], tt.want)
			}
		})
	}
}

func TestNoObserverLeavesReaderUnwrapped(t *testing.T) {
	s := &Service{}
	body := io.NopCloser(strings.NewReader(""))
	if got := s.observeDownload(body, 0); got != body {
		t.Errorf("observeDownload wrapped the reader without an Observer")
	}
}
