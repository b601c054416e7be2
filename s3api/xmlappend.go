package s3api

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// xmlAppender is a document that writes itself. Listing pages implement it
// because encoding/xml's reflection was a quarter of a 1,000-key page's CPU;
// TestAppendedXMLMatchesMarshal holds every implementation to the exact bytes
// xml.Marshal produces, so the two can never drift apart.
type xmlAppender interface {
	appendXML(b []byte) []byte
}

const listBucketResultOpen = `<ListBucketResult xmlns="` + s3NS + `">`

func (doc listBucketResultV2) appendXML(b []byte) []byte {
	b = append(b, listBucketResultOpen...)
	b = appendElem(b, "Name", doc.Name)
	b = appendKeyElem(b, "Prefix", doc.Prefix)
	if doc.Delimiter != "" {
		b = appendKeyElem(b, "Delimiter", doc.Delimiter)
	}
	b = appendInt(b, "MaxKeys", int64(doc.MaxKeys))
	b = appendInt(b, "KeyCount", int64(doc.KeyCount))
	b = appendBool(b, "IsTruncated", doc.IsTruncated)
	if doc.EncodingType != "" {
		b = appendElem(b, "EncodingType", doc.EncodingType)
	}
	if doc.ContinuationToken != nil {
		b = appendElem(b, "ContinuationToken", *doc.ContinuationToken)
	}
	if doc.NextContinuationToken != "" {
		b = appendElem(b, "NextContinuationToken", doc.NextContinuationToken)
	}
	if doc.StartAfter != "" {
		b = appendKeyElem(b, "StartAfter", doc.StartAfter)
	}
	b = appendListEntries(b, doc.Contents, doc.CommonPrefixes)
	return append(b, "</ListBucketResult>"...)
}

func (doc listBucketResultV1) appendXML(b []byte) []byte {
	b = append(b, listBucketResultOpen...)
	b = appendElem(b, "Name", doc.Name)
	b = appendKeyElem(b, "Prefix", doc.Prefix)
	b = appendKeyElem(b, "Marker", doc.Marker)
	if doc.NextMarker != "" {
		b = appendKeyElem(b, "NextMarker", doc.NextMarker)
	}
	if doc.Delimiter != "" {
		b = appendKeyElem(b, "Delimiter", doc.Delimiter)
	}
	b = appendInt(b, "MaxKeys", int64(doc.MaxKeys))
	b = appendBool(b, "IsTruncated", doc.IsTruncated)
	if doc.EncodingType != "" {
		b = appendElem(b, "EncodingType", doc.EncodingType)
	}
	b = appendListEntries(b, doc.Contents, doc.CommonPrefixes)
	return append(b, "</ListBucketResult>"...)
}

// appendListEntries writes a page's objects and prefixes, first growing b
// once to about their size: growing by doubling was half the time of a
// 1,000-key page.
func appendListEntries(b []byte, contents []objectEntry, prefixes []commonPrefix) []byte {
	const perObject, perOwner, perPrefix = 140, 60, 40 // the tags' bytes
	size := len("</ListBucketResult>")
	for _, e := range contents {
		size += perObject + len(e.Key) + len(e.LastModified) + len(e.ETag) + 20 + len(e.StorageClass)
		if e.Owner != nil {
			size += perOwner + len(e.Owner.ID) + len(e.Owner.DisplayName)
		}
	}
	for _, p := range prefixes {
		size += perPrefix + len(p.Prefix)
	}
	b = slices.Grow(b, size)
	for _, e := range contents {
		b = append(b, "<Contents>"...)
		b = appendKeyElem(b, "Key", e.Key)
		b = appendElem(b, "LastModified", e.LastModified)
		b = appendElem(b, "ETag", e.ETag)
		b = appendInt(b, "Size", e.Size)
		if e.Owner != nil {
			b = append(b, "<Owner>"...)
			b = appendElem(b, "ID", e.Owner.ID)
			b = appendElem(b, "DisplayName", e.Owner.DisplayName)
			b = append(b, "</Owner>"...)
		}
		b = appendElem(b, "StorageClass", e.StorageClass)
		b = append(b, "</Contents>"...)
	}
	for _, p := range prefixes {
		b = append(b, "<CommonPrefixes>"...)
		b = appendKeyElem(b, "Prefix", p.Prefix)
		b = append(b, "</CommonPrefixes>"...)
	}
	return b
}

func appendOpen(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendClose(b []byte, name string) []byte {
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendElem writes a string element as encoding/xml does.
func appendElem(b []byte, name, text string) []byte {
	b = appendOpen(b, name)
	b = appendEscaped(b, text)
	return appendClose(b, name)
}

// appendKeyElem writes a key element as keyText.MarshalXML does.
func appendKeyElem(b []byte, name string, key keyText) []byte {
	b = appendOpen(b, name)
	b = appendKeyText(b, string(key))
	return appendClose(b, name)
}

func appendInt(b []byte, name string, n int64) []byte {
	b = appendOpen(b, name)
	b = strconv.AppendInt(b, n, 10)
	return appendClose(b, name)
}

func appendBool(b []byte, name string, v bool) []byte {
	b = appendOpen(b, name)
	b = strconv.AppendBool(b, v)
	return appendClose(b, name)
}

// appendEscaped escapes s exactly as encoding/xml escapes a string field:
// the five specials and tab, LF and CR as references, and anything that is
// not an XML character (invalid UTF-8 included) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if isXMLChar(r) && (r != utf8.RuneError || width != 1) {
				continue
			}
			esc = "\uFFFD"
		}
		b = append(b, s[last:i-width]...)
		b = append(b, esc...)
		last = i
	}
	return append(b, s[last:]...)
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
