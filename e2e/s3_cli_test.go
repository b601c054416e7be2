package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the aws CLI (v1) against one env, isolated from the
// machine's AWS configuration.
type awsCLI struct {
	e    *s3Env
	path string
	env  []string
}

func newAWSCLI(t *testing.T, e *s3Env) *awsCLI {
	t.Helper()
	path := requireTool(t, "aws", "--version")
	dir := t.TempDir()
	env := []string{
		"AWS_ACCESS_KEY_ID=" + e.key,
		"AWS_SECRET_ACCESS_KEY=" + e.secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1", // show server errors instead of retrying them
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return &awsCLI{e: e, path: path, env: env}
}

// run runs one aws command and returns its stdout; a non-zero exit is an
// error carrying stderr.
func (c *awsCLI) run(ctx context.Context, args ...string) (string, error) {
	stdout, stderr, err := c.exec(ctx, args...)
	if err != nil {
		return stdout, fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr))
	}
	return stdout, nil
}

// exec runs one aws command against the gateway.
func (c *awsCLI) exec(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	args = append(args, "--endpoint-url", c.e.url)
	if c.e.caFile != "" {
		args = append(args, "--ca-bundle", c.e.caFile)
	}
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// must runs an aws command that has to succeed.
func (c *awsCLI) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.run(t.Context(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustTraced is must with botocore's debug log kept: when the command
// fails, the test reports what botocore said of each request's exchange
// (sent, 100 Continue awaited or seen or not, answered, retried, timed
// out), the client's side of a failure the gateway's log alone cannot
// explain. That is how the cause of `aws s3 sync` timing out in CI on PUTs
// the gateway had answered was found (see cliEmptyThenData).
func (c *awsCLI) mustTraced(t *testing.T, args ...string) {
	t.Helper()
	_, stderr, err := c.exec(t.Context(), append([]string{"--debug"}, args...)...)
	if err == nil {
		return
	}
	var said, exchange []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimRight(line, "\n")
		switch {
		case cliFailure.MatchString(line):
			said = append(said, line)
		case botocoreRecord.MatchString(line) && botocoreExchange.MatchString(line):
			exchange = append(exchange, line[:min(len(line), 300)]) // a request's record carries all its headers
		}
	}
	t.Fatalf("aws %s: %v: %s\nbotocore's account of the exchanges:\n%s", strings.Join(args, " "), err,
		strings.Join(said, "\n"), strings.Join(exchange, "\n"))
}

// cliFailure matches the CLI's own report of what failed; botocoreRecord
// the first line of a debug record (the rest of a record, such as a
// canonical request, follows on lines of its own); botocoreExchange the
// records that tell a request's exchange.
var (
	cliFailure       = regexp.MustCompile(`^((upload|download|copy|delete) failed|fatal error): `)
	botocoreRecord   = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - `)
	botocoreExchange = regexp.MustCompile(`Sending http request|100 Continue|continuing to send|Response headers|Retry needed|[Rr]ead timeout|timed out|Starting new HTTP|Resetting dropped|ConnectionClosed|reset by peer`)
)

func awsCLISuite(t *testing.T, e *s3Env) {
	cli := newAWSCLI(t, e)
	bucket := bucketName("cli")
	cli.must(t, "s3", "mb", "s3://"+bucket)
	files := []fixture{e.fx.small, e.fx.exact8, e.fx.over8, e.fx.big}
	for _, f := range files {
		t.Run("cp/"+filepath.Base(f.path), func(t *testing.T) { cliCopy(t, cli, bucket, f) })
	}
	t.Run("ls", func(t *testing.T) { cliList(t, cli, bucket, files) })
	t.Run("head-object", func(t *testing.T) { cliHead(t, cli, bucket) })
	t.Run("rm", func(t *testing.T) { cliRemove(t, cli, bucket) })
	t.Run("sync", func(t *testing.T) { cliSync(t, cli, bucket) })
	t.Run("empty then data on one connection", func(t *testing.T) { cliEmptyThenData(t, cli, bucket) })
	t.Run("framing", func(t *testing.T) { cliFraming(t, e, bucket) })
}

// cliFraming reads the gateway's request log: botocore sends its uploads
// with Transfer-Encoding: chunked (no length) over TLS only.
func cliFraming(t *testing.T, e *s3Env, bucket string) {
	raw, err := os.ReadFile(e.cluster.GatewayLogPath())
	if err != nil {
		t.Skipf("no gateway log: %v", err)
	}
	var chunked, sized int
	for line := range strings.Lines(string(raw)) {
		var entry struct {
			Method, URI string
			BytesIn     *int64 `json:"bytes_in"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Method != "PUT" || entry.BytesIn == nil ||
			!strings.HasPrefix(entry.URI, "/"+bucket+"/") {
			continue
		}
		if *entry.BytesIn < 0 {
			chunked++
		} else {
			sized++
		}
	}
	if chunked+sized == 0 {
		t.Skip("the gateway log has no PUT lines with bytes_in for this bucket")
	}
	if e.secure && sized > 0 || !e.secure && chunked > 0 {
		t.Errorf("CLI uploads: %d without and %d with a length; want all chunked over TLS, all sized over HTTP", chunked, sized)
	}
}

// cliCopy uploads a fixture with aws s3 cp (multipart from 8 MiB on) and
// downloads it again (ranged parallel GETs from 8 MiB on).
func cliCopy(t *testing.T, cli *awsCLI, bucket string, f fixture) {
	remote := "s3://" + bucket + "/cp/" + filepath.Base(f.path)
	cli.must(t, "s3", "cp", "--only-show-errors", f.path, remote)
	local := filepath.Join(t.TempDir(), "down.bin")
	cli.must(t, "s3", "cp", "--only-show-errors", remote, local)
	if got, n := fileSHA(t, local); got != f.sha || n != f.size {
		t.Fatalf("aws s3 cp down = %d bytes sha256 %s; want %d bytes %s", n, got, f.size, f.sha)
	}
}

func cliList(t *testing.T, cli *awsCLI, bucket string, files []fixture) {
	out := cli.must(t, "s3", "ls", "s3://"+bucket+"/cp/")
	for _, f := range files {
		line := fmt.Sprintf("%d %s", f.size, filepath.Base(f.path))
		if !strings.Contains(out, line) {
			t.Errorf("aws s3 ls lacks %q:\n%s", line, out)
		}
	}
	if out := cli.must(t, "s3", "ls"); !strings.Contains(out, bucket) {
		t.Errorf("aws s3 ls (buckets) lacks %s:\n%s", bucket, out)
	}
}

// cliHead checks head-object on the 8 MiB+1 object, stored in two parts.
func cliHead(t *testing.T, cli *awsCLI, bucket string) {
	out := cli.must(t, "s3api", "head-object", "--bucket", bucket, "--key", "cp/over8.bin")
	var head struct {
		ContentLength int64
		ETag          string
		LastModified  string
	}
	if err := json.Unmarshal([]byte(out), &head); err != nil {
		t.Fatalf("head-object output %q: %v", out, err)
	}
	if head.ContentLength != 8<<20+1 || !strings.HasSuffix(head.ETag, `-2"`) || head.LastModified == "" {
		t.Errorf("head-object = %+v; want ContentLength %d, a 2-part ETag and LastModified", head, 8<<20+1)
	}
}

func cliRemove(t *testing.T, cli *awsCLI, bucket string) {
	cli.must(t, "s3", "rm", "--only-show-errors", "s3://"+bucket+"/cp/small.bin")
	_, err := cli.run(t.Context(), "s3api", "head-object", "--bucket", bucket, "--key", "cp/small.bin")
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("head-object after rm: %v; want a 404", err)
	}
}

