package clustertls

import (
	"testing"

	"sixfold/proto/storagepb"
)

// TestEveryChunkMethodIsGuarded walks the service's own description, so a
// chunk RPC added later is checked without anyone remembering this list.
func TestEveryChunkMethodIsGuarded(t *testing.T) {
	desc := storagepb.StorageService_ServiceDesc
	var names []string
	for _, m := range desc.Methods {
		names = append(names, m.MethodName)
	}
	for _, s := range desc.Streams {
		names = append(names, s.StreamName)
	}
	seen := 0
	for _, name := range names {
		full := "/" + desc.ServiceName + "/" + name
		if want := !memberMethods[name]; guarded(full) != want {
			t.Errorf("guarded(%s) = %v, want %v", full, !want, want)
		}
		if name == "WriteChunk" || name == "WriteChunks" || name == "PutChunk" || name == "GetChunk" || name == "ReadChunks" || name == "DeleteChunk" {
			seen++
			if !guarded(full) {
				t.Errorf("%s is open to every cluster member", full)
			}
		}
	}
	if seen != 6 {
		t.Errorf("found %d of the 6 chunk methods in the service description", seen)
	}
	if guarded("/grpc.health.v1.Health/Check") {
		t.Error("the standard health check needs the gateway's certificate; the health probe holds a node's")
	}
}
