package reqid

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestOutgoingCarriesID(t *testing.T) {
	ctx := outgoing(With(context.Background(), "req-42"))
	md, _ := metadata.FromOutgoingContext(ctx)
	if got := md.Get(MetadataKey); len(got) != 1 || got[0] != "req-42" {
		t.Errorf("metadata %s = %v; want [req-42]", MetadataKey, got)
	}
	if _, ok := metadata.FromOutgoingContext(outgoing(context.Background())); ok {
		t.Error("a context without an id got metadata")
	}
}
