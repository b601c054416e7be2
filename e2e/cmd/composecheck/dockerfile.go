package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// checkNonRoot reads the Dockerfile at path and reports an error unless
// its final stage runs as a non-root user: a USER line naming neither
// root nor uid 0, or, without one, a base image tagged nonroot (such as
// gcr.io/distroless/static-debian12:nonroot).
func checkNonRoot(path string) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("Dockerfile %s does not exist", path)
	}
	if err != nil {
		return fmt.Errorf("Dockerfile: %w", err)
	}
	base, user := finalStage(string(raw))
	if base == "" {
		return fmt.Errorf("Dockerfile %s has no FROM line", path)
	}
	name, _, _ := strings.Cut(user, ":")
	switch {
	case user == "" && !strings.Contains(base, "nonroot"):
		return fmt.Errorf("Dockerfile %s: the final stage (FROM %s) has no USER line and its base is not a nonroot image, so it runs as root", path, base)
	case name == "root" || name == "0":
		return fmt.Errorf("Dockerfile %s: the final stage runs as root (USER %s)", path, user)
	}
	return nil
}

// finalStage returns the base image and the last USER of the Dockerfile's
// last stage ("" when it has none). Continuation lines are joined and
// comments dropped.
func finalStage(dockerfile string) (base, user string) {
	for _, line := range instructions(dockerfile) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			base, user = fromImage(fields[1:]), ""
		case "USER":
			user = fields[1]
		}
	}
	return base, user
}

// fromImage is the image of a FROM line's arguments, past flags such as
// --platform.
func fromImage(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			return a
		}
	}
	return ""
}

// instructions splits a Dockerfile into instructions, joining lines that
// end with a backslash and dropping comments and blank lines.
func instructions(dockerfile string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(dockerfile, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(trimmed)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
