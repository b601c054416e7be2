package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// transferSize is the transfer manager's object: 25 parts of 8 MiB.
const transferSize = 200 << 20

// goV2TransferManager uploads a 200 MiB stream through the transfer
// manager (multipart, 8 MiB parts) and downloads it with the default
// GetObjectType PART, i.e. one ?partNumber=N GET per part.
func goV2TransferManager(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "gov2-tm")
	key := "tm/big.bin"
	tm := transfermanager.New(e.s3)
	sent := sha256.New()
	_, err := tm.UploadObject(e.ctx(t), &transfermanager.UploadObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		Body: io.TeeReader(randomData(801, transferSize), sent),
	})
	if err != nil {
		t.Fatalf("UploadObject: %v", err)
	}
	want := hex.EncodeToString(sent.Sum(nil))
	head, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatalf("HeadObject ?partNumber=1: %v", err)
	}
	if got := aws.ToInt32(head.PartsCount); got != 25 {
		t.Errorf("HeadObject ?partNumber=1: x-amz-mp-parts-count %d; want 25", got)
	}
	path := filepath.Join(t.TempDir(), "download.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tm.DownloadObject(e.ctx(t), &transfermanager.DownloadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), WriterAt: f}); err != nil {
		t.Fatalf("DownloadObject: %v", err)
	}
	if got, n := fileSHA(t, path); got != want || n != transferSize {
		t.Fatalf("download = %d bytes sha256 %s; want %d bytes %s", n, got, transferSize, want)
	}
}
