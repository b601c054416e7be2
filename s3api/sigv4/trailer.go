package sigv4

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"strings"
)

// maxTrailerSection bounds everything after the final chunk: a checksum line
// and a signature line take under 200 bytes.
const maxTrailerSection = 16 << 10

const trailerSignatureName = "x-amz-trailer-signature"

// trailer is one "name:value" line after the final aws-chunk.
type trailer struct{ name, value string }

// trailerSet is the parsed trailer section.
type trailerSet struct {
	fields    []trailer // in the order sent, without the signature
	signature []byte    // raw x-amz-trailer-signature, nil if absent
}

// canonical is what the trailer signature covers: "name:value\n" per field.
func (t trailerSet) canonical() []byte {
	var b bytes.Buffer
	for _, f := range t.fields {
		b.WriteString(f.name + ":" + f.value + "\n")
	}
	return b.Bytes()
}

// get returns the value of the named trailer.
func (t trailerSet) get(name string) (string, bool) {
	for _, f := range t.fields {
		if f.name == name {
			return f.value, true
		}
	}
	return "", false
}

// parseTrailers reads the trailer section up to the end of the body. It is
// lenient about line ends because clients differ: botocore and go-v2 end
// lines with CRLF, minio-go ends the checksum line with a bare LF followed by
// CRLF and only then sends x-amz-trailer-signature, so stopping at the first
// empty line would miss the signature. Blank lines are skipped and the
// section ends at EOF. Reads stop at maxTrailerSection bytes; each line is
// bounded by src's buffer size.
func parseTrailers(src *bufio.Reader) (trailerSet, error) {
	var t trailerSet
	budget := maxTrailerSection
	for {
		line, err := src.ReadSlice('\n')
		if budget -= len(line); budget < 0 || err == bufio.ErrBufferFull {
			return trailerSet{}, malformedTrailer("trailer section too large")
		}
		if err != nil && err != io.EOF {
			return trailerSet{}, err
		}
		if perr := t.addLine(string(line)); perr != nil {
			return trailerSet{}, perr
		}
		if err == io.EOF {
			return t, nil
		}
	}
}

// addLine parses one trailer line into t. The signature must come last, so
// that nothing after it can claim to be covered by it.
func (t *trailerSet) addLine(line string) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
	switch {
	case !ok || !validHeaderName(name):
		return malformedTrailer("trailer line is not name:value")
	case t.signature != nil:
		return malformedTrailer("trailer after " + trailerSignatureName)
	case name == trailerSignatureName:
		return t.setSignature(value)
	}
	if _, dup := t.get(name); dup {
		return malformedTrailer("repeated trailer " + name)
	}
	t.fields = append(t.fields, trailer{name, value})
	return nil
}

func (t *trailerSet) setSignature(value string) error {
	sig, err := hex.DecodeString(value)
	if err != nil || len(sig) != 32 {
		return malformedTrailer(trailerSignatureName + " must be 64 hex digits")
	}
	t.signature = sig
	return nil
}

func malformedTrailer(msg string) *Error {
	return newError(CodeMalformedTrailerError, msg)
}
