package s3api

import (
	"context"
	"strconv"
)

// listParts answers GET /b/k?uploadId=U.
func (h *handler) listParts(q *request) (*response, error) {
	limit, err := parseMax(q.query.Get("max-parts"), "max-parts")
	if err != nil {
		return nil, err
	}
	marker, err := parsePartMarker(q.query.Get("part-number-marker"))
	if err != nil {
		return nil, err
	}
	id := q.query.Get("uploadId")
	parts, truncated, err := h.backend.ListParts(q.r.Context(), q.target.bucket, q.target.key, id, marker, limit)
	if err != nil {
		return nil, err
	}
	doc := listPartsResult{Bucket: q.target.bucket, Key: q.target.key, UploadID: id,
		Initiator: storeOwner, Owner: storeOwner, StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: limit, IsTruncated: truncated, Parts: []partEntry{}}
	for _, p := range parts {
		doc.Parts = append(doc.Parts, newPartEntry(p))
		doc.NextPartNumberMarker = p.PartNumber
	}
	return xmlResponse(doc), nil
}

// parsePartMarker reads part-number-marker: empty or 0..10000.
func parsePartMarker(value string) (int, error) {
	if value == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 || n > maxPartNumber {
		return 0, errorf(codeInvalidArgument, "Invalid part-number-marker")
	}
	return n, nil
}

// newPartEntry renders a part with its checksums.
func newPartEntry(p PartInfo) partEntry {
	return partEntry{
		PartNumber: p.PartNumber, LastModified: xmlTime(p.LastModified), ETag: quoteETag(p.ETag), Size: p.Size,
		ChecksumCRC32: p.Checksums["CRC32"], ChecksumCRC32C: p.Checksums["CRC32C"],
		ChecksumCRC64NVME: p.Checksums["CRC64NVME"], ChecksumSHA1: p.Checksums["SHA1"],
		ChecksumSHA256: p.Checksums["SHA256"],
	}
}

// listMultipartUploads answers GET /b?uploads. The delimiter is not
// supported and is ignored: every upload is listed by itself.
func (h *handler) listMultipartUploads(q *request) (*response, error) {
	limit, err := parseMax(q.query.Get("max-uploads"), "max-uploads")
	if err != nil {
		return nil, err
	}
	opts := listOptions{prefix: q.query.Get("prefix")}
	if opts.urlEncoding, err = parseEncodingType(q.query.Get("encoding-type")); err != nil {
		return nil, err
	}
	keyMarker, idMarker := q.query.Get("key-marker"), q.query.Get("upload-id-marker")
	if err := checkListStrings(opts.prefix, keyMarker, idMarker); err != nil {
		return nil, err
	}
	uploads, truncated, err := h.uploadsAfter(q.r.Context(), q.target.bucket, opts.prefix, keyMarker, idMarker, limit)
	if err != nil {
		return nil, err
	}
	doc := listMultipartUploadsResult{Bucket: q.target.bucket, KeyMarker: opts.encode(keyMarker),
		UploadIDMarker: idMarker, Prefix: opts.encode(opts.prefix), MaxUploads: limit,
		IsTruncated: truncated, EncodingType: opts.encodingType(), Uploads: []uploadEntry{}}
	for _, u := range uploads {
		doc.Uploads = append(doc.Uploads, uploadEntry{Key: opts.encode(u.Key), UploadID: u.UploadID,
			Initiator: storeOwner, Owner: storeOwner, StorageClass: "STANDARD", Initiated: xmlTime(u.Initiated)})
		doc.NextKeyMarker, doc.NextUploadIDMarker = opts.encode(u.Key), u.UploadID
	}
	return xmlResponse(doc), nil
}

// uploadsAfter lists uploads after the markers as S3 defines them: with
// an upload-id-marker, after the (key, id) pair; without one, only keys
// greater than key-marker, so the marker key's own uploads are skipped.
func (h *handler) uploadsAfter(ctx context.Context, bucket, prefix, keyMarker, idMarker string, limit int) ([]Upload, bool, error) {
	skipMarkerKey := keyMarker != "" && idMarker == "" && limit > 0
	for {
		uploads, truncated, err := h.backend.ListMultipartUploads(ctx, bucket, prefix, keyMarker, idMarker, limit)
		if err != nil || !skipMarkerKey {
			return uploads, truncated, err
		}
		i := 0
		for i < len(uploads) && uploads[i].Key == keyMarker {
			i++
		}
		if i < len(uploads) || !truncated {
			return uploads[i:], truncated, nil
		}
		idMarker = uploads[i-1].UploadID
	}
}
