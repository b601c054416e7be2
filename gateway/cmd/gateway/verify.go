package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/google/uuid"

	"sixfold/gateway/admin"
	"sixfold/gateway/objects"
)

// errMissing makes `gateway admin verify` exit 1 when shards are missing.
var errMissing = errors.New("shards are missing")

// verifyStored pages through GET /admin/verify and prints every missing
// shard, then the totals.
func verifyStored(ctx context.Context, c *adminClient, w io.Writer) error {
	var total admin.Verification
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BLOB\tSHARD\tCHUNK\tSERVER\tADDRESS")
	for after := ""; ; {
		var page admin.Verification
		if err := c.do(ctx, http.MethodGet, "/admin/verify?after="+url.QueryEscape(after), nil, &page); err != nil {
			return err
		}
		for _, m := range page.Missing {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.BlobID, m.Number, m.ChunkID, m.Server, m.Address)
		}
		total.Blobs, total.Shards, total.Unanswered = total.Blobs+page.Blobs, total.Shards+page.Shards, total.Unanswered+page.Unanswered
		total.Missing = append(total.Missing, page.Missing...)
		total.Unreadable = append(total.Unreadable, page.Unreadable...)
		if after = page.Next; after == "" {
			break
		}
	}
	if len(total.Missing) > 0 {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, id := range total.Unreadable {
		fmt.Fprintf(w, "unreadable: blob %s has fewer shards left than a read needs\n", id)
	}
	fmt.Fprintf(w, "%d blobs, %d shards checked: %d missing, %d blobs unreadable, %d not answered (node down?)\n",
		total.Blobs, total.Shards, len(total.Missing), len(total.Unreadable), total.Unanswered)
	if len(total.Missing) > 0 {
		return errMissing
	}
	return nil
}

// storedVerifier serves GET /admin/verify from the object service.
type storedVerifier struct{ svc *objects.Service }

var _ admin.Verifier = storedVerifier{}

func (v storedVerifier) VerifyStored(ctx context.Context, after uuid.UUID, limit int) (admin.Verification, error) {
	page, err := v.svc.VerifyStored(ctx, after, limit)
	if errors.Is(err, objects.ErrUnavailable) {
		return admin.Verification{}, fmt.Errorf("%w: %w", admin.ErrUnavailable, err)
	}
	if err != nil {
		return admin.Verification{}, err
	}
	out := admin.Verification{Blobs: page.Blobs, Shards: page.Shards, Unreadable: page.Unreadable,
		Unanswered: page.Unanswered, Next: page.Next}
	for _, m := range page.Missing {
		out.Missing = append(out.Missing, admin.MissingShard{BlobID: m.BlobID, Number: m.Number, ChunkID: m.ChunkID,
			Server: m.ServerName, Address: m.Address})
	}
	return out, nil
}
