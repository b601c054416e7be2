package metrics

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"sixfold/gateway/objects"
)

var _ objects.Observer = (*Transfers)(nil)

func TestTransfersTrackActiveAndFinished(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr := NewTransfers(reg)
	tr.UploadStarted("files")
	tr.UploadStarted("s3")
	tr.DownloadStarted()
	expect(t, reg, 2, "sixfold_gateway_active_uploads")
	expect(t, reg, 1, "sixfold_gateway_active_downloads")

	tr.UploadFinished("files", nil)
	tr.UploadFinished("s3", fmt.Errorf("put: %w", context.Canceled))
	tr.DownloadFinished(errors.New("node gone"))
	expect(t, reg, 0, "sixfold_gateway_active_uploads")
	expect(t, reg, 0, "sixfold_gateway_active_downloads")
	expect(t, reg, 1, "sixfold_gateway_uploads_total", "door=files", "result=ok")
	expect(t, reg, 1, "sixfold_gateway_uploads_total", "door=s3", "result=canceled")
	expect(t, reg, 1, "sixfold_gateway_downloads_total", "result=error")
}
