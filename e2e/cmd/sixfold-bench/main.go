// Command sixfold-bench measures one round trip through /files: it streams
// a pseudo-random body of -size bytes up (with its exact Content-Length),
// downloads it, compares SHA-256s and prints MiB/s each way. With -pids it
// also prints the peak RSS (VmHWM) of those processes afterwards.
//
//	sixfold-bench -url http://127.0.0.1:8080 -size 10GiB -pids "$(pgrep -d, gateway)"
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "gateway URL")
	size := flag.String("size", "1GiB", "body size: bytes, or with KiB/MiB/GiB")
	user := flag.String("user", envOr("SIXFOLD_ROOT_USER", "sixfoldadmin"), "access key")
	pass := flag.String("password", envOr("SIXFOLD_ROOT_PASSWORD", "sixfoldadmin-secret"), "secret")
	pids := flag.String("pids", "", "comma-separated pids whose VmHWM to report")
	flag.Parse()
	n, err := parseSize(*size)
	if err == nil {
		err = run(*url, *user, *pass, n, *pids)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sixfold-bench:", err)
		os.Exit(1)
	}
}

func run(url, user, pass string, size int64, pids string) error {
	up := sha256.New()
	body := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{7}), size), up)
	req, _ := http.NewRequest(http.MethodPost, url+"/files?filename=bench.bin", body)
	req.ContentLength = size
	req.SetBasicAuth(user, pass)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var created struct {
		FileID   string `json:"file_id"`
		Checksum string `json:"checksum"`
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &created) != nil {
		return fmt.Errorf("upload: %s %s", resp.Status, raw)
	}
	report("upload", size, time.Since(start))
	get, _ := http.NewRequest(http.MethodGet, url+"/files/"+created.FileID, nil)
	get.SetBasicAuth(user, pass)
	start = time.Now()
	resp, err = http.DefaultClient.Do(get)
	if err != nil {
		return err
	}
	down := sha256.New()
	n, err := io.Copy(down, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	report("download", n, time.Since(start))
	sent, got := hex.EncodeToString(up.Sum(nil)), hex.EncodeToString(down.Sum(nil))
	if sent != got || created.Checksum != sent {
		return fmt.Errorf("sha256 sent %s, stored %s, received %s", sent, created.Checksum, got)
	}
	fmt.Println("sha256 equal:", sent)
	for _, pid := range strings.Split(pids, ",") {
		if pid != "" {
			fmt.Printf("pid %s VmHWM %s\n", pid, vmHWM(pid))
		}
	}
	return nil
}

func report(what string, n int64, d time.Duration) {
	fmt.Printf("%-8s %d bytes in %.1f s: %.0f MiB/s\n", what, n, d.Seconds(), float64(n)/(1<<20)/d.Seconds())
}

func vmHWM(pid string) string {
	raw, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func parseSize(s string) (int64, error) {
	for suffix, mult := range map[string]int64{"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			return n * mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
