package s3api

import "testing"

// The parsing is byterange's; this checks the S3 door's answer to a range
// that selects no byte, and that an ignored range serves the whole object.
func TestParseRangeAnswersInvalidRange(t *testing.T) {
	if _, ok, err := parseRange("bytes=100-", 100); ok || errCode(err) != codeInvalidRange {
		t.Errorf("bytes=100- of 100: ok=%v err=%v; want InvalidRange", ok, err)
	}
	if _, ok, err := parseRange("bytes=5-4", 100); ok || err != nil {
		t.Errorf("bytes=5-4: ok=%v err=%v; want ignored", ok, err)
	}
	if r, ok, err := parseRange("bytes=-10", 100); !ok || err != nil || r.Start != 90 || r.Length != 10 {
		t.Errorf("bytes=-10 = %+v ok=%v err=%v; want the last 10 bytes", r, ok, err)
	}
}
