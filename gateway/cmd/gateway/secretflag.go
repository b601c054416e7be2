package main

// secretFlag is a string flag that never shows its value: -h prints a
// flag's default, and the default of -password comes from the
// environment.
type secretFlag struct{ p *string }

func (f secretFlag) String() string { return "" }

func (f secretFlag) Set(v string) error {
	*f.p = v
	return nil
}
