package s3mem_test

import (
	"testing"

	"sixfold/s3api"
	"sixfold/s3api/s3mem"
	"sixfold/s3api/s3test"
)

func TestConformance(t *testing.T) {
	s3test.Run(t, func(t *testing.T) s3api.Backend { return s3mem.New() })
}
