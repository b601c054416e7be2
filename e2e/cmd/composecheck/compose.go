package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// project is the part of a compose file the checks read. Compose's
// extension fields (x-...) and anchors are resolved by the YAML decoder.
type project struct {
	Services map[string]*service `yaml:"services"`
	Volumes  map[string]any      `yaml:"volumes"`
	// dir is the project directory relative paths resolve against.
	dir string
}

// service is one compose service, with its string values interpolated.
type service struct {
	Image       string       `yaml:"image"`
	Build       *build       `yaml:"build"`
	Command     stringList   `yaml:"command"`
	Environment envMap       `yaml:"environment"`
	Ports       []port       `yaml:"ports"`
	Volumes     []mount      `yaml:"volumes"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Restart     string       `yaml:"restart"`
}

// build is the short (a context path) or long form of build.
type build struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// UnmarshalYAML accepts "build: path" and "build: {context, dockerfile}".
func (b *build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	type plain build
	return n.Decode((*plain)(b))
}

// stringList is a list, or a string split at spaces (command, test).
type stringList []string

// UnmarshalYAML accepts a sequence or a space-separated string.
func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = strings.Fields(n.Value)
		return nil
	}
	return n.Decode((*[]string)(l))
}

// envMap is environment in its map or its KEY=VALUE list form.
type envMap map[string]string

// UnmarshalYAML accepts both forms; scalars of any type become strings
// and a null value the empty string.
func (m *envMap) UnmarshalYAML(n *yaml.Node) error {
	out := envMap{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
		*m = out
		return nil
	}
	var raw map[string]any // decoding to a map resolves << merge keys
	if err := n.Decode(&raw); err != nil {
		return err
	}
	for k, v := range raw {
		if v != nil {
			out[k] = fmt.Sprint(v)
		} else {
			out[k] = ""
		}
	}
	*m = out
	return nil
}

// port is one ports entry: the container port, and the published one if any.
type port struct{ Published, Target string }

// UnmarshalYAML accepts "[ip:]published:target[/proto]", "target" and the
// long form {target, published}.
func (p *port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		spec, _, _ := strings.Cut(n.Value, "/")
		parts := strings.Split(spec, ":")
		p.Target = parts[len(parts)-1]
		if len(parts) > 1 {
			p.Published = parts[len(parts)-2]
		}
		return nil
	}
	var long struct {
		Target    any `yaml:"target"`
		Published any `yaml:"published"`
	}
	if err := n.Decode(&long); err != nil {
		return err
	}
	p.Target, p.Published = fmt.Sprint(long.Target), fmt.Sprint(long.Published)
	return nil
}

// mount is one volumes entry of a service.
type mount struct{ Source, Target string }

// UnmarshalYAML accepts "source:target[:mode]", "target" (anonymous) and
// the long form {source, target}.
func (m *mount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		parts := strings.Split(n.Value, ":")
		if len(parts) == 1 {
			m.Target = parts[0]
			return nil
		}
		m.Source, m.Target = parts[0], parts[1]
		return nil
	}
	type plain struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	}
	return n.Decode((*plain)(m))
}

// bind reports whether the mount is a host path rather than a named volume.
func (m mount) bind() bool {
	return strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, "~")
}

// healthcheck is a service's healthcheck.
type healthcheck struct {
	Test    stringList `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// dependsOn is depends_on in its list or map form: the service names.
type dependsOn []string

// UnmarshalYAML accepts both forms.
func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		return n.Decode((*[]string)(d))
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return err
	}
	for name := range m {
		*d = append(*d, name)
	}
	return nil
}

// loadProject parses the compose file at path, with dir as the project
// directory (compose's default is the file's own directory), and
// interpolates every string the checks read.
func loadProject(path, dir string) (*project, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &project{}
	if err := yaml.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("%s does not parse: %w", path, err)
	}
	if len(p.Services) == 0 {
		return nil, fmt.Errorf("%s defines no services", path)
	}
	p.dir = dir
	var errs []error
	for name, s := range p.Services {
		if err := s.interpolateAll(); err != nil {
			errs = append(errs, fmt.Errorf("service %s: %w", name, err))
		}
	}
	return p, errors.Join(errs...)
}

// interpolateAll replaces ${VAR...} in the values the checks read.
func (s *service) interpolateAll() error {
	var errs []error
	sub := func(v *string) {
		out, err := interpolate(*v)
		if err != nil {
			errs = append(errs, err)
		}
		*v = out
	}
	for k, v := range s.Environment {
		sub(&v)
		s.Environment[k] = v
	}
	for i := range s.Command {
		sub(&s.Command[i])
	}
	for i := range s.Ports {
		sub(&s.Ports[i].Published)
		sub(&s.Ports[i].Target)
	}
	for i := range s.Volumes {
		sub(&s.Volumes[i].Source)
		sub(&s.Volumes[i].Target)
	}
	if s.Build != nil {
		sub(&s.Build.Context)
		sub(&s.Build.Dockerfile)
	}
	return errors.Join(errs...)
}

// variable matches $$, $NAME and ${NAME[:-|-|:?|?]...}.
var variable = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate resolves compose variables as compose does from this
// process's environment (no .env file is read): a variable that is set
// (and non-empty, for the ":" forms) is its value; otherwise
// ${VAR:-default} and ${VAR-default} take the default, ${VAR} and $VAR
// become empty, ${VAR:?msg} is an error (compose would refuse to start
// without VAR), and $$ is a literal $. make compose-check sets only the
// variables the file requires, so the check passes when the file works
// for someone who sets just those.
func interpolate(s string) (string, error) {
	var err error
	out := variable.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := variable.FindStringSubmatch(m)
		name := g[1] + g[4]
		if v, ok := os.LookupEnv(name); ok && (v != "" || !strings.HasPrefix(g[2], ":")) {
			return v
		}
		switch {
		case g[2] == ":-" || g[2] == "-":
			return g[3]
		case g[2] == ":?" || g[2] == "?":
			err = fmt.Errorf("${%s} must be set: %s", g[1], g[3])
		}
		return ""
	})
	return out, err
}

// resolve returns path relative to the project directory.
func (p *project) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}
