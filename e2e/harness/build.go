package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binaries are the paths of the two sixfold programs.
type Binaries struct {
	StorageNode string
	Gateway     string
}

// binariesIn names the programs inside dir.
func binariesIn(dir string) Binaries {
	return Binaries{
		StorageNode: filepath.Join(dir, "storagenode"),
		Gateway:     filepath.Join(dir, "gateway"),
	}
}

// BinariesIn returns the storagenode and gateway prebuilt in dir.
func BinariesIn(dir string) (Binaries, error) {
	b := binariesIn(dir)
	return b, b.check()
}

func (b Binaries) check() error {
	for _, path := range []string{b.StorageNode, b.Gateway} {
		if !isExecutable(path) {
			return fmt.Errorf("harness: %s is missing or not executable", path)
		}
	}
	return nil
}

// BuildBinaries builds storagenode and gateway from the workspace at
// repoRoot into outDir and returns their paths. If SIXFOLD_BIN_DIR is set, it
// builds nothing and returns the prebuilt programs there instead.
func BuildBinaries(ctx context.Context, repoRoot, outDir string) (Binaries, error) {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		return BinariesIn(dir)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Binaries{}, err
	}
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return Binaries{}, err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", outDir+string(filepath.Separator),
		"./storagenode/cmd/storagenode", "./gateway/cmd/gateway")
	cmd.Dir = repoRoot
	// Name the workspace explicitly: a GOWORK=off in the caller's environment
	// (handy for testing one module alone) would otherwise break the build.
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(repoRoot, "go.work"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("harness: go build in %s: %w\n%s", repoRoot, err, out)
	}
	b := binariesIn(outDir)
	return b, b.check()
}

// FindRepoRoot returns the nearest directory at or above the working
// directory that holds go.work: the sixfold workspace root.
func FindRepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return findRepoRootFrom(wd)
}

func findRepoRootFrom(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", errors.New("harness: no go.work at or above " + dir + "; run from inside the sixfold repository")
		}
	}
}
