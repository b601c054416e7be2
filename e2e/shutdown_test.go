package e2e_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// TestGracefulShutdownFinishesUploads sends the gateway SIGTERM while
// uploads are streaming: it stops accepting connections, lets the uploads
// finish (201), exits, and after a restart every one of them reads back.
func TestGracefulShutdownFinishesUploads(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	const uploads, size = 3, 40 << 20
	type result struct {
		status   int
		id, want string
	}
	results := make([]result, uploads)
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seed := uint64(900 + i)
			req, _ := http.NewRequest(http.MethodPost, c.base+"/files?filename=drain.bin", &paced{r: randomData(seed, size)})
			req.ContentLength = size
			req.SetBasicAuth(c.key, c.secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				results[i] = result{status: -1}
				return
			}
			_, up := c.decodeUpload(resp)
			results[i] = result{status: resp.StatusCode, id: up.FileID, want: sha256Of(seed, size)}
		}()
	}
	time.Sleep(300 * time.Millisecond) // the uploads are now streaming
	stopped := make(chan error, 1)
	go func() { stopped <- cl.StopGateway() }()
	eventually(t, 5*time.Second, "the gateway stops accepting new connections", func() bool {
		_, err := http.Get(c.base + "/health")
		return err != nil
	})
	wg.Wait()
	if err := <-stopped; err != nil {
		t.Fatalf("gateway did not exit cleanly: %v", err)
	}
	if err := cl.RestartGateway(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.status != http.StatusCreated {
			t.Fatalf("upload %d in flight at SIGTERM got %d; want 201", i, r.status)
		}
		if got, _ := c.download(r.id); got != r.want {
			t.Errorf("upload %d reads back %s; want %s", i, got, r.want)
		}
	}
}

// paced slows a body to about 40 MiB/s so that it is still streaming when
// the gateway is told to stop.
type paced struct{ r io.Reader }

func (p *paced) Read(b []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	return p.r.Read(b[:min(len(b), 256<<10)])
}
