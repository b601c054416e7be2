package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxConnsPerHost keeps every connection of the widest case (concurrency
// 16, or the transfer manager's 4 parts) alive between requests; the Go
// default of 2 idle connections per host (10 in the SDK) would make most
// requests of a concurrent case open a new one.
const maxConnsPerHost = 64

// endpoint is the server measured and how to reach it.
type endpoint struct {
	url         string // base URL, http or https
	key, secret string
	region      string
	caFile      string // PEM roots for https; empty: the system roots
}

// tlsConfig trusts caFile, or the system roots. It is always explicit:
// AWS_CA_BUNDLE, set on many machines, must not replace the roots.
func (e endpoint) tlsConfig() (*tls.Config, error) {
	if e.caFile == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	raw, err := os.ReadFile(e.caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("no PEM certificate in %s", e.caFile)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, nil
}

// tune is applied to every transport the command uses.
func tune(tr *http.Transport, tc *tls.Config) {
	tr.MaxIdleConns = 4 * maxConnsPerHost
	tr.MaxIdleConnsPerHost = maxConnsPerHost
	tr.TLSClientConfig = tc
	// Bodies are random bytes; asking for gzip would only cost the server.
	tr.DisableCompression = true
}

// httpClient is the raw client for /files and /health.
func (e endpoint) httpClient() (*http.Client, error) {
	tc, err := e.tlsConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tune(tr, tc)
	return &http.Client{Transport: tr}, nil
}

// s3Client is aws-sdk-go-v2 with its defaults — payload signing over plain
// HTTP, a CRC32 checksum on every upload, response checksums validated —
// built without config.LoadDefaultConfig, so no profile, region or CA
// bundle from the environment changes what is measured. It does not
// retry: a failed request is reported, not hidden in a slower figure.
func (e endpoint) s3Client() (*s3.Client, error) {
	tc, err := e.tlsConfig()
	if err != nil {
		return nil, err
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tune(tr, tc) })
	return s3.New(s3.Options{
		Region:           e.region,
		Credentials:      credentials.NewStaticCredentialsProvider(e.key, e.secret, ""),
		BaseEndpoint:     aws.String(e.url),
		UsePathStyle:     true,
		HTTPClient:       hc,
		RetryMaxAttempts: 1,
		// The SDK warns on stderr for every multipart GET it cannot
		// validate; the progress lines are there.
		DisableLogOutputChecksumValidationSkipped: true,
	}), nil
}

// unsigned makes one call send UNSIGNED-PAYLOAD and no checksum: the body
// goes out as it is read, hashed by nobody on the client.
func unsigned(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}

// ensureBucket creates bucket, or finds it already there.
func ensureBucket(ctx context.Context, c *s3.Client, bucket string) error {
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		return nil
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	return err
}
