// Package filesapi is the gateway's JSON door: /files (upload, download,
// info, list, delete, and search over both doors' objects) for plain curl.
// The server (package server) checks Basic credentials before any of its
// routes runs; each route then asks the policy for its own action.
package filesapi

import (
	"github.com/labstack/echo/v4"

	"sixfold/gateway/auth"
	"sixfold/gateway/objects"
	"sixfold/gateway/search"
	"sixfold/gateway/server"
	"sixfold/gateway/spool"
)

// Config is what the door calls.
type Config struct {
	Objects *objects.Service
	// Keys names the identity an access key's uploads are recorded under.
	// Optional: nil records none.
	Keys *auth.KeyStore
	// Authorize decides whether an access key may perform an IAM action
	// on a resource ARN. Optional: nil allows every authenticated key.
	Authorize func(accessKey, action, resource string) bool
	// Scope lists the resource patterns an access key's policy allows
	// and denies for an action, so that searches return only what the key
	// may read. Optional: nil limits searches by Authorize alone.
	Scope func(accessKey, action string) (allow, deny []string)
	// Search answers GET /files?q=… and GET /files/search. Optional: nil
	// serves neither (GET /files is the plain list).
	Search *search.Service
	// MaxSize is the largest accepted file.
	MaxSize int64
	// Spool stages bodies of unknown length while they are measured.
	// Optional: nil stages in the OS temp dir without a limit.
	Spool *spool.Spool
}

// Door serves /files.
type Door struct {
	files  *filesHandler
	search *searchHandler // nil without Config.Search
	az     func(accessKey, action, resource string) bool
}

// New builds the door.
func New(cfg Config) *Door {
	h := &filesHandler{objects: cfg.Objects, maxSize: cfg.MaxSize, spool: cfg.Spool, authorize: cfg.Authorize}
	if h.spool == nil {
		h.spool = spool.New("", 0)
	}
	if cfg.Keys != nil {
		h.identity = cfg.Keys.Identity
	}
	d := &Door{files: h, az: cfg.Authorize}
	if cfg.Search != nil {
		d.search = &searchHandler{svc: cfg.Search, scope: cfg.Scope, authorize: cfg.Authorize, identity: h.identity}
		h.search = d.search.files
	}
	return d
}

// Register adds the door's routes to g, the server's /files group.
func (d *Door) Register(g *echo.Group) {
	h, az := d.files, d.az
	g.POST("", h.upload, server.Need(az, "s3:PutObject", filesAll))
	g.GET("", h.list, server.Need(az, "s3:ListBucket", filesBucket))
	if d.search != nil {
		// A static route: Echo matches it before /files/:id.
		g.GET("/search", d.search.objects, server.Need(az, "s3:ListBucket", searchedBucket))
	}
	g.GET("/:id", h.download, server.Need(az, "s3:GetObject", fileObject))
	g.HEAD("/:id", h.download, server.Need(az, "s3:GetObject", fileObject))
	g.GET("/:id/info", h.info, server.Need(az, "s3:GetObject", fileObject))
	g.DELETE("/:id", h.delete, server.Need(az, "s3:DeleteObject", fileObject))
}

// filesARN is the resource /files objects answer to in policies: they sit
// in a bucket of their own name, which S3 cannot create
// (server.ReservedNames).
const filesARN = "arn:aws:s3:::files"

func filesBucket(echo.Context) string { return filesARN }
func filesAll(echo.Context) string    { return filesARN + "/*" }
func fileObject(c echo.Context) string {
	return filesARN + "/" + c.Param("id")
}

// searchedBucket is the bucket GET /files/search names; listing it is what
// a search of it needs first.
func searchedBucket(c echo.Context) string { return "arn:aws:s3:::" + c.QueryParam("bucket") }
