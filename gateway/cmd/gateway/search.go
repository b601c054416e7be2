package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// searchOpts are the flags of "gateway admin search".
type searchOpts struct {
	bucket, sort, order string
	limit               int
	all, total          bool
}

func searchFlags(fs *flag.FlagSet) *searchOpts {
	o := &searchOpts{}
	fs.StringVar(&o.bucket, "bucket", "", "search: the S3 bucket to search (default: the /files uploads)")
	fs.StringVar(&o.sort, "sort", "", "search: key, size, created or modified")
	fs.StringVar(&o.order, "order", "", "search: asc or desc")
	fs.IntVar(&o.limit, "limit", 100, "search: hits per page (1-1000)")
	fs.BoolVar(&o.all, "all", false, "search: follow next_cursor to the last page")
	fs.BoolVar(&o.total, "total", false, "search: also count every match")
	return o
}

// searchHit is the part of a search hit the table shows.
type searchHit struct {
	FileID      string    `json:"file_id"`
	Filename    string    `json:"filename"`
	Key         string    `json:"key"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	CreatedAt   time.Time `json:"created_at"`
}

type searchPage struct {
	Files      []searchHit `json:"files"`
	NextCursor string      `json:"next_cursor"`
	Total      *int64      `json:"total"`
}

// runSearch runs "search [flags] QUERY" through GET /files?q= or
// GET /files/search and prints the hits as a table (or JSON).
func runSearch(ctx context.Context, c *adminClient, o *searchOpts, args []string, w io.Writer) error {
	asJSON := c.jsonOut // -json: each page as the gateway sent it
	if len(args) > 1 {
		return fmt.Errorf("%w: search [flags] 'QUERY' (quote the query as one argument), got %d arguments", errUsage, len(args))
	}
	q := url.Values{"limit": {strconv.Itoa(o.limit)}}
	if len(args) == 1 {
		q.Set("q", args[0])
	}
	for k, v := range map[string]string{"sort": o.sort, "order": o.order, "bucket": o.bucket} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.total {
		q.Set("total", "true")
	}
	path := "/files"
	if o.bucket != "" {
		path = "/files/search"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !asJSON {
		fmt.Fprintln(tw, "NAME\tSIZE\tCONTENT-TYPE\tCREATED\tID")
	}
	shown, total := 0, (*int64)(nil)
	for {
		raw, err := c.getRaw(ctx, path+"?"+q.Encode())
		if err != nil {
			return queryError(err, args)
		}
		var page searchPage
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("GET %s: %v", path, err)
		}
		if asJSON {
			fmt.Fprintln(w, string(raw))
		}
		for _, h := range page.Files {
			if !asJSON {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Key+h.Filename, humanBytes(h.Size), h.ContentType,
					h.CreatedAt.UTC().Format(time.RFC3339), h.FileID)
			}
		}
		shown += len(page.Files)
		if page.Total != nil {
			total = page.Total
			q.Del("total") // counted once, on the first page
		}
		if page.NextCursor == "" || !o.all {
			if err := tw.Flush(); err != nil {
				return err
			}
			if page.NextCursor != "" && !asJSON {
				fmt.Fprintf(w, "%d shown; more follow (-all to list them)\n", shown)
			}
			if total != nil && !asJSON {
				fmt.Fprintf(w, "total: %d matching\n", *total)
			}
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

// queryErr is a refused query: the gateway's message and where.
type queryErr struct {
	msg string
	pos int
}

func (e *queryErr) Error() string { return e.msg }

// queryError points at the refused spot of the query under it.
func queryError(err error, args []string) error {
	var qe *queryErr
	if !errors.As(err, &qe) || qe.pos < 1 || len(args) != 1 {
		return err
	}
	return fmt.Errorf("%s\n  %s\n  %s^", qe.msg, args[0], strings.Repeat(" ", qe.pos-1))
}

// getRaw GETs path and returns a 200 body; a 400 naming a query position
// is a *queryErr.
func (c *adminClient) getRaw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return raw, nil
	}
	var body struct {
		Error struct {
			Code, Message string
			Position      int
		} `json:"error"`
	}
	if resp.StatusCode == http.StatusBadRequest && json.Unmarshal(raw, &body) == nil && body.Error.Position > 0 {
		return nil, &queryErr{msg: body.Error.Code + ": " + body.Error.Message, pos: body.Error.Position}
	}
	resp.Body = io.NopCloser(strings.NewReader(string(raw)))
	return nil, responseError(http.MethodGet, path, resp)
}