// cliSync syncs a small tree up and down again and compares every file.
func cliSync(t *testing.T, cli *awsCLI, bucket string) {
	src := t.TempDir()
	tree := map[string][]byte{
		"a.txt":                   []byte("alpha\n"),
		"sub/b.bin":               randomBytes(1101, 70<<10),
		"sub/deeper/c d.txt":      []byte("with a space\n"),
		"sub/deeper/e+f=g.bin":    randomBytes(1102, 1<<20+1),
		"sub/deeper/empty.txt":    {},
		"sub/ünïcödé/€uro%41.txt": []byte("unicode\n"),
	}
	for name, data := range tree {
		path := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cli.mustTraced(t, "s3", "sync", "--only-show-errors", src, "s3://"+bucket+"/tree")
	dst := t.TempDir()
	cli.mustTraced(t, "s3", "sync", "--only-show-errors", "s3://"+bucket+"/tree", dst)
	got := readTree(t, dst)
	for name, want := range tree {
		if !bytes.Equal(got[name], want) {
			t.Errorf("synced %s = %d bytes; want %d bytes equal to the source", name, len(got[name]), len(want))
		}
	}
	if names, want := sortedKeys(got), sortedKeys(tree); !slices.Equal(names, want) {
		t.Errorf("synced tree = %q; want %q", names, want)
	}
}

// cliEmptyThenData uploads empty and non-empty files through the one
// connection a single worker keeps. botocore sends "Expect: 100-continue"
// with each; when an empty one is answered without a 100 Continue,
// botocore keeps that answer's status line for the connection's next
// request and so never reads the next answer: that upload waits for the
// read timeout. That is how the sync above timed out in CI, twice. The
// CLI mostly uploads a sync's files in the order of their names, which
// alternate here, but not always: so there are four of each.
func cliEmptyThenData(t *testing.T, cli *awsCLI, bucket string) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte("[default]\ns3 =\n    max_concurrent_requests = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := *cli
	one.env = append(slices.Clone(cli.env), "AWS_CONFIG_FILE="+config) // the last value of a key wins
	src := filepath.Join(dir, "tree")
	tree := map[string][]byte{}
	for i := range 4 {
		tree[fmt.Sprintf("%d-empty", 2*i)] = []byte{}
		tree[fmt.Sprintf("%d-data", 2*i+1)] = []byte(fmt.Sprintf("data %d\n", i))
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range tree {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	remote := "s3://" + bucket + "/empty-then-data"
	one.mustTraced(t, "s3", "sync", "--only-show-errors", "--cli-read-timeout", "10", src, remote)
	for name, want := range tree {
		if got := cli.must(t, "s3", "cp", remote+"/"+name, "-"); got != string(want) {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
}

// readTree reads every file under root, keyed by slash-separated path.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	walk(t, root, func(rel string, d fs.DirEntry) {
		if d.IsDir() {
			return
		}
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.ToSlash(rel)] = data
	})
	return files
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
